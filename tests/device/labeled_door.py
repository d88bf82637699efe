"""The labeled set's seeded door sequence (device/demo/doorset.py) and its customers' gallery, built
once per test session: finding the usable photos and encoding the gallery takes seconds."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from device.demo.doorset import DoorSet, build, usable_photos
from device.recognition.faces import FaceEngine, Template, read_bgr
from device.recognition.gallery import Gallery

ENGINE = FaceEngine(detect_width=800, upsample=1)  # the one usable_photos crops with, as the bench enrolls


@functools.cache
def door_sequence(root: Path) -> DoorSet:
    return build(usable_photos(root, ENGINE))


@functools.cache
def template_of(path: Path) -> Template:
    image = read_bgr(path)
    assert image is not None
    return ENGINE.encode(image, ENGINE.detect(image)[:1])[0]


@functools.cache
def door_gallery(root: Path) -> Gallery:
    """Every customer's gallery photos of the door sequence, encoded as enrollment would."""
    doorset = door_sequence(root)
    refs = [identity for identity, photos in doorset.gallery.items() for _ in photos]
    rows = [template_of(photo.path) for photos in doorset.gallery.values() for photo in photos]
    return Gallery(refs, np.stack(rows))
