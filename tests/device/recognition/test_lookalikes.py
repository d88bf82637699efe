"""Strangers who resemble a customer, taken from a real labeled set: they must never be named.

The pairs are picked by the data (the closest different people in the set), not by name, so the same
test holds for any labeled set given in BRANCHDOOR_FACE_DATA.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from device.demo.doorset import FacePhoto, usable_photos
from device.domain import Identification
from device.recognition.config import RecognitionConfig
from device.recognition.faces import FaceEngine
from device.recognition.gallery import Gallery
from device.recognition.recognizer import Recognizer
from drivers.camera.scene import Actor, Pose, SceneRenderer, SceneScript
from tests.device.labeled_faces import labeled_set

pytestmark = pytest.mark.faces
FPS = 5.0


@functools.cache
def crops(root: Path) -> dict[str, list[FacePhoto]]:
    return usable_photos(root)


def closest_pairs(root: Path, count: int) -> list[tuple[str, str, float]]:
    """(customer, lookalike stranger, distance) for the `count` closest pairs of different people."""
    by_identity: dict[str, list[np.ndarray]] = {}
    for face in labeled_set(root).faces:
        by_identity.setdefault(face.identity, []).append(face.template)
    pairs = []
    for a, b in itertools.permutations(sorted(by_identity), 2):
        distance = min(float(np.linalg.norm(x - y)) for x in by_identity[a] for y in by_identity[b])
        pairs.append((distance, a, b))
    return [(a, b, d) for d, a, b in sorted(pairs)[:count]]


def always(gallery: Gallery) -> Callable[[], Gallery]:
    return lambda: gallery


def walk_in(photos: list[FacePhoto]) -> SceneRenderer:
    actors = [
        Actor(
            photo=p.path,
            crop=p.crop,
            enter_s=0.2 + 4.5 * i,
            leave_s=4.2 + 4.5 * i,
            start=Pose(height=56 / (480 * p.face_fraction)),
            end=Pose(height=170 / (480 * p.face_fraction)),
        )
        for i, p in enumerate(photos)
    ]
    return SceneRenderer(SceneScript(fps=FPS, duration_s=4.5 * len(photos) + 0.5, actors=actors))


def test_the_closest_lookalikes_in_the_set_are_never_named(face_data: Path) -> None:
    templates: dict[str, list[np.ndarray]] = {}
    for face in labeled_set(face_data).faces:
        templates.setdefault(face.identity, []).append(face.template)
    checked = 0
    for customer, stranger, distance in closest_pairs(face_data, count=4):
        gallery = Gallery([customer] * len(templates[customer]), np.stack(templates[customer]))
        recognizer = Recognizer(
            FaceEngine(detect_width=320, upsample=1),
            RecognitionConfig(track_timeout_s=0.5),
            always(gallery),
        )
        renderer = walk_in(crops(face_data)[stranger][:3])
        events = []
        for index in range(renderer.frame_count):
            events += recognizer.process(renderer.render(index), now=index / FPS, wall_time=0.0)
        named = [e for e in events if isinstance(e, Identification)]
        assert not named, f"{stranger} was named {customer} (closest photos {distance:.2f} apart)"
        assert recognizer.stats.encodings > 0
        checked += 1
    assert checked == 4
