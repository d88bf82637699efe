"""The door sequence: the documented split, and a third of its visits made in pairs and triples."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

from device.demo.doorset import DoorSet, FacePhoto, Visit, build

SEED = 20261129


def photos(people: int = 20) -> dict[str, list[FacePhoto]]:
    """Fake photos (never read: `build` only plans), 1 to 6 per identity like a small labeled set."""
    return {
        f"id{i:02d}": [
            FacePhoto(Path(f"/faces/id{i:02d}-{n}.jpg"), f"id{i:02d}", (0, 0, 90, 90), 0.33)
            for n in range(1 + i % 6)
        ]
        for i in range(people)
    }


def documented_split(by_identity: dict[str, list[FacePhoto]]) -> tuple[dict[str, list[FacePhoto]], set[Path]]:
    """The split as the module documents it, written out again: the gallery, and who visits."""
    rng = random.Random(SEED)
    identities = sorted(by_identity)
    rng.shuffle(identities)
    several = [i for i in identities if len(by_identity[i]) >= 2]
    held_out = several[: round(0.3 * len(several))]
    gallery, visiting = {}, set()
    for identity in several[len(held_out) :]:
        shuffled = by_identity[identity][:]
        rng.shuffle(shuffled)
        keep = min(3, len(shuffled) - 1)
        gallery[identity] = shuffled[:keep]
        visiting |= {p.path for p in shuffled[keep:]}
    for identity in [i for i in identities if len(by_identity[i]) < 2] + held_out:
        visiting |= {p.path for p in by_identity[identity][:2]}
    return gallery, visiting


def groups(doors: DoorSet) -> dict[int, list[Visit]]:
    by_group: dict[int, list[Visit]] = {}
    for visit in doors.visits:
        by_group.setdefault(visit.group, []).append(visit)
    return by_group


def test_the_split_is_the_documented_one() -> None:
    by_identity = photos()
    doors = build(by_identity)
    gallery, visiting = documented_split(by_identity)
    assert doors.gallery == gallery
    assert sorted(v.photo.path for v in doors.visits) == sorted(visiting)
    assert all(v.enrolled == (v.photo.identity in gallery) for v in doors.visits)


def test_a_third_of_visits_are_pairs_and_triples_of_different_people() -> None:
    doors = build(photos())
    grouped = [v for v in doors.visits if v.group_size > 1]
    assert abs(len(grouped) - len(doors.visits) / 3) <= 1
    kinds = set()
    for members in groups(doors).values():
        assert all(v.group_size == len(members) for v in members) and len(members) <= 3
        assert len({v.photo.identity for v in members}) == len(members)  # nobody walks beside themselves
        kinds.add((len(members), members[0].arrangement))
        assert {v.arrangement for v in members} == {members[0].arrangement}
    assert kinds == {
        (1, "alone"),
        (2, "side_by_side"),
        (3, "side_by_side"),
        (2, "one_behind"),
        (3, "one_behind"),
    }


def test_side_by_side_walk_in_together_and_one_behind_follows_on_a_nearby_path() -> None:
    doors = build(photos())
    for members in groups(doors).values():
        members.sort(key=lambda v: v.enter_s)
        if members[0].arrangement == "side_by_side":
            assert len({v.enter_s for v in members}) == 1
            xs = sorted(v.end.x for v in members)
            assert all(b - a >= 0.3 for a, b in itertools.pairwise(xs))
        elif members[0].arrangement == "one_behind":
            for front, rear in itertools.pairwise(members):
                assert 0.7 <= rear.enter_s - front.enter_s <= 1.5
            assert all(0.1 <= abs(v.start.x - members[0].start.x) <= 0.35 for v in members[1:])


def test_strangers_walk_beside_customers() -> None:
    doors = build(photos())
    mixed = [m for m in groups(doors).values() if {v.enrolled for v in m} == {True, False}]
    assert mixed


def test_groups_share_a_slot_and_the_doorway_empties_between_slots() -> None:
    doors = build(photos())
    slots = sorted((min(v.enter_s for v in m), max(v.leave_s for v in m)) for m in groups(doors).values())
    assert all(leave < next_enter for (_, leave), (next_enter, _) in itertools.pairwise(slots))
    assert doors.duration_s > slots[-1][1]
    assert len(doors.script().actors) == len(doors.visits)
    assert {a.shape for a in doors.script().actors} == {"oval"}
