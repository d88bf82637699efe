"""The door sequence's pairs and triples, from a real labeled set, through the real Recognizer.

Every frame is processed (no real-time pacing): what is measured is who gets named, not speed."""

from __future__ import annotations

from pathlib import Path

import pytest

from device.demo.doorset import DoorSet, Visit
from device.recognition.config import RecognitionConfig
from device.recognition.faces import FaceEngine, read_bgr
from device.recognition.gallery import Gallery
from device.recognition.recognizer import Recognizer
from drivers.camera.scene import SceneRenderer, SceneScript
from tests.device.labeled_door import ENGINE, door_gallery, door_sequence
from tests.device.recognition.followed import Followed, Person, follow

pytestmark = [pytest.mark.faces, pytest.mark.slow]


def person(visit: Visit, actor_index: int, doors: DoorSet) -> Person:
    image = read_bgr(visit.photo.path)
    assert image is not None
    [face] = ENGINE.detect(image)
    left, top, right, bottom = visit.photo.crop
    centre = ((face.left + face.right) / 2 - left, (face.top + face.bottom) / 2 - top)
    return Person(
        visit.photo.identity, doors.script().actors[actor_index], centre, (right - left, bottom - top)
    )


def run_group(doors: DoorSet, members: list[Visit], gallery: Gallery) -> Followed:
    """The group's stretch of the sequence alone, from just before the first enters to after the last left."""
    script = doors.script()
    order = sorted(doors.visits, key=lambda v: (v.group, -v.enter_s))  # the script's actor order
    start = min(v.enter_s for v in members) - 0.5
    people = []
    for visit in members:
        person_ = person(visit, order.index(visit), doors)
        shifted = person_.actor.model_copy(
            update={"enter_s": person_.actor.enter_s - start, "leave_s": person_.actor.leave_s - start}
        )
        people.append(Person(person_.identity, shifted, person_.face_in_crop, person_.crop_size))
    stretch = SceneScript.model_validate(
        {
            **script.model_dump(exclude={"actors"}),
            "duration_s": max(v.leave_s for v in members) - start + 1.0,
            "actors": [p.actor for p in sorted(people, key=lambda p: -p.actor.enter_s)],
        }
    )
    recognizer = Recognizer(FaceEngine(detect_width=320, upsample=1), RecognitionConfig(), lambda: gallery)
    return follow(recognizer, SceneRenderer(stretch), people)


def test_groups_at_the_door_name_nobody_wrongly(face_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doors = door_sequence(face_data)
    gallery = door_gallery(face_data)
    groups: dict[int, list[Visit]] = {}
    for visit in doors.visits:
        if visit.group_size > 1:
            groups.setdefault(visit.group, []).append(visit)
    assert groups, "the door sequence has no group visits"
    rows: dict[tuple[int, str], list[int]] = {}
    problems = []
    for members in groups.values():
        followed = run_group(doors, members, gallery)
        enrolled = {v.photo.identity for v in members if v.enrolled}
        named = followed.named()
        strangers_named = [n for n in named if n not in enrolled]
        wrong = followed.wrong()
        row = rows.setdefault((len(members), members[0].arrangement), [0, 0, 0, 0])
        row[0] += len(enrolled)
        row[1] += len(set(named) & enrolled)
        row[2] += len(wrong)
        row[3] += len(strangers_named)
        if wrong or strangers_named or len(named) != len(set(named)) or followed.swapped():
            problems.append((members[0].group, named, wrong, followed.swapped()))
    with capsys.disabled():
        print("\ngroup size, arrangement: customers, named, wrong, strangers named")
        for (size, arrangement), counts in sorted(rows.items()):
            print(f"  {size} {arrangement}: {counts}")
    assert not problems, problems
