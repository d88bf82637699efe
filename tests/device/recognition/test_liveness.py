"""The liveness signal as a specification, on drawn frames: a picture's frame, growth, and when to decide."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from device.recognition.faces import Box, Image
from device.recognition.liveness import SETTLE_S, LivenessEvidence, frame_sides

GREY = (98, 98, 98)
FACE = Box(top=190, right=370, bottom=290, left=270)  # 100 px, centred in a 640x480 frame


def picture(rng: np.random.Generator, height: int, width: int) -> Image:
    """Something photo-like: smooth random content, never uniform along a line."""
    small = rng.integers(20, 235, size=(height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    return np.asarray(cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC), dtype=np.uint8)


def scene(border: tuple[int, int, int] | None, *, tilt: float = 0.0, seed: int = 0) -> Image:
    """A head-and-shoulders picture around FACE (one face height beyond it), with or without a margin."""
    rng = np.random.default_rng(seed)
    frame: Image = np.full((480, 640, 3), GREY, np.uint8)
    art = picture(rng, 300, 300)
    if border is not None:
        art = np.asarray(cv2.copyMakeBorder(art, 18, 18, 18, 18, cv2.BORDER_CONSTANT, value=border), np.uint8)
    h, w = art.shape[:2]
    top, left = 240 - h // 2, 320 - w // 2
    frame[top : top + h, left : left + w] = art
    if tilt:
        turn = cv2.getRotationMatrix2D((320.0, 240.0), tilt, 1.0)
        frame = np.asarray(cv2.warpAffine(frame, turn, (640, 480), borderValue=GREY), np.uint8)
    noise = rng.normal(0.0, 2.0, frame.shape)
    return np.clip(frame + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("border", [(240, 240, 240), (18, 18, 22)], ids=["paper margin", "phone bezel"])
@pytest.mark.parametrize("tilt", [0.0, 3.0, -3.0])
def test_a_picture_with_a_margin_or_a_bezel_shows_its_frame_on_every_side(
    border: tuple[int, int, int], tilt: float
) -> None:
    assert frame_sides(scene(border, tilt=tilt), FACE) >= 3


def test_a_picture_without_a_frame_is_not_framed() -> None:
    # One straight edge (where the picture ends) is no frame: a frame is a band between two.
    for seed in range(5):
        assert frame_sides(scene(None, seed=seed), FACE) <= 1


def test_a_head_in_a_cluttered_room_is_not_framed() -> None:
    rng = np.random.default_rng(7)
    room = picture(rng, 480, 640)
    cv2.ellipse(room, (320, 230), (70, 95), 0, 0, 360, (60, 80, 120), -1)  # a head: curved, no frame
    assert frame_sides(room, FACE) <= 1


def test_a_frame_cut_off_by_the_edge_of_the_image_cannot_be_seen() -> None:
    image = scene((240, 240, 240))
    assert frame_sides(image[:, 200:440], Box(top=190, right=170, bottom=290, left=70)) <= 2


def evidence(sizes: list[int], framed: bool, step_s: float = 0.2) -> LivenessEvidence:
    seen = LivenessEvidence()
    for i, size in enumerate(sizes):
        image = scene((240, 240, 240) if framed else None, seed=i)
        box = Box(top=240 - size // 2, right=320 + size // 2, bottom=240 + size // 2, left=320 - size // 2)
        seen.add(image, box, at=i * step_s)
    return seen


def test_a_face_that_grows_as_it_approaches_is_live() -> None:
    seen = evidence([60, 66, 74, 82, 90], framed=False)
    assert seen.verdict() == "live"
    assert seen.settled(now=0.8)


def test_a_framed_face_is_a_spoof_even_while_it_grows() -> None:
    seen = evidence([100, 100, 100], framed=True)
    assert seen.verdict() == "spoof"
    assert seen.settled(now=0.4)


def test_a_face_that_neither_grows_nor_shows_a_frame_is_unsure_and_waits_a_while() -> None:
    seen = evidence([100, 98, 101, 100], framed=False)
    assert seen.verdict() == "unsure"
    assert not seen.settled(now=0.6)
    assert seen.settled(now=SETTLE_S)


def test_two_glimpses_are_not_enough_to_call_a_face_live() -> None:
    assert evidence([60, 90], framed=False).verdict() == "unsure"
