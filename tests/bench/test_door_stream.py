"""The bench's camera: a scene served as MJPEG over HTTP at its own pace, read by OpenCV as the daemon is."""

from __future__ import annotations

import itertools

import cv2
import pytest

from bench.door_stream import DoorStream
from drivers.camera.scene import SceneScript


@pytest.mark.slow
def test_a_reader_gets_every_frame_written_and_the_scene_never_runs_faster_than_real_time() -> None:
    stream = DoorStream(SceneScript(duration_s=2.0, fps=15.0), preroll_s=0.5).start()
    try:
        video = cv2.VideoCapture(stream.url, cv2.CAP_FFMPEG)
        assert video.isOpened()
        read = 0
        while video.read()[0]:
            read += 1
        video.release()
    finally:
        stream.stop()
    assert stream.finished.is_set()
    # A reader too slow for a frame misses it, as with a live camera; the rest all arrive.
    assert read == stream.frames_written > 0
    # The preroll's frames, then the scene's, less those a busy machine could not render in time.
    assert stream.frames_produced + stream.frames_skipped == 8 + stream.frame_count == 38
    # Paced at 15 fps whatever the reader does: a frame goes out at its time or later, never early.
    due = stream.due_at
    assert [round(b - a, 6) for a, b in itertools.pairwise(due)] == [round(1 / 15, 6)] * 29
    sent = [(t, d) for t, d in zip(stream.sent_at, due, strict=True) if t is not None]
    assert sent and all(t >= d for t, d in sent)
    assert stream.scene_start == due[0]
    assert stream.sent(1.0) == (stream.sent_at[15] or due[15])
