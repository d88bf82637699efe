"""The scenes the recognition bench replays, with who is expected at the door and when.

`door` is the seeded door sequence of device/demo/doorset.py as it is. `staff` adds a member of staff,
enrolled as staff, passing the door in the gaps between visits. `attacks` adds, in the same gaps, an
enrolled customer's photo held up at the door, as a print and on a phone screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.door_score import Arrival, Expected, Tally, score
from bench.kiosk_rig import Enrollee
from device.demo.doorset import DoorSet, FacePhoto, Visit, build, photo_template, usable_photos
from device.recognition.config import RecognitionConfig
from device.recognition.faces import FaceEngine
from drivers.camera.scene import Actor, SceneScript

LATENCY_FROM_PX = 80.0


@dataclass
class Scene:
    kind: str
    root: Path
    doorset: DoorSet
    script: SceneScript
    enrollees: list[Enrollee]
    expected: list[Expected]
    extra: list[str] = field(default_factory=list)  # what the scene adds to the door sequence

    @property
    def duration_s(self) -> float:
        return self.script.duration_s

    def describe(self) -> str:
        customers = [e for e in self.enrollees if e.role == "customer"]
        templates = sum(len(e.vectors) for e in self.enrollees)
        visits = sum(p.kind == "customer" for p in self.expected)
        strangers = sum(p.kind == "stranger" for p in self.expected)
        text = (
            f"data {self.root}: scene '{self.kind}', {len(customers)} customers ({templates} templates), "
            f"{visits} customer visits, {strangers} stranger visits"
        )
        return text + "".join(f", {e}" for e in self.extra) + f", {self.duration_s:.0f} s of video"

    def score(
        self, name: str, arrivals: list[Arrival], sent: Callable[[float], float | None], cpu_s: float
    ) -> Tally:
        return score(Tally(name, self.duration_s, cpu_s), self.expected, arrivals, sent)


def _expected(visit: Visit, config: RecognitionConfig) -> Expected:
    return Expected(
        identity=visit.photo.identity,
        kind="customer" if visit.enrolled else "stranger",
        enter_s=visit.enter_s,
        leave_s=visit.leave_s,
        group_size=getattr(visit, "group_size", 1),
        detectable_s=visit.first_time_face_at_least(config.min_face_px),
        searched_s=visit.first_time_face_at_least(config.scan_min_face_px),
        at_80px_s=visit.first_time_face_at_least(LATENCY_FROM_PX),
    )


def templates(photos: list[FacePhoto], engine: FaceEngine) -> np.ndarray:
    return np.stack([photo_template(photo.path, engine) for photo in photos])


def gaps(visits: list[Visit], duration_s: float, length_s: float) -> list[float]:
    """Start times of empty stretches of the doorway at least `length_s` long."""
    starts, busy_until = [], 0.0
    for visit in sorted(visits, key=lambda v: v.enter_s):
        if visit.enter_s - busy_until >= length_s:
            starts.append(busy_until)
        busy_until = max(busy_until, visit.leave_s)
    if duration_s - busy_until >= length_s:
        starts.append(busy_until)
    return starts


def _limited(doorset: DoorSet, limit: int) -> DoorSet:
    if not limit:
        return doorset
    visits = doorset.visits[:limit]
    end = max(v.leave_s for v in visits) + 4.0
    return DoorSet(doorset.gallery, visits, doorset.strangers, duration_s=end, seed=doorset.seed)


def build_scene(kind: str, root: Path, workdir: Path, limit: int = 0) -> Scene:
    engine = FaceEngine(detect_width=800, upsample=1)
    photos = usable_photos(root, engine)
    doorset = _limited(build(photos), limit)
    config = RecognitionConfig()
    enrollees = [Enrollee(ref, templates(shots, engine)) for ref, shots in doorset.gallery.items()]
    expected = [_expected(v, config) for v in doorset.visits]
    scene = Scene(kind, root, doorset, doorset.script(), enrollees, expected)
    if kind == "staff":
        from bench.staff_scene import add_staff  # it builds on this module

        add_staff(scene, photos, engine)
    elif kind == "attacks":
        from bench.attack_scene import add_attacks  # it builds on this module

        add_attacks(scene, workdir)
    return scene


def with_actors(script: SceneScript, actors: list[Actor]) -> SceneScript:
    return script.model_copy(update={"actors": [*script.actors, *actors]})
