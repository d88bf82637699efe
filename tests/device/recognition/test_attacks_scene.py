"""Grace Hopper's photo held up to the door camera, printed or on a phone, is never greeted with her
data; Grace walking in is named without any doubt."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from device.demo.attacks import AttackKind, attack_actors
from device.domain import Identification
from device.recognition.faces import FaceEngine, Template, read_bgr
from device.recognition.gallery import Gallery
from drivers.camera.scene import Actor, Pose, SceneRenderer, SceneScript
from tests.device.recognition.test_recognizer import FPS, recognizer_for, run


@dataclass(frozen=True)
class Portrait:
    path: Path
    crop: tuple[int, int, int, int]
    face_fraction: float


@pytest.fixture(scope="module")
def grace(grace_photo: Path, engine: FaceEngine) -> Portrait:
    image = read_bgr(grace_photo)
    assert image is not None
    face = engine.detect(image)[0]
    crop = face.grown(1.0, image.shape[1], image.shape[0])
    return Portrait(grace_photo, (crop.left, crop.top, crop.right, crop.bottom), face.height / crop.height)


def attack_scene(grace: Portrait, kind: AttackKind, seed: int, workdir: Path) -> SceneRenderer:
    actors = attack_actors(grace, kind, 0.2, random.Random(seed), workdir)
    return SceneRenderer(SceneScript(fps=FPS, duration_s=actors[-1].leave_s + 0.4, actors=actors))


@pytest.mark.parametrize("kind", ["print", "screen"])
@pytest.mark.parametrize("seed", [1, 2])
def test_her_photo_held_up_is_not_greeted(
    grace: Portrait, grace_template: Template, kind: AttackKind, seed: int, tmp_path: Path
) -> None:
    recognizer = recognizer_for(Gallery(["CUST-GRACE"], grace_template[np.newaxis]))
    events = run(recognizer, attack_scene(grace, kind, seed, tmp_path))
    assert [e for e in events if isinstance(e, Identification)] == []
    assert recognizer.stats.spoofs == 1  # the rule would have named her: the picture's frame stopped it


def test_she_is_named_without_doubt_when_she_walks_in(grace: Portrait, grace_template: Template) -> None:
    walk = Actor(
        photo=grace.path,
        crop=grace.crop,
        enter_s=0.2,
        leave_s=4.2,
        start=Pose(height=50 / (480 * grace.face_fraction)),
        end=Pose(height=170 / (480 * grace.face_fraction)),
    )
    recognizer = recognizer_for(Gallery(["CUST-GRACE"], grace_template[np.newaxis]))
    events = run(recognizer, SceneRenderer(SceneScript(fps=FPS, duration_s=4.6, actors=[walk])))
    named = [e for e in events if isinstance(e, Identification)]
    assert [(e.customer_ref, e.liveness) for e in named] == [("CUST-GRACE", "live")]


def test_her_photo_standing_still_without_a_frame_is_named_for_the_teller_to_verify(
    grace_photo: Path, grace_template: Template
) -> None:
    # No frame in view, no approach: nothing tells a person from a picture, so the teller verifies.
    still = Actor(photo=grace_photo, enter_s=0.2, leave_s=4.2, start=Pose(height=0.8), end=Pose(height=0.8))
    recognizer = recognizer_for(Gallery(["CUST-GRACE"], grace_template[np.newaxis]))
    events = run(recognizer, SceneRenderer(SceneScript(fps=FPS, duration_s=4.6, actors=[still])))
    named = [e for e in events if isinstance(e, Identification)]
    assert [(e.customer_ref, e.liveness) for e in named] == [("CUST-GRACE", "unsure")]
