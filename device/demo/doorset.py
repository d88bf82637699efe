"""Door sequences built from a labeled face set, for the recognition benchmark and tests.

The split is documented and seeded: identities whose photos are too few to both enroll and probe
serve only as strangers, a further share of identities is held out as strangers, and each enrolled
customer's remaining photos are probes. Every probe or stranger photo is one visit: the person
approaches the camera (the face growing from ~36 px to ~170 px over 4 s), with a random blur and
brightness, and the doorway is empty for the other 8 s of each 12 s cycle (someone in view a third
of the time, like a busy branch door).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from device.demo.faceset import read_labels
from device.recognition.faces import FaceEngine, read_bgr
from drivers.camera.scene import Actor, Pose, SceneScript

FRAME_W, FRAME_H, FPS = 640, 480, 15.0
VISIT_S, CYCLE_S = 4.0, 12.0
FACE_START_PX, FACE_END_PX = 36.0, 170.0
MIN_PHOTO_FACE_PX = 80


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

    def face_px(self, t: float) -> float:
        progress = (t - self.enter_s) / (self.leave_s - self.enter_s)
        height = self.start.height + (self.end.height - self.start.height) * progress
        return height * FRAME_H * self.photo.face_fraction

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
        actors = [
            Actor(
                photo=v.photo.path,
                crop=v.photo.crop,
                enter_s=v.enter_s,
                leave_s=v.leave_s,
                start=v.start,
                end=v.end,
                blur_px=v.blur_px,
                brightness=v.brightness,
            )
            for v in self.visits
        ]
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

    visits = []
    for index, (photo, enrolled) in enumerate(plan):
        enter = 1.0 + index * CYCLE_S + rng.uniform(0.0, 1.0)
        x0, y0 = rng.uniform(0.3, 0.7), rng.uniform(0.45, 0.6)
        visits.append(
            Visit(
                photo=photo,
                enrolled=enrolled,
                enter_s=enter,
                leave_s=enter + VISIT_S,
                start=Pose(x=x0, y=y0, height=FACE_START_PX / (FRAME_H * photo.face_fraction)),
                end=Pose(
                    x=x0 + rng.uniform(-0.1, 0.1),
                    y=0.5,
                    height=FACE_END_PX / (FRAME_H * photo.face_fraction),
                ),
                blur_px=rng.uniform(0.0, 1.2),
                brightness=rng.uniform(0.7, 1.3),
            )
        )
    return DoorSet(gallery, visits, strangers, duration_s=1.0 + len(plan) * CYCLE_S + 2.0, seed=seed)
