"""The labeled set's seeded door sequence (device/demo/doorset.py) and its customers' gallery, built
once per test session: finding the usable photos and encoding the gallery takes seconds."""

from __future__ import annotations

import functools
from pathlib import Path

from device.demo.doorset import DoorSet, build, gallery_of, photo_template, usable_photos
from device.recognition.faces import FaceEngine, Template
from device.recognition.gallery import Gallery

ENGINE = FaceEngine(detect_width=800, upsample=1)  # the one usable_photos crops with, as the bench enrolls


@functools.cache
def door_sequence(root: Path) -> DoorSet:
    return build(usable_photos(root, ENGINE))


@functools.cache
def template_of(path: Path) -> Template:
    return photo_template(path, ENGINE)


@functools.cache
def door_gallery(root: Path) -> Gallery:
    """Every customer's gallery photos of the door sequence, encoded as enrollment would."""
    return gallery_of(door_sequence(root).gallery, ENGINE)
