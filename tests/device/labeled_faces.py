"""The labeled face set measured once per test session: faces found, photo quality, templates.

Photos are read in place; blurred copies live in memory only."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from device.demo import faceset
from device.enrollment.enroll import ENROLL_DETECT_WIDTH
from device.enrollment.photo_quality import SHARPNESS_SIZE_PX, PhotoQuality, assess
from device.recognition.faces import FaceEngine, Image, Template, read_bgr

# A blur of 1.5 px at the encoder's chip scale: it moves a template by ~0.19, which is not a photo to keep.
BLUR_SIGMA_AT_CHIP_SCALE = 1.5


@dataclass(frozen=True)
class LabeledFace:
    path: Path
    identity: str
    quality: PhotoQuality
    blurred: PhotoQuality  # a Gaussian-blurred copy, measured on the same face box
    template: Template


@dataclass(frozen=True)
class LabeledSet:
    faces: tuple[LabeledFace, ...]  # the photos with exactly one face
    other_photos: tuple[Path, ...]  # no face, or more than one


def blurred(image: Image, face_height: int) -> Image:
    """`image` blurred by BLUR_SIGMA_AT_CHIP_SCALE as the encoder would see it, whatever the photo's size."""
    sigma = BLUR_SIGMA_AT_CHIP_SCALE * face_height / SHARPNESS_SIZE_PX
    return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), dtype=np.uint8)


@functools.cache
def labeled_set(root: Path) -> LabeledSet:
    engine = FaceEngine(detect_width=ENROLL_DETECT_WIDTH, upsample=1)
    faces: list[LabeledFace] = []
    others: list[Path] = []
    for identity, photos in sorted(faceset.read_labels(root).items()):
        for photo in photos:
            image = read_bgr(photo.path)
            boxes = [] if image is None else engine.detect(image)
            if image is None or len(boxes) != 1:
                others.append(photo.path)
                continue
            box = boxes[0]
            faces.append(
                LabeledFace(
                    photo.path,
                    identity,
                    assess(image, box),
                    assess(blurred(image, box.height), box),
                    engine.encode(image, boxes)[0],
                )
            )
    return LabeledSet(tuple(faces), tuple(others))
