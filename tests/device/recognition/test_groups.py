"""Two people in view at once: each enrolled one named once, by the track that follows them, the other never.

Grace Hopper and the astronaut walk in side by side, and one behind the other (the rear face passing
close to the front one, where tracks swap if association goes wrong), with both or only one enrolled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from device.recognition.config import RecognitionConfig
from device.recognition.faces import FaceEngine, Template, read_bgr
from device.recognition.gallery import Gallery
from device.recognition.recognizer import Recognizer
from drivers.camera.scene import Actor, Pose, SceneRenderer, SceneScript
from tests.device.recognition.followed import Person, follow

FPS = 10.0
GRACE, EILEEN = "CUST-GRACE", "CUST-EILEEN"


def person(identity: str, photo: Path, x: tuple[float, float], enter_s: float, end_face_px: float) -> Person:
    """`photo` cropped to head and shoulders, walking from a 36 px face to `end_face_px` over 4 s."""
    engine = FaceEngine(detect_width=800, upsample=1)
    image = read_bgr(photo)
    assert image is not None
    [face] = engine.detect(image)
    crop = face.grown(1.0, image.shape[1], image.shape[0])
    fraction = face.height / crop.height
    actor = Actor(
        photo=photo,
        crop=(crop.left, crop.top, crop.right, crop.bottom),
        enter_s=enter_s,
        leave_s=enter_s + 4.0,
        start=Pose(x=x[0], y=0.55, height=36 / (480 * fraction)),
        end=Pose(x=x[1], y=0.5, height=end_face_px / (480 * fraction)),
        shape="oval",
    )
    centre = ((face.left + face.right) / 2 - crop.left, (face.top + face.bottom) / 2 - crop.top)
    return Person(identity, actor, centre, (crop.width, crop.height))


def scene(people: list[Person]) -> SceneRenderer:
    # The first person is painted last: the one who walked in first is nearer the lens.
    actors = [p.actor for p in reversed(people)]
    return SceneRenderer(SceneScript(fps=FPS, duration_s=max(a.leave_s for a in actors) + 1.0, actors=actors))


def side_by_side(grace_photo: Path, astronaut_head: Path) -> list[Person]:
    return [
        person(GRACE, grace_photo, (0.37, 0.29), 0.2, 140.0),
        person(EILEEN, astronaut_head, (0.63, 0.71), 0.2, 140.0),
    ]


def behind(grace_photo: Path, astronaut_head: Path, grace_in_front: bool) -> list[Person]:
    photos = [(GRACE, grace_photo), (EILEEN, astronaut_head)]
    if not grace_in_front:
        photos.reverse()
    (front_id, front_photo), (rear_id, rear_photo) = photos
    return [
        person(front_id, front_photo, (0.5, 0.5), 0.2, 170.0),
        person(rear_id, rear_photo, (0.25, 0.35), 1.2, 170.0),
    ]


def recognizer_for(templates: dict[str, Template]) -> Recognizer:
    gallery = Gallery(list(templates), np.stack(list(templates.values())))
    config = RecognitionConfig(track_timeout_s=0.5)
    return Recognizer(FaceEngine(detect_width=320, upsample=1), config, lambda: gallery)


ARRANGEMENTS = ["side_by_side", "grace_in_front", "eileen_in_front"]
ENROLLED = [(GRACE, EILEEN), (GRACE,), (EILEEN,)]


@pytest.mark.slow
@pytest.mark.parametrize("arrangement", ARRANGEMENTS)
@pytest.mark.parametrize("enrolled", ENROLLED, ids=lambda e: "+".join(e))
def test_each_enrolled_person_is_named_once_by_their_own_track(
    arrangement: str,
    enrolled: tuple[str, ...],
    grace_photo: Path,
    astronaut_head: Path,
    grace_template: Template,
    astronaut_template: Template,
) -> None:
    if arrangement == "side_by_side":
        people = side_by_side(grace_photo, astronaut_head)
    else:
        people = behind(grace_photo, astronaut_head, grace_in_front=arrangement == "grace_in_front")
    templates = {GRACE: grace_template, EILEEN: astronaut_template}
    recognizer = recognizer_for({ref: templates[ref] for ref in enrolled})
    followed = follow(recognizer, scene(people), people)
    assert not followed.swapped(), f"tracks followed more than one person: {followed.swapped()}"
    assert not followed.wrong(), f"named after someone else: {followed.wrong()}"
    assert sorted(followed.named()) == sorted(enrolled)
