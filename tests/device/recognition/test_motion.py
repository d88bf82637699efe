"""The motion gate: an empty, still doorway is free; movement is located; light changes are not visitors."""

from __future__ import annotations

import numpy as np

from device.recognition.faces import Box
from device.recognition.motion import MotionGate


def frame(brightness: int = 100, square_at: tuple[int, int] | None = None) -> np.ndarray:
    image = np.full((480, 640, 3), brightness, np.uint8)
    if square_at is not None:
        x, y = square_at
        image[y : y + 80, x : x + 80] = 230
    return image


def test_a_still_scene_shows_no_motion() -> None:
    gate = MotionGate()
    results = [gate.update(frame()) for _ in range(10)]
    assert all(r.region is None for r in results)


def test_something_moving_is_located() -> None:
    gate = MotionGate()
    for _ in range(3):
        gate.update(frame())
    motion = gate.update(frame(square_at=(300, 200)))
    assert motion.region is not None
    assert motion.region.left <= 300 and motion.region.right >= 380
    assert motion.region.top <= 200 and motion.region.bottom >= 280


def test_a_change_of_light_is_not_motion() -> None:
    gate = MotionGate()
    for _ in range(3):
        gate.update(frame(100))
    assert gate.update(frame(140)).region is None


def test_a_scene_that_stops_moving_goes_quiet_at_once() -> None:
    gate = MotionGate()
    for _ in range(3):
        gate.update(frame())
    gate.update(frame(square_at=(300, 200)))
    results = [gate.update(frame(square_at=(300, 200))) for _ in range(3)]
    assert results[-1].region is None


def test_movement_of_people_already_followed_is_ignored() -> None:
    gate = MotionGate()
    for _ in range(3):
        gate.update(frame())
    followed = Box(top=180, right=400, bottom=300, left=280)
    assert gate.update(frame(square_at=(300, 200)), ignore=[followed]).region is None
