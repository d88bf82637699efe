"""A scripted door scene served as an IP camera serves it: MJPEG over HTTP, at the scene's own pace.

The bench's daemon reads it with its ordinary `opencv` camera (`source = "http://127.0.0.1:…"`), so
the frames are rendered and encoded here, outside any CPU quota put on the daemon, and arrive at real
time whatever the daemon does: a client too slow to take a frame misses it, as with a live camera.
The time each frame was sent is kept, so a cue can be measured from the moment a face was there.
"""

from __future__ import annotations

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2

from drivers.camera.scene import SceneRenderer, SceneScript

BOUNDARY = "branchdoorframe"
# Frames of the empty doorway sent before the scene's clock starts: the client's stream probe and
# the daemon's start-up (models, gallery) happen before anyone walks in.
PREROLL_S = 5.0
JPEG_QUALITY = 90


class DoorStream:
    def __init__(self, script: SceneScript, preroll_s: float = PREROLL_S) -> None:
        self._renderer = SceneRenderer(script)
        self._script = script
        self._preroll_s = preroll_s
        self.frame_count = self._renderer.frame_count
        self.sent_at: list[float | None] = [None] * self.frame_count  # monotonic, per scene frame
        self.scene_started = threading.Event()
        self.scene_start: float | None = None  # monotonic time of scene frame 0
        self.finished = threading.Event()
        self.render_cpu_s = 0.0
        self.due_at: list[float] = [0.0] * self.frame_count  # monotonic, per scene frame: on schedule
        self.frames_produced = 0
        self.frames_skipped = 0  # frames this process was too busy to render in time
        self.frames_written = 0  # fewer than produced: the client was still taking an older frame
        self._latest: tuple[int, bytes] | None = None  # (sequence, jpeg)
        self._new_frame = threading.Condition()
        self._client_connected = threading.Event()
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._threads = [
            threading.Thread(target=self._server.serve_forever, name="door-stream-http", daemon=True),
            threading.Thread(target=self._produce, name="door-stream-frames", daemon=True),
        ]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/door.mjpg"

    def start(self) -> DoorStream:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._new_frame:
            self._new_frame.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def scene_time(self, monotonic: float) -> float:
        assert self.scene_start is not None
        return monotonic - self.scene_start

    def sent(self, scene_t: float) -> float | None:
        """When the frame showing scene time `scene_t` went out (monotonic); for a frame the camera
        skipped, when it was due, which is when that face was in front of the lens."""
        index = round(scene_t * self._script.fps)
        if not 0 <= index < self.frame_count:
            return None
        return self.sent_at[index] if self.sent_at[index] is not None else self.due_at[index]

    def _produce(self) -> None:
        if not self._client_connected.wait(600):
            return
        period = 1.0 / self._script.fps
        preroll = round(self._preroll_s * self._script.fps)
        started = time.monotonic()
        for step in range(preroll + self.frame_count):
            due = started + step * period
            index = max(0, step - preroll)
            if step >= preroll:
                self.due_at[index] = due
            wait = due - time.monotonic()
            if wait > 0 and self._stop.wait(wait):
                return
            if wait < -period and step != preroll:
                # Late by more than a frame (this machine is busy): a camera never sends a burst of
                # old frames to catch up, it skips them.
                self.frames_skipped += 1
                continue
            before = time.thread_time()
            ok, jpeg = cv2.imencode(
                ".jpg", self._renderer.render(index), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
            )
            self.render_cpu_s += time.thread_time() - before
            assert ok
            with self._new_frame:
                self.frames_produced += 1
                self._latest = (step, jpeg.tobytes())
                self._new_frame.notify_all()
            if step >= preroll:
                self.sent_at[index] = time.monotonic()
                if step == preroll:
                    self.scene_start = due
                    self.scene_started.set()
        self.finished.set()

    def _newer_than(self, seq: int) -> tuple[int, bytes] | None:
        """The newest frame when one newer than `seq` comes within a second."""

        def ready() -> bool:
            return self._stop.is_set() or (self._latest is not None and self._latest[0] > seq)

        with self._new_frame:
            self._new_frame.wait_for(ready, timeout=1.0)
            latest = self._latest
        return latest if latest is not None and latest[0] > seq else None

    @property
    def missed_by_client(self) -> int:
        return self.frames_produced - self.frames_written

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                stream._client_connected.set()
                last = -1
                with contextlib.suppress(OSError):
                    while not stream._stop.is_set() and not stream.finished.is_set():
                        newer = stream._newer_than(last)
                        if newer is None:
                            continue
                        last, jpeg = newer
                        self.wfile.write(
                            f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                            f"Content-Length: {len(jpeg)}\r\n\r\n".encode()
                            + jpeg
                            + b"\r\n"
                        )
                        stream.frames_written += 1

        return Handler
