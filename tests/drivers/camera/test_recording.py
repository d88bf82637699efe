"""Playing a recording in real time: when each frame is due, and which a slower camera would skip."""

from __future__ import annotations

import math
from pathlib import Path

from drivers.camera.recording import Playback, file_problem, plausible_fps


def kept(file_fps: float, max_fps: float | None, frames: int) -> list[int]:
    playback = Playback(file_fps, max_fps, started=0.0)
    return [index for index in range(frames) if playback.keeps(index)]


def test_every_frame_is_kept_without_a_cap_or_with_a_higher_one() -> None:
    assert kept(15.0, None, 30) == list(range(30))
    assert kept(15.0, 30.0, 30) == list(range(30))  # frames never filmed cannot be shown


def test_a_cap_keeps_that_many_frames_a_second() -> None:
    assert kept(30.0, 15.0, 10) == [0, 2, 4, 6, 8]
    assert kept(30.0, 10.0, 9) == [0, 3, 6]
    assert len(kept(30.0, 20.0, 300)) in range(199, 202)  # 10 s of a 30 fps file at 20 fps
    assert len(kept(25.0, 15.0, 250)) in range(149, 152)


def test_frames_are_due_on_the_recording_timeline() -> None:
    playback = Playback(10.0, None, started=100.0)
    assert math.isclose(playback.wait_s(0, 100.0), 0.0)
    assert math.isclose(playback.wait_s(5, 100.2), 0.3)
    assert playback.wait_s(5, 100.55) == 0.0  # a little late: shown at once, the timeline kept
    assert math.isclose(playback.wait_s(6, 100.55), 0.05)


def test_a_player_far_behind_starts_again_from_now_instead_of_bursting() -> None:
    playback = Playback(10.0, None, started=100.0)
    assert playback.wait_s(3, 102.0) == 0.0  # 1.7 s late: the machine was busy
    assert math.isclose(playback.wait_s(4, 102.0), 0.1)  # the next one a period later, not at once


def test_a_rate_no_camera_has_is_not_believed() -> None:
    assert plausible_fps(15.0) and plausible_fps(29.97)
    assert not any(plausible_fps(fps) for fps in (0.0, -1.0, 1000.0, math.nan, math.inf))


def test_what_is_wrong_with_a_file_is_said_plainly(tmp_path: Path) -> None:
    assert file_problem(tmp_path / "door.mp4") == f"no such file: {tmp_path / 'door.mp4'}"
    assert file_problem(tmp_path) == f"a folder, not a video file: {tmp_path}"
    (tmp_path / "door.mp4").write_bytes(b"")
    assert file_problem(tmp_path / "door.mp4") is None
