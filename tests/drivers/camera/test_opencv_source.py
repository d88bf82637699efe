"""OpenCV cameras, exercised on real video files: playback at the file's own rate, end of a file,
reconnect with backoff, and what is said when a file cannot be played."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from drivers.camera import open_camera
from drivers.camera.opencv_source import Capture, OpenCVCamera, OpenCVCameraConfig

# Fast enough that tests not about pacing take milliseconds, and still a rate a camera could have.
QUICK_FPS = 200.0


def write_video(path: Path, frames: int = 12, fps: float = QUICK_FPS) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (160, 120))
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((120, 160, 3), i * 10 % 256, np.uint8))
    writer.release()
    return path


def config(source: Path | str, **overrides: object) -> OpenCVCameraConfig:
    values: dict[str, object] = {
        "source": str(source),
        "width": None,
        "height": None,
        "reconnect_min_s": 0.05,
        "reconnect_max_s": 0.2,
    }
    return OpenCVCameraConfig.model_validate({**values, **overrides})


def test_a_video_file_plays_to_its_end_and_stops(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    video = write_video(tmp_path / "door.avi")
    with caplog.at_level(logging.INFO):
        frames = list(open_camera(config(video, at_end="stop")).frames(threading.Event()))
    assert len(frames) == 12
    assert [f.seq for f in frames] == list(range(1, 13))
    assert frames[0].image.shape == (120, 160, 3)
    assert f"video file {video} ended after 12 frames; stopping" in caplog.text


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


def test_a_file_that_ends_is_played_again_saying_so_once_per_replay(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue #15: every replay of a file logged "camera lost, reconnecting" and waited a backoff."""
    video = write_video(tmp_path / "door.avi", frames=5)
    camera = OpenCVCamera(config(video, reconnect_min_s=30.0, reconnect_max_s=30.0))
    stop = threading.Event()
    seen = 0
    with caplog.at_level(logging.INFO):
        for _ in camera.frames(stop):
            seen += 1
            if seen == 12:  # 5 + 5 + 2: played twice to the end
                stop.set()
    replays = [r for r in caplog.records if "playing it again" in r.getMessage()]
    assert [r.getMessage() for r in replays] == [
        f"video file {video} ended after 5 frames; playing it again"
    ] * 2
    assert [r.levelno for r in replays] == [logging.INFO] * 2
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert camera.plays == 2 and camera.reconnects == 0
    assert sum("opened" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.slow
def test_a_video_file_plays_at_its_own_frame_rate(tmp_path: Path) -> None:
    """Issue #15: a file was read at decode speed (~600 fps): a visit was over before it was seen."""
    video = write_video(tmp_path / "door.avi", frames=30, fps=15.0)
    frames = list(open_camera(config(video, at_end="stop")).frames(threading.Event()))
    assert len(frames) == 30
    span = frames[-1].monotonic - frames[0].monotonic
    assert span >= 29 / 15.0 * 0.95, f"30 frames of a 15 fps file played in {span:.2f} s"


@pytest.mark.slow
def test_fps_keeps_that_many_frames_a_second_of_a_file_in_real_time(tmp_path: Path) -> None:
    video = write_video(tmp_path / "door.avi", frames=30, fps=30.0)
    frames = list(open_camera(config(video, at_end="stop", fps=10.0)).frames(threading.Event()))
    brightness = [int(f.image[0, 0, 0]) for f in frames]
    assert len(frames) == 10, brightness  # every third frame, as a 10 fps camera would have taken
    span = frames[-1].monotonic - frames[0].monotonic
    assert span >= 27 / 30.0 * 0.95, f"a 1 s file played in {span:.2f} s"


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


def frames_until(camera: OpenCVCamera, seconds: float) -> int:
    stop = threading.Event()
    threading.Timer(seconds, stop.set).start()
    return sum(1 for _ in camera.frames(stop))


def test_a_missing_file_is_named_as_missing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Issue #15: a missing file read like an unplugged camera ("check the cable")."""
    video = tmp_path / "door.mp4"
    camera = OpenCVCamera(config(video))
    assert frames_until(camera, 0.3) == 0
    assert camera.problem == f"no such file: {video}"
    assert camera.waiting_for_source
    assert f"unavailable (no such file: {video})" in caplog.text


def test_a_file_that_is_not_a_video_says_so(tmp_path: Path) -> None:
    notes = tmp_path / "door.avi"
    notes.write_text("the door camera's notes, not its video\n" * 20)
    camera = OpenCVCamera(config(notes))
    assert frames_until(camera, 0.3) == 0
    assert camera.problem == f"not a video OpenCV can read: {notes}"


def test_a_folder_is_not_a_video(tmp_path: Path) -> None:
    camera = OpenCVCamera(config(tmp_path))
    assert frames_until(camera, 0.3) == 0
    assert camera.problem == f"a folder, not a video file: {tmp_path}"


def test_a_missing_device_is_named_as_missing(tmp_path: Path) -> None:
    camera = OpenCVCamera(config("/dev/video-not-plugged"))
    assert frames_until(camera, 0.3) == 0
    assert camera.problem == "no such device: /dev/video-not-plugged"


def test_frames_clear_the_problem(tmp_path: Path) -> None:
    camera = OpenCVCamera(config(write_video(tmp_path / "door.avi"), at_end="stop"))
    assert len(list(camera.frames(threading.Event()))) == 12
    assert camera.problem is None and not camera.waiting_for_source


def test_a_camera_index_written_as_text_is_opened_as_an_index(tmp_path: Path) -> None:
    """`source = "0"` was taken for a file named 0, never there: the camera was never opened."""
    video = write_video(tmp_path / "door.avi")
    asked: list[str | int] = []

    def open_capture(source: str | int) -> Capture:
        asked.append(source)
        return cv2.VideoCapture(str(video))  # what camera 0 would show, were one plugged in

    camera = OpenCVCamera(config("0"), open_capture=open_capture)
    stop = threading.Event()
    threading.Timer(10.0, stop.set).start()  # bounds the test on code that never opens it
    first = next(iter(camera.frames(stop)), None)
    stop.set()
    assert first is not None and asked == ["0"]


def test_stop_interrupts_the_backoff(tmp_path: Path) -> None:
    camera = open_camera(config(tmp_path / "never.avi", reconnect_min_s=30.0, reconnect_max_s=30.0))
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    assert list(camera.frames(stop)) == []
    assert time.monotonic() - started < 5.0  # far from the 30 s an uninterrupted backoff would take


@pytest.mark.parametrize(
    ("source", "is_file"),
    [("/dev/video0", False), (0, False), ("0", False), ("rtsp://10.1.2.3/s", False), ("door.mp4", True),
     ("/srv/door.mp4", True)],
)  # fmt: skip
def test_which_camera_sources_are_files(source: str | int, is_file: bool) -> None:
    assert (OpenCVCameraConfig(source=source).video_file is not None) is is_file
