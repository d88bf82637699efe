"""A door camera the test drives: an MJPEG stream (as an IP camera serves it, read by the daemon's
`opencv` camera) of an empty doorway until the test walks a customer in, once, at the scene's pace."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2

from drivers.camera.scene import Actor, Pose, SceneRenderer, SceneScript

FPS = 10.0
# Unhurried, like tests/e2e/test_file_camera.py's visit: a busy machine still gets enough looks.
WALK_S = 8.0
BOUNDARY = "doorframe"


def _jpeg(image: object) -> bytes:
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])  # type: ignore[call-overload]
    assert ok
    return bytes(jpeg.tobytes())


class DoorOnDemand:
    def __init__(self) -> None:
        self._empty = _jpeg(SceneRenderer(SceneScript(fps=FPS, duration_s=1.0)).render(0))
        self._frame = self._empty
        self._walks: list[list[bytes]] = []
        self._lock = threading.Lock()
        self.walks_done = 0
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        threading.Thread(target=self._produce, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/door.mjpg"

    def walk_in(self, photo: Path) -> None:
        """Queue one walk of `photo` towards the camera; frames are rendered now, sent at FPS."""
        walk = Actor(photo=photo, enter_s=0.2, leave_s=WALK_S, shape="oval",
                     start=Pose(x=0.45, y=0.55, height=0.4), end=Pose(x=0.5, y=0.5, height=0.85))  # fmt: skip
        renderer = SceneRenderer(SceneScript(fps=FPS, duration_s=WALK_S + 0.5, actors=[walk]))
        frames = [_jpeg(renderer.render(i)) for i in range(renderer.frame_count)]
        with self._lock:
            self._walks.append(frames)

    def _produce(self) -> None:
        playing: list[bytes] = []
        while not self._stop.wait(1.0 / FPS):
            with self._lock:
                if not playing and self._walks:
                    playing = self._walks.pop(0)
                if playing:
                    self._frame = playing.pop(0)
                    if not playing:
                        self.walks_done += 1
                else:
                    self._frame = self._empty

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        door = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
                self.end_headers()
                try:
                    while not door._stop.wait(1.0 / FPS):
                        with door._lock:
                            frame = door._frame
                        head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame)}\r\n"
                        head += "\r\n"
                        self.wfile.write(head.encode() + frame + b"\r\n")
                except OSError:
                    return

        return Handler

    def close(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
