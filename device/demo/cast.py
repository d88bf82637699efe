"""The demo's two people: an enrolled customer and a stranger, and the door scene they walk through."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from device.demo import faceset
from device.recognition.faces import Box, FaceEngine, read_bgr

Crop = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    customer_ref: str
    enroll_photos: tuple[Path, ...]
    scene_photo: Path
    scene_crop: Crop | None


@dataclass(frozen=True, slots=True)
class Cast:
    source: str
    customer: Person
    stranger: Person


class CastUnavailable(RuntimeError):
    pass


def public_domain_cast() -> Cast:
    hopper, collins = faceset.grace_hopper(), faceset.astronaut()
    if hopper is None or collins is None:
        raise CastUnavailable("the demo portraits need matplotlib and scikit-image: run `make setup`")
    return Cast(
        source="public-domain portraits shipped by matplotlib and scikit-image",
        customer=Person("Grace", "CUST-1001", (hopper,), hopper, None),
        stranger=Person("Eileen", "not-enrolled", (), collins, faceset.ASTRONAUT_HEAD),
    )


def _head_crop(box: Box, width: int, height: int) -> Crop:
    """A head-and-shoulders crop around a face, so a large photo shows the face at door-camera size."""
    mx, my = box.width, box.height
    return (
        max(0, box.left - mx),
        max(0, box.top - my),
        min(width, box.right + mx),
        min(height, box.bottom + my),
    )


def _single_face(engine: FaceEngine, photo: Path) -> Crop | None:
    image = read_bgr(photo)
    if image is None:
        return None
    boxes = engine.detect(image)
    if len(boxes) != 1:
        return None
    return _head_crop(boxes[0], image.shape[1], image.shape[0])


def labeled_cast(root: Path, engine: FaceEngine | None = None) -> Cast:
    """The identity with the most usable photos is the customer (up to 3 enrolled, one more in the
    scene); the next identity with a usable photo is the stranger."""
    engine = engine or FaceEngine(detect_width=800, upsample=1)
    identities = sorted(faceset.read_labels(root).items(), key=lambda item: (-len(item[1]), item[0]))
    customer: Person | None = None
    stranger: Person | None = None
    for identity, photos in identities:
        usable = [(p.path, crop) for p in photos if (crop := _single_face(engine, p.path)) is not None]
        if customer is None and len(usable) >= 2:
            enroll = tuple(path for path, _ in usable[:-1][:3])
            scene_path, scene_crop = usable[-1]
            customer = Person(identity, f"CUST-{identity}", enroll, scene_path, scene_crop)
        elif customer is not None and usable:
            stranger = Person(identity, "not-enrolled", (), usable[0][0], usable[0][1])
            break
    if customer is None or stranger is None:
        raise CastUnavailable(f"{root}: needs one identity with 2+ single-face photos and one more identity")
    return Cast(f"labeled set {root}", customer, stranger)


def scene_toml(cast: Cast) -> str:
    """A 12-second door sequence at 640x480, 15 fps: the customer walks in, then the stranger."""

    def actor(person: Person, enter: float, leave: float) -> str:
        crop = f"crop = {list(person.scene_crop)}\n" if person.scene_crop else ""
        return (
            "[[actors]]\n"
            f'photo = "{person.scene_photo}"\n'
            f"{crop}"
            f"enter_s = {enter}\nleave_s = {leave}\n"
            "start = { x = 0.45, y = 0.55, height = 0.4 }\n"
            "end = { x = 0.5, y = 0.5, height = 0.85 }\n"
        )

    return (
        "width = 640\nheight = 480\nfps = 15\nduration_s = 12.0\nseed = 7\n\n"
        + actor(cast.customer, 0.5, 5.0)
        + "\n"
        + actor(cast.stranger, 6.0, 10.5)
    )
