"""Photo quality: blurred or too-small faces are refused; the photos a desk really takes are not."""

from __future__ import annotations

import statistics
from pathlib import Path

import cv2
import numpy as np
import pytest

from device.enrollment.photo_quality import (
    MIN_FACE_HEIGHT_PX,
    MIN_SHARPNESS,
    PhotoQuality,
    assess,
    face_height,
    sharpness,
)
from device.recognition.faces import Box, FaceEngine, Image, read_bgr
from tests.device.labeled_faces import labeled_set


def one_face(engine: FaceEngine, image: Image) -> Box:
    boxes = engine.detect(image)
    assert len(boxes) == 1
    return boxes[0]


def load(photo: Path) -> Image:
    image = read_bgr(photo)
    assert image is not None
    return image


def resized(image: Image, factor: float) -> Image:
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(image, (0, 0), fx=factor, fy=factor, interpolation=interpolation), np.uint8)


def blurred(image: Image, sigma: float) -> Image:
    return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), dtype=np.uint8)


def test_sharp_public_domain_portraits_pass(
    engine: FaceEngine, grace_photo: Path, astronaut_head: Path
) -> None:
    for photo in (grace_photo, astronaut_head):
        image = load(photo)
        quality = assess(image, one_face(engine, image))
        assert quality.problem is None, f"{photo.name}: {quality}"
        assert quality.sharpness > MIN_SHARPNESS


def test_a_gaussian_blurred_copy_is_refused_as_blurred(engine: FaceEngine, grace_photo: Path) -> None:
    image = blurred(load(grace_photo), 3.0)
    quality = assess(image, one_face(engine, image))  # still found: HOG does not need detail
    assert quality.sharpness < MIN_SHARPNESS
    assert quality.problem is not None and "blurred" in quality.problem


def test_more_blur_means_lower_sharpness(engine: FaceEngine, grace_photo: Path) -> None:
    image = load(grace_photo)
    box = one_face(engine, image)
    scores = [sharpness(blurred(image, s) if s else image, box) for s in (0, 1, 2, 4)]
    assert scores == sorted(scores, reverse=True)


def test_a_face_under_80_px_is_refused_as_too_small(engine: FaceEngine, grace_photo: Path) -> None:
    image = resized(load(grace_photo), 0.35)
    box = one_face(engine, image)
    assert face_height(box) < MIN_FACE_HEIGHT_PX == 80
    problem = assess(image, box).problem
    assert problem is not None and "too small" in problem and f"{face_height(box)} px" in problem


def test_the_thresholds_are_inclusive_limits() -> None:
    assert PhotoQuality(80, MIN_SHARPNESS).problem is None
    assert "too small" in (PhotoQuality(79, 1000.0).problem or "")
    assert "blurred" in (PhotoQuality(500, MIN_SHARPNESS - 0.1).problem or "")


def test_sharpness_is_comparable_across_photo_sizes(engine: FaceEngine, grace_photo: Path) -> None:
    """The face is measured at the encoder's chip size, so resizing the photo barely moves the score,
    while the Laplacian of the raw crop changes a hundredfold."""
    scores, raw = [], []
    for factor in (0.7, 1.0, 2.0, 3.0):
        image = resized(load(grace_photo), factor)
        box = one_face(engine, image)
        scores.append(sharpness(image, box))
        grey = cv2.cvtColor(image[box.top : box.bottom, box.left : box.right], cv2.COLOR_BGR2GRAY)
        raw.append(float(cv2.Laplacian(grey, cv2.CV_64F).var()))
    assert min(scores) > MIN_SHARPNESS
    assert max(scores) / min(scores) < 2.5, scores
    assert max(raw) / min(raw) > 10, raw


def test_an_empty_box_has_no_sharpness(grace_photo: Path) -> None:
    assert sharpness(load(grace_photo), Box(10, 10, 10, 10)) == 0.0


@pytest.mark.faces
def test_no_single_face_photo_of_the_labeled_set_is_refused(face_data: Path) -> None:
    faces = labeled_set(face_data).faces
    assert faces, f"{face_data}: no photo with exactly one face"
    refused = {face.path.name: face.quality.problem for face in faces if face.quality.problem}
    scores = [face.quality.sharpness for face in faces]
    assert not refused, f"min sharpness {min(scores):.1f}, median {statistics.median(scores):.1f}: {refused}"


@pytest.mark.faces
def test_a_blurred_copy_of_every_labeled_photo_is_refused(face_data: Path) -> None:
    faces = labeled_set(face_data).faces
    kept = {
        face.path.name: round(face.blurred.sharpness, 1) for face in faces if face.blurred.problem is None
    }
    assert not kept
