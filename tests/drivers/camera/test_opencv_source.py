"""OpenCV cameras, exercised on real video files: playback, end of stream, reconnect with backoff."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np

from drivers.camera import open_camera
from drivers.camera.opencv_source import OpenCVCameraConfig


def write_video(path: Path, frames: int = 12) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 15.0, (160, 120))
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((120, 160, 3), i * 10, np.uint8))
    writer.release()
    return path


def config(source: Path, **overrides: object) -> OpenCVCameraConfig:
    values: dict[str, object] = {
        "source": str(source),
        "width": None,
        "height": None,
        "reconnect_min_s": 0.05,
        "reconnect_max_s": 0.2,
    }
    return OpenCVCameraConfig.model_validate({**values, **overrides})


def test_a_video_file_plays_to_its_end_and_stops(tmp_path: Path) -> None:
    video = write_video(tmp_path / "door.avi")
    frames = list(open_camera(config(video, at_end="stop")).frames(threading.Event()))
    assert len(frames) == 12
    assert [f.seq for f in frames] == list(range(1, 13))
    assert frames[0].image.shape == (120, 160, 3)


def test_a_source_that_ends_is_reopened(tmp_path: Path) -> None:
    video = write_video(tmp_path / "door.avi", frames=5)
    camera = open_camera(config(video, at_end="reconnect"))
    stop = threading.Event()
    seqs = []
    for frame in camera.frames(stop):
        seqs.append(frame.seq)
        if len(seqs) == 12:
            stop.set()
    assert seqs == list(range(1, 13))  # numbering continues across reconnects


def test_waits_for_a_source_that_is_not_there_yet(tmp_path: Path) -> None:
    video = tmp_path / "later.avi"
    camera = open_camera(config(video, at_end="stop"))
    stop = threading.Event()

    def plug_in() -> None:
        time.sleep(0.4)
        write_video(tmp_path / "tmp.avi").rename(video)

    threading.Thread(target=plug_in).start()
    started = time.monotonic()
    frames = list(camera.frames(stop))
    assert len(frames) == 12
    assert time.monotonic() - started >= 0.35


def test_stop_interrupts_the_backoff(tmp_path: Path) -> None:
    camera = open_camera(config(tmp_path / "never.avi", reconnect_min_s=30.0, reconnect_max_s=30.0))
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    assert list(camera.frames(stop)) == []
    assert time.monotonic() - started < 5.0  # far from the 30 s an uninterrupted backoff would take
