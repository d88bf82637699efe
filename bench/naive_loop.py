"""The baseline: face_recognition's "faster webcam" example on the same stream, in this process.

1/4 scale, every other frame, every face encoded and matched at the library's tolerance of 0.6, a
greeting for every recognised frame (collapsed to one per name and visit when scored).
"""

from __future__ import annotations

import threading
import time

import cv2
import face_recognition
import numpy as np

from bench.door_scenes import Scene
from bench.door_score import Arrival, Tally, collapse
from bench.door_stream import DoorStream
from device.recognition.mailbox import LatestOnly


def run_naive(scene: Scene) -> Tally:
    refs = [e.ref for e in scene.enrollees for _ in e.vectors]
    vectors = np.concatenate([e.vectors for e in scene.enrollees]).astype(np.float64)
    stream = DoorStream(scene.script).start()
    mailbox: LatestOnly[np.ndarray] = LatestOnly()
    arrivals: list[Arrival] = []

    def capture() -> None:
        video = cv2.VideoCapture(stream.url, cv2.CAP_FFMPEG)
        while not stream.finished.is_set():
            ok, image = video.read()
            if not ok:
                break
            mailbox.put(image)
        video.release()
        mailbox.close()

    def worker() -> None:
        process_this_frame = True
        while (image := mailbox.get()) is not None:
            if process_this_frame and stream.scene_start is not None:
                small = cv2.resize(image, (0, 0), fx=0.25, fy=0.25)
                rgb = np.ascontiguousarray(small[:, :, ::-1])
                locations = face_recognition.face_locations(rgb)
                for encoding in face_recognition.face_encodings(rgb, locations):
                    distances = face_recognition.face_distance(vectors, encoding)
                    best = int(np.argmin(distances))
                    if distances[best] <= 0.6:
                        now = time.monotonic()
                        arrivals.append(Arrival(stream.scene_time(now), now, refs[best]))
            process_this_frame = not process_this_frame

    threads = [threading.Thread(target=capture), threading.Thread(target=worker)]
    cpu0 = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu = time.process_time() - cpu0 - stream.render_cpu_s
    stream.stop()
    tally = scene.score("naive (1/4 scale, every 2nd frame, tol 0.6)", collapse(arrivals), stream.sent, cpu)
    tally.dropped = mailbox.dropped
    return tally


def decoding_cost(scene: Scene, seconds: float = 60.0) -> float:
    """CPU seconds per second of video that merely reading the stream costs (MJPEG decoding, as the
    daemon's camera and the baseline both do), measured on a reader that does nothing else."""
    script = scene.script.model_copy(update={"duration_s": min(seconds, scene.script.duration_s)})
    stream = DoorStream(script, preroll_s=1.0).start()
    cpu = [0.0]

    def read() -> None:
        video = cv2.VideoCapture(stream.url, cv2.CAP_FFMPEG)
        started = time.thread_time()
        while not stream.finished.is_set() and video.read()[0]:
            pass
        cpu[0] = time.thread_time() - started
        video.release()

    reader = threading.Thread(target=read)
    reader.start()
    reader.join()
    stream.stop()
    return cpu[0] / script.duration_s
