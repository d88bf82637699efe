"""Presentation attacks at the door: enrolled customers' photos held up printed or on a phone.

Usage: .venv/bin/python bench/attacks.py [--portraits] [--data DIR] [--limit N] [--fps F] [--json]

The scene: every genuine visit of the seeded door sequence (device/demo/doorset.py: customers and
strangers walking in), and, for each enrolled customer's probe photo, the same photo held up once as a
print and once on a phone (device/demo/attacks.py), all interleaved in a seeded order. `--portraits`
uses the public-domain portraits that ship with matplotlib and scikit-image instead of a labeled set.

The real Recognizer replays the rendered frames offline (as fast as it can, with the scene's clock),
twice: with the liveness check, and without it (the baseline: named on the open-set rule alone).
An attack is *greeted* when it is named without `verify_before_greeting`, *flagged* when named with
it, *stopped* when not named. A genuine customer visit is *lost* when not named (or named wrongly),
*flagged* when named for the teller to verify.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import logging
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from device.demo import faceset
from device.demo.attacks import AttackKind, attack_actors
from device.demo.doorset import FacePhoto, build, gallery_of, usable_photos
from device.domain import Identification
from device.recognition.config import RecognitionConfig
from device.recognition.faces import FaceEngine, read_bgr
from device.recognition.gallery import Gallery
from device.recognition.recognizer import Recognizer
from drivers.camera.scene import Actor, Pose, SceneRenderer, SceneScript

SEED = 20261206
SLOT_S = 6.5  # each visit or attack: 4 s in view, then an empty doorway (tracks end, nothing overlaps)
FACE_START_PX, FACE_END_PX = 36.0, 170.0


ItemKind = Literal["walk", "print", "screen"]


@dataclass(frozen=True, slots=True)
class Item:
    kind: ItemKind
    identity: str
    enrolled: bool
    actors: list[Actor]


@dataclass
class Tally:
    customer_visits: int = 0
    customers_named: int = 0
    customers_flagged: int = 0
    wrong: int = 0
    strangers_named: int = 0
    attacks: int = 0
    attacks_greeted: int = 0
    attacks_flagged: int = 0
    attacks_stopped: int = 0
    named_after_p50_s: float = 0.0  # scene time from a customer's entry to their name, median
    named_after_max_s: float = 0.0
    seconds: float = 0.0


def walk(photo: FacePhoto, enter_s: float, rng: random.Random) -> Actor:
    x = rng.uniform(0.35, 0.65)
    return Actor(
        photo=photo.path,
        crop=photo.crop,
        enter_s=enter_s,
        leave_s=enter_s + 4.0,
        start=Pose(x=x, y=0.55, height=FACE_START_PX / (480 * photo.face_fraction)),
        end=Pose(x=x, y=0.5, height=FACE_END_PX / (480 * photo.face_fraction)),
        blur_px=rng.uniform(0.0, 1.2),
        brightness=rng.uniform(0.7, 1.3),
    )


def plan(visits: list[tuple[FacePhoto, bool]], workdir: Path) -> list[Item]:
    rng = random.Random(SEED)
    order: list[tuple[ItemKind, FacePhoto, bool]] = [("walk", p, enrolled) for p, enrolled in visits]
    attacks: tuple[AttackKind, ...] = ("print", "screen")
    order += [(kind, p, True) for p, enrolled in visits if enrolled for kind in attacks]
    rng.shuffle(order)
    items = []
    for index, (kind, photo, enrolled) in enumerate(order):
        enter = 1.0 + index * SLOT_S
        if kind == "walk":
            actors = [walk(photo, enter, rng)]
        else:
            actors = attack_actors(photo, kind, enter, rng, workdir)
        items.append(Item(kind, photo.identity, enrolled, actors))
    return items


def enroll(gallery: dict[str, list[FacePhoto]], engine: FaceEngine) -> Gallery:
    return gallery_of(gallery, engine)


def replay(items: list[Item], gallery: Gallery, fps: float, check_liveness: bool) -> Tally:
    actors = [actor for item in items for actor in item.actors]
    script = SceneScript(fps=fps, duration_s=1.0 + len(items) * SLOT_S + 1.0, seed=SEED, actors=actors)
    renderer = SceneRenderer(script)
    recognizer = Recognizer(FaceEngine(), RecognitionConfig(), lambda: gallery, check_liveness=check_liveness)
    named: dict[int, list[Identification]] = {}
    named_at: dict[int, float] = {}  # slot -> scene time of its first name
    started = time.process_time()
    for index in range(renderer.frame_count):
        t = index / fps
        for event in recognizer.process(renderer.render(index), now=t, wall_time=t):
            if isinstance(event, Identification):
                # Slots never overlap and a track ends within its slot's empty second half.
                named.setdefault(int((t - 1.0) // SLOT_S), []).append(event)
                named_at.setdefault(int((t - 1.0) // SLOT_S), t)
    for event in recognizer.flush(0.0):
        if isinstance(event, Identification):
            named.setdefault(len(items) - 1, []).append(event)
    tally = Tally(seconds=time.process_time() - started)
    delays = []
    for slot, item in enumerate(items):
        events = named.get(slot, [])
        greeted = [e for e in events if e.liveness == "live"]
        if item.kind != "walk":
            tally.attacks += 1
            tally.attacks_greeted += bool(greeted)
            tally.attacks_flagged += bool(events) and not greeted
            tally.attacks_stopped += not events
        elif item.enrolled:
            tally.customer_visits += 1
            right = [e for e in events if e.customer_ref == item.identity]
            tally.wrong += any(e.customer_ref != item.identity for e in events)
            tally.customers_named += bool(right)
            if right and slot in named_at:
                delays.append(named_at[slot] - item.actors[0].enter_s)
            tally.customers_flagged += bool(right) and all(e.liveness != "live" for e in right)
        else:
            tally.strangers_named += bool(events)
    if delays:
        tally.named_after_p50_s, tally.named_after_max_s = statistics.median(delays), max(delays)
    return tally


def portraits(engine: FaceEngine) -> tuple[dict[str, list[FacePhoto]], list[tuple[FacePhoto, bool]]]:
    """Grace Hopper and Eileen Collins, each enrolled with her own portrait and probed with it."""
    photos = []
    for identity, path in (("grace", faceset.grace_hopper()), ("eileen", faceset.astronaut())):
        if path is None:
            sys.exit("the portraits ship with matplotlib and scikit-image: install the project first")
        image = read_bgr(path)
        assert image is not None
        left, top, right, bottom = faceset.ASTRONAUT_HEAD if identity == "eileen" else (0, 0, 0, 0)
        if identity == "eileen":
            image = image[top:bottom, left:right]
        face = engine.detect(image)[0]
        crop = face.grown(1.0, image.shape[1], image.shape[0])
        box = (crop.left + left, crop.top + top, crop.right + left, crop.bottom + top)
        photos.append(FacePhoto(path, identity, box, face.height / crop.height))
    return {p.identity: [p] for p in photos}, [(p, True) for p in photos]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--portraits", action="store_true", help="the shipped portraits, not a labeled set")
    parser.add_argument("--data", type=Path, help="labeled face set (default: BRANCHDOOR_FACE_DATA)")
    parser.add_argument("--limit", type=int, help="only the first N genuine visits")
    parser.add_argument("--fps", type=float, default=15.0, help="frames per second of the replayed scene")
    parser.add_argument("--json", action="store_true", help="end with one JSON object")
    args = parser.parse_args()
    logging.getLogger("device.recognition.recognizer").setLevel(logging.ERROR)  # the table counts them
    engine = FaceEngine(detect_width=800, upsample=1)
    if args.portraits:
        gallery_photos, visits = portraits(engine)
        # The gallery photo is the probe here: an easy match, which is what an attacker would bring.
        source = "portraits"
    else:
        root = args.data or faceset.face_data_dir()
        if root is None:
            sys.exit(f"no labeled face set: set {faceset.FACE_DATA_ENV} or --data, or use --portraits")
        doorset = build(usable_photos(root, engine))
        gallery_photos = doorset.gallery
        visits = [(v.photo, v.enrolled) for v in doorset.visits]
        source = str(root)
    visits = visits[: args.limit] if args.limit else visits
    with tempfile.TemporaryDirectory(prefix="branchdoor-attacks-") as workdir:
        items = plan(visits, Path(workdir))
        gallery = enroll(gallery_photos, engine)
        results = {
            "baseline": replay(items, gallery, args.fps, check_liveness=False),
            "liveness": replay(items, gallery, args.fps, check_liveness=True),
        }
    print(f"source: {source}; {Counter(item.kind for item in items)}; {args.fps:g} fps, offline replay")
    rows = [
        ("customer visits", "customer_visits"),
        ("  named (check-ins)", "customers_named"),
        ("  of them flagged: verify", "customers_flagged"),
        ("  wrong identity", "wrong"),
        ("strangers named", "strangers_named"),
        ("attacks", "attacks"),
        ("  greeted (named, no flag)", "attacks_greeted"),
        ("  flagged: verify", "attacks_flagged"),
        ("  stopped (not named)", "attacks_stopped"),
        ("customer named after s, p50", "named_after_p50_s"),
        ("customer named after s, max", "named_after_max_s"),
        ("CPU s (replay)", "seconds"),
    ]
    print(f"{'':30}{'baseline':>10}{'liveness':>10}")
    for label, key in rows:
        values = [getattr(results[name], key) for name in ("baseline", "liveness")]
        print(f"{label:30}" + "".join(f"{v:>10.2f}" if isinstance(v, float) else f"{v:>10}" for v in values))
    if args.json:
        print(json.dumps({name: asdict(tally) for name, tally in results.items()}))


if __name__ == "__main__":
    main()
