"""The `staff` scene: a member of staff, enrolled as staff, passes the door again and again among customers.

Staff are taken from the identities the door sequence holds out as strangers (never a customer):
the first with two usable photos or more. One photo is enrolled with the staff role; each of their
stranger visits becomes a staff pass, and further passes, with every photo in turn, fill the empty
stretches between visits, as staff walk in and out all day.
"""

from __future__ import annotations

import dataclasses
import random

from bench.door_scenes import Scene, gaps, templates, with_actors
from bench.door_score import Expected
from bench.kiosk_rig import Enrollee
from device.demo.doorset import VISIT_S, FacePhoto, walk_in
from device.recognition.faces import FaceEngine

EXTRA_PASSES = 8


class SceneUnavailable(RuntimeError):
    """The face set has no identity that could serve as staff."""


def add_staff(scene: Scene, photos: dict[str, list[FacePhoto]], engine: FaceEngine) -> None:
    candidates = [i for i in scene.doorset.strangers if len(photos.get(i, [])) >= 2]
    if not candidates:
        raise SceneUnavailable("no stranger identity with two usable photos to enroll as staff")
    staff = candidates[0]
    shots = photos[staff]
    scene.enrollees.append(Enrollee(staff, templates(shots[-1:], engine), role="staff"))
    scene.expected = [
        dataclasses.replace(p, kind="staff") if p.identity == staff else p for p in scene.expected
    ]
    rng = random.Random(scene.doorset.seed + 1)
    free = gaps(scene.doorset.visits, scene.duration_s, VISIT_S + 2.0)
    step = max(1, len(free) // EXTRA_PASSES)
    actors = []
    for n, start in enumerate(free[::step][:EXTRA_PASSES]):
        # Walking in alone, as any visitor of the sequence does; group numbers apart from theirs.
        [walk] = walk_in([(shots[n % len(shots)], False)], start + 1.0, -1 - n, "alone", rng)
        actors.append(walk.actor())
        scene.expected.append(Expected(staff, "staff", walk.enter_s, walk.leave_s))
    scene.script = with_actors(scene.script, actors)
    passes = sum(p.kind == "staff" for p in scene.expected)
    scene.extra.append(f"{staff} enrolled as staff passing {passes} times")
