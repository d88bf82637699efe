"""Door sequences built from a labeled face set, for the recognition benchmark and tests.

The split is documented and seeded: identities whose photos are too few to both enroll and probe
serve only as strangers, a further share of identities is held out as strangers, and each enrolled
customer's remaining photos are probes. Every probe or stranger photo is one person's visit: they
approach the camera (the face growing from ~36 px to ~170 px over 4 s), with a random blur and
brightness, drawn as a soft oval (no rectangular edge to hide a neighbour's face).

A third of the visits are made in groups, in the shuffled order of the probes: pairs and triples,
alternately, each led by a customer and completed by people of other identities (every other group
by a stranger first, so that strangers walk beside customers). Two groups in four walk in side by side
(entering together, face centres 0.42 of the frame apart for a pair and 0.33 for a triple, ending
smaller, 140 px and 110 px, so their faces fit apart); the others one behind another (each 0.7-1.5 s
after the one before, on a path 0.2-0.3 of the frame to one side that closes in behind them, the rear
face passing by the front one). Each visit, alone or a group, starts one 12 s slot and the doorway is
empty for the rest of it. `Visit.group` is shared by the members of one group, `Visit.group_size` and
`Visit.arrangement` say how they walked in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from device.demo.faceset import read_labels
from device.recognition.faces import FaceEngine, Template, read_bgr
from device.recognition.gallery import Gallery
from drivers.camera.scene import Actor, Pose, SceneScript

FRAME_W, FRAME_H, FPS = 640, 480, 15.0
VISIT_S, CYCLE_S = 4.0, 12.0
FACE_START_PX, FACE_END_PX = 36.0, 170.0
MIN_PHOTO_FACE_PX = 80
GROUP_SHARE = 1 / 3  # of visits made in pairs and triples
# Side by side, people end smaller (further from the lens) so that their faces fit apart in the frame.
SIDE_BY_SIDE_END_PX = {2: 140.0, 3: 110.0}
SIDE_BY_SIDE_SPACING = {2: 0.42, 3: 0.33}  # between face centres, a share of the frame's width
BEHIND_CLOSING = 0.6  # one behind another: the share of the sideways offset left at the end of the walk

Arrangement = Literal["alone", "side_by_side", "one_behind"]


@dataclass(frozen=True, slots=True)
class FacePhoto:
    path: Path
    identity: str
    crop: tuple[int, int, int, int]  # head and shoulders around the one face
    face_fraction: float  # face height / crop height


@dataclass(frozen=True, slots=True)
class Visit:
    photo: FacePhoto
    enrolled: bool
    enter_s: float
    leave_s: float
    start: Pose
    end: Pose
    blur_px: float
    brightness: float
    group: int = 0  # shared by the people who walk in together; unique to someone alone
    group_size: int = 1
    arrangement: Arrangement = "alone"

    def face_px(self, t: float) -> float:
        progress = (t - self.enter_s) / (self.leave_s - self.enter_s)
        height = self.start.height + (self.end.height - self.start.height) * progress
        return height * FRAME_H * self.photo.face_fraction

    def actor(self) -> Actor:
        """This visit as the scene camera plays it: a soft oval, as a person has no rectangular edge."""
        return Actor(
            photo=self.photo.path,
            crop=self.photo.crop,
            enter_s=self.enter_s,
            leave_s=self.leave_s,
            start=self.start,
            end=self.end,
            blur_px=self.blur_px,
            brightness=self.brightness,
            shape="oval",
        )

    def first_time_face_at_least(self, px: float) -> float | None:
        """Scene time of the first frame whose face is at least `px` tall."""
        frame = int(self.enter_s * FPS)
        while frame / FPS < self.leave_s:
            t = frame / FPS
            if t >= self.enter_s and self.face_px(t) >= px:
                return t
            frame += 1
        return None


@dataclass(frozen=True, slots=True)
class DoorSet:
    gallery: dict[str, list[FacePhoto]]
    visits: list[Visit]
    strangers: list[str]
    duration_s: float
    seed: int

    def script(self) -> SceneScript:
        # Painted back to front: of a group, whoever walks in later is further away.
        actors = [v.actor() for v in sorted(self.visits, key=lambda v: (v.group, -v.enter_s))]
        return SceneScript(
            width=FRAME_W, height=FRAME_H, fps=FPS, duration_s=self.duration_s, seed=self.seed, actors=actors
        )


def usable_photos(root: Path, engine: FaceEngine | None = None) -> dict[str, list[FacePhoto]]:
    """Photos with exactly one face of at least 80 px, each with a head-and-shoulders crop."""
    engine = engine or FaceEngine(detect_width=800, upsample=1)
    usable: dict[str, list[FacePhoto]] = {}
    for identity, photos in sorted(read_labels(root).items()):
        for labeled in photos:
            image = read_bgr(labeled.path)
            if image is None:
                continue
            boxes = engine.detect(image)
            if len(boxes) != 1 or boxes[0].height < MIN_PHOTO_FACE_PX:
                continue
            crop = boxes[0].grown(1.0, image.shape[1], image.shape[0])
            fraction = boxes[0].height / crop.height
            usable.setdefault(identity, []).append(
                FacePhoto(labeled.path, identity, (crop.left, crop.top, crop.right, crop.bottom), fraction)
            )
    return usable


def photo_template(path: Path, engine: FaceEngine) -> Template:
    """The template of a usable photo's one face, encoded at the photo's full size as enrollment does."""
    image = read_bgr(path)
    if image is None:
        raise ValueError(f"{path}: not an image OpenCV can read")
    return engine.encode(image, engine.detect(image)[:1])[0]


def gallery_of(gallery: dict[str, list[FacePhoto]], engine: FaceEngine) -> Gallery:
    """Every customer's gallery photos encoded, as the recognizer matches against them."""
    refs = [identity for identity, photos in gallery.items() for _ in photos]
    rows = [photo_template(photo.path, engine) for photos in gallery.values() for photo in photos]
    return Gallery(refs, np.stack(rows))


def build(
    photos: dict[str, list[FacePhoto]],
    seed: int = 20261129,
    stranger_share: float = 0.3,
    gallery_per_customer: int = 3,
) -> DoorSet:
    rng = random.Random(seed)
    identities = sorted(photos)
    rng.shuffle(identities)
    single = [i for i in identities if len(photos[i]) < 2]
    several = [i for i in identities if len(photos[i]) >= 2]
    held_out = several[: round(stranger_share * len(several))]
    customers = several[len(held_out) :]
    strangers = single + held_out

    gallery: dict[str, list[FacePhoto]] = {}
    plan: list[tuple[FacePhoto, bool]] = []
    for identity in customers:
        shuffled = photos[identity][:]
        rng.shuffle(shuffled)
        keep = min(gallery_per_customer, len(shuffled) - 1)
        gallery[identity] = shuffled[:keep]
        plan += [(photo, True) for photo in shuffled[keep:]]
    for identity in strangers:
        plan += [(photo, False) for photo in photos[identity][:2]]
    rng.shuffle(plan)

    visits: list[Visit] = []
    groups_so_far = 0
    for slot, members in enumerate(_groups(plan)):
        enter = 1.0 + slot * CYCLE_S + rng.uniform(0.0, 1.0)
        # Pairs and triples alternate; every two groups, the arrangement does too: all four kinds occur.
        arrangement: Arrangement = "alone"
        if len(members) > 1:
            arrangement = "side_by_side" if groups_so_far // 2 % 2 == 0 else "one_behind"
            groups_so_far += 1
        visits += walk_in(members, enter, slot, arrangement, rng)
    slots = len({v.group for v in visits})
    return DoorSet(gallery, visits, strangers, duration_s=1.0 + slots * CYCLE_S + 2.0, seed=seed)


def _groups(plan: list[tuple[FacePhoto, bool]]) -> list[list[tuple[FacePhoto, bool]]]:
    """The shuffled plan cut into visits: a third of its people in pairs and triples, the rest alone.

    Groups alternate 2, 3, 2, ...; each is led by the next customer of the plan and completed by the next
    people of other identities (nobody walks beside themselves), a stranger first in every other group so
    that strangers walk beside customers too. Whoever is left walks in alone, in plan order."""
    waiting = plan[:]
    grouped: list[list[tuple[FacePhoto, bool]]] = []
    in_groups, wanted = 0, round(len(plan) * GROUP_SHARE)
    while wanted - in_groups >= 2:
        size = min(2 + len(grouped) % 2, wanted - in_groups)
        leader = next((p for p in waiting if p[1]), None)
        if leader is None:
            break
        members = [leader]
        waiting.remove(leader)
        stranger_first = len(grouped) % 2 == 0
        candidates = sorted(waiting, key=lambda p: p[1] == stranger_first)  # stable: plan order within
        for person in candidates:
            if len(members) == size:
                break
            if person[0].identity not in {m[0].identity for m in members}:
                members.append(person)
                waiting.remove(person)
        if len(members) < 2:
            waiting += members[:1]
            break
        grouped.append(members)
        in_groups += len(members)
    # Groups spread through the sequence instead of bunching at its start: one every third slot or so.
    slots: list[list[tuple[FacePhoto, bool]]] = [[p] for p in waiting]
    every = max(1, len(slots) // max(1, len(grouped)))
    for index, group in enumerate(grouped):
        slots.insert(min(len(slots), index * (every + 1)), group)
    return slots


def walk_in(
    members: list[tuple[FacePhoto, bool]],
    enter: float,
    group: int,
    arrangement: Arrangement,
    rng: random.Random,
) -> list[Visit]:
    """The visits of people walking in together from `enter` (one person: `arrangement` "alone")."""
    size = len(members)
    centre = rng.uniform(0.3, 0.7) if size == 1 else rng.uniform(0.4, 0.6)
    side = rng.choice((-1.0, 1.0))
    visits: list[Visit] = []
    for rank, (photo, enrolled) in enumerate(members):
        if arrangement == "side_by_side":
            # Centres one side-by-side spacing apart, ordered across the frame; smaller faces to fit.
            offset = (rank - (size - 1) / 2) * SIDE_BY_SIDE_SPACING[size]
            end_x, start_x, delay, end_px = 0.5 + offset, 0.5 + 0.6 * offset, 0.0, SIDE_BY_SIDE_END_PX[size]
        elif arrangement == "one_behind":
            # Each follows the one before, 0.7-1.5 s later, on a path beside theirs (alternating sides)
            # that closes in behind them: the rear face passes by the front one, then behind it.
            offset = 0.0 if rank == 0 else side * (-1) ** rank * rng.uniform(0.2, 0.3)
            delay = 0.0 if rank == 0 else visits[-1].enter_s - enter + rng.uniform(0.7, 1.5)
            start_x, end_x = centre + offset, centre + BEHIND_CLOSING * offset
            end_px = FACE_END_PX
        else:
            start_x, delay, end_px = centre, 0.0, FACE_END_PX
            end_x = centre + rng.uniform(-0.1, 0.1)
        visits.append(
            Visit(
                photo=photo,
                enrolled=enrolled,
                enter_s=enter + delay,
                leave_s=enter + delay + VISIT_S,
                start=Pose(
                    x=start_x,
                    y=rng.uniform(0.45, 0.6),
                    height=FACE_START_PX / (FRAME_H * photo.face_fraction),
                ),
                end=Pose(x=end_x, y=0.5, height=end_px / (FRAME_H * photo.face_fraction)),
                blur_px=rng.uniform(0.0, 1.2),
                brightness=rng.uniform(0.7, 1.3),
                group=group,
                group_size=size,
                arrangement=arrangement,
            )
        )
    return visits
