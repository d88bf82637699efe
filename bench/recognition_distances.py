"""Why visits are lost: the open-set rule replayed offline on the door sequence, vote by vote.

Usage (from the repository root; about 2-4 minutes per seed on a loaded 2-core machine):

    .venv/bin/python bench/recognition_distances.py [--data DIR] [--seeds N] [--votes] [--no-distances]

Deterministic and not in real time: the seeded door sequence (device/demo/doorset.py) is rendered
with SceneRenderer, frame by frame, and each frame is handed to several real Recognizers at once:
the rule before #16 ("old") and today's ("new"), each fed every frame and every 2nd frame (what a
loaded real-time pipeline sees when it drops frames). The recognizers share one detection and one
encoding per frame and face, so the rules are compared on exactly the same evidence.

It prints, per seed, what happened to each visit under each rule (named / missed / wrong, and with
--votes each vote: frame time, face height, quality, distance, second distance), then the totals.
Seed 20261129 is the documented one; --seeds N adds N-1 more (1..N-1), to see that a change does
not only fit one split of the people. Only the empty doorway between visits is skipped.

On the documented seed it also prints the distance distributions the rule's constants were chosen
from: for every 2nd frame of every visit, the face found where the scene put it is encoded and
matched; genuine = a customer's distance to their own templates, impostor = the nearest other
customer (for a customer) or the nearest customer (for a stranger); margin = impostor - genuine for
a customer, second - nearest for a stranger. Binned by face height and by quality (sharpness x
frontality, 0..1), as percentiles.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from device.demo.doorset import (
    FPS,
    FRAME_H,
    FRAME_W,
    DoorSet,
    FacePhoto,
    Visit,
    build,
    photo_template,
    usable_photos,
)
from device.demo.faceset import face_data_dir
from device.domain import Identification
from device.recognition.appearance import frontality, sharpness
from device.recognition.config import RecognitionConfig
from device.recognition.decision import Vote
from device.recognition.faces import Box, FaceEngine, Image, Template
from device.recognition.gallery import Gallery
from device.recognition.recognizer import SHARP_ENOUGH, Recognizer
from device.recognition.tracking import Track
from drivers.camera.scene import SceneRenderer

DOCUMENTED_SEED = 20261129
# The rule before #16, as config: four encodings per track whatever the face size.
OLD_RULE = RecognitionConfig(more_attempts_as_face_grows=False)
NEW_RULE = RecognitionConfig()
HEIGHT_BINS = ((0, 64), (64, 80), (80, 110), (110, 170), (170, 1000))
QUALITY_BINS = ((0.0, 0.5), (0.5, 0.8), (0.8, 1.01))
PERCENTILES = (1, 5, 50, 95, 99)


class SharedEngine(FaceEngine):
    """Detects and encodes once per frame and box, whichever recognizer asks first."""

    def __init__(self) -> None:
        super().__init__()
        self._boxes: dict[tuple[object, ...], list[Box]] = {}
        self._templates: dict[Box, Template] = {}

    def new_frame(self) -> None:
        self._boxes.clear()
        self._templates.clear()

    def detect(self, image: Image) -> list[Box]:
        key: tuple[object, ...] = ("whole",)
        if key not in self._boxes:
            self._boxes[key] = super().detect(image)
        return self._boxes[key]

    def detect_region(self, image: Image, region: Box, min_face_px: float) -> list[Box]:
        key = (region, round(min_face_px, 3))
        if key not in self._boxes:
            self._boxes[key] = super().detect_region(image, region, min_face_px)
        return self._boxes[key]

    def encode(self, image: Image, boxes: list[Box]) -> list[Template]:
        missing = [b for b in boxes if b not in self._templates]
        self._templates.update(zip(missing, super().encode(image, missing), strict=True))
        return [self._templates[b] for b in boxes]


@dataclass
class LoggedVote:
    at: float
    face_px: int
    quality: float
    vote: Vote


@dataclass
class Run:
    """One rule fed one frame stride, and everything it did."""

    label: str
    stride: int
    recognizer: Recognizer
    tracks: dict[int, Track] = field(default_factory=dict)
    votes: dict[int, list[LoggedVote]] = field(default_factory=dict)
    named: dict[int, str] = field(default_factory=dict)  # track id -> customer

    def feed(self, image: Image, now: float) -> None:
        events = self.recognizer.process(image, now=now, wall_time=now)
        for track in self.recognizer.tracker.active:
            self.tracks.setdefault(track.track_id, track)
            logged = self.votes.setdefault(track.track_id, [])
            for vote in track.votes[len(logged) :]:
                logged.append(LoggedVote(now, track.last_attempt_height, track.last_attempt_quality, vote))
        for event in events:
            if isinstance(event, Identification):
                self.named[event.track_id] = event.customer_ref


@dataclass
class Tally:
    visits: int = 0
    correct: int = 0
    wrong: int = 0
    missed: int = 0
    stranger_visits: int = 0
    strangers_named: int = 0
    encodings: int = 0

    def add(self, other: Tally) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def line(self) -> str:
        share = self.correct / self.visits if self.visits else float("nan")
        return (
            f"{self.correct:>3}/{self.visits:<3} named ({share:6.1%}), {self.wrong} wrong, "
            f"{self.missed} missed, {self.strangers_named}/{self.stranger_visits} strangers named, "
            f"{self.encodings} encodings"
        )


def enroll(doorset: DoorSet, engine: FaceEngine) -> dict[str, list[Template]]:
    """Each customer's gallery photos encoded as enrollment does (one face, the photo's full size)."""
    templates: dict[str, list[Template]] = {}
    for identity, photos in doorset.gallery.items():
        templates[identity] = [photo_template(photo.path, engine) for photo in photos]
    return templates


def visit_frames(doorset: DoorSet) -> list[int]:
    """Frame numbers from just before each visit until its track has expired; the empty door is skipped."""
    frames: list[int] = []
    for visit in doorset.visits:
        frames += range(int((visit.enter_s - 0.6) * FPS), int((visit.leave_s + 1.6) * FPS))
    return sorted(set(frames))


def replay(doorset: DoorSet, gallery: Gallery, rules: dict[str, RecognitionConfig]) -> list[Run]:
    engine = SharedEngine()
    runs = [
        Run(label, stride, Recognizer(engine, config, lambda: gallery))
        for label, config in rules.items()
        for stride in (1, 2)
    ]
    renderer = SceneRenderer(doorset.script())
    for index in visit_frames(doorset):
        engine.new_frame()
        image = renderer.render(index)
        for run in runs:
            if index % run.stride == 0:
                run.feed(image, index / FPS)
    return runs


def tracks_of(run: Run, visit: Visit) -> list[Track]:
    return [t for t in run.tracks.values() if visit.enter_s - 0.2 <= t.first_seen <= visit.leave_s]


def score(run: Run, doorset: DoorSet, show_votes: bool) -> Tally:
    tally = Tally(encodings=run.recognizer.encodings)
    for number, visit in enumerate(doorset.visits):
        tracks = tracks_of(run, visit)
        names = [run.named[t.track_id] for t in tracks if t.track_id in run.named]
        if visit.enrolled:
            tally.visits += 1
            right = visit.photo.identity in names
            wrong = [n for n in names if n != visit.photo.identity]
            tally.correct += right
            tally.missed += not right
            tally.wrong += len(wrong)
            verdict = "wrong " + ",".join(wrong) if wrong else ("named" if right else "MISSED")
        else:
            tally.stranger_visits += 1
            tally.strangers_named += bool(names)
            verdict = "STRANGER NAMED " + ",".join(names) if names else "stranger, not named"
        if show_votes or verdict in ("MISSED",) or verdict.startswith(("wrong", "STRANGER")):
            print(f"    visit {number:>2} {visit.photo.identity:>16} {visit.photo.path.name:>14}: {verdict}")
            for track in tracks:
                for logged in run.votes.get(track.track_id, []):
                    v = logged.vote
                    print(
                        f"        track {track.track_id:>3} t={logged.at - visit.enter_s:5.2f}s "
                        f"{logged.face_px:>3}px q={logged.quality:6.1f} {v.customer_ref} d={v.distance:.3f} "
                        f"second={v.second_distance or float('nan'):.3f}"
                    )
                print(f"        track {track.track_id:>3} ended {track.state.value}")
    return tally


@dataclass
class Sample:
    face_px: float
    quality: float  # sharpness x frontality, 0..1
    genuine: float | None  # to the visitor's own templates (customers only)
    impostor: float  # nearest other customer
    margin: float


def expected_face(visit: Visit, t: float) -> Box:
    progress = (t - visit.enter_s) / (visit.leave_s - visit.enter_s)
    cx = (visit.start.x + (visit.end.x - visit.start.x) * progress) * FRAME_W
    cy = (visit.start.y + (visit.end.y - visit.start.y) * progress) * FRAME_H
    half = visit.face_px(t) * 1.3
    return Box(
        top=max(0, int(cy - half)),
        right=min(FRAME_W, int(cx + half)),
        bottom=min(FRAME_H, int(cy + half)),
        left=max(0, int(cx - half)),
    )


def distance_samples(doorset: DoorSet, templates: dict[str, list[Template]]) -> list[Sample]:
    engine = FaceEngine()
    renderer = SceneRenderer(doorset.script())
    samples: list[Sample] = []
    for visit in doorset.visits:
        for index in range(int(visit.enter_s * FPS) + 1, int(visit.leave_s * FPS), 2):
            t = index / FPS
            image = renderer.render(index)
            found = engine.detect_region(image, expected_face(visit, t), 0.7 * visit.face_px(t))
            if len(found) != 1 or found[0].height < 40:
                continue
            box = found[0]
            template = engine.encode(image, [box])[0]
            quality = min(1.0, sharpness(image, box) / SHARP_ENOUGH) * frontality(image, box)
            samples.append(_sample(visit, box, quality, template, templates))
    return samples


def _sample(
    visit: Visit,
    box: Box,
    quality: float,
    template: Template,
    templates: dict[str, list[Template]],
) -> Sample:
    per_customer = {
        ref: min(float(np.linalg.norm(template - row)) for row in rows) for ref, rows in templates.items()
    }
    if visit.enrolled:
        genuine = per_customer.pop(visit.photo.identity)
        impostor = min(per_customer.values())
        return Sample(box.height, quality, genuine, impostor, impostor - genuine)
    nearest, second = sorted(per_customer.values())[:2]
    return Sample(box.height, quality, None, nearest, second - nearest)


def _percentiles(values: list[float]) -> str:
    if not values:
        return f"{'-':>6}" * (len(PERCENTILES) + 1)
    cells = [f"{len(values):>6}"] + [f"{np.percentile(values, q):6.3f}" for q in PERCENTILES]
    return "".join(cells)


def print_distributions(samples: list[Sample]) -> None:
    head = f"{'':>26}{'n':>6}" + "".join(f"{'p' + str(q):>6}" for q in PERCENTILES)
    binnings: list[tuple[str, tuple[tuple[float, float], ...], Callable[[Sample], float]]] = [
        ("face px", HEIGHT_BINS, lambda s: s.face_px),
        ("quality", QUALITY_BINS, lambda s: s.quality),
    ]
    for title, bins, key in binnings:
        print(f"\n  by {title}:\n  {head}")
        for low, high in bins:
            inside = [s for s in samples if low <= key(s) < high]
            genuine = [s for s in inside if s.genuine is not None]
            strangers = [s for s in inside if s.genuine is None]
            rows = [
                ("genuine distance", [s.genuine for s in genuine if s.genuine is not None]),
                ("customer's nearest other", [s.impostor for s in genuine]),
                ("customer's margin", [s.margin for s in genuine]),
                ("stranger's nearest", [s.impostor for s in strangers]),
                ("stranger's margin", [s.margin for s in strangers]),
            ]
            print(f"  {title} {low:g}-{high:g}")
            for label, values in rows:
                print(f"    {label:>24}{_percentiles(values)}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, help="labeled face set (default: $BRANCHDOOR_FACE_DATA)")
    parser.add_argument("--seeds", type=int, default=1, help="the documented seed, plus N-1 others")
    parser.add_argument("--votes", action="store_true", help="print every visit's votes, not only losses")
    parser.add_argument("--no-distances", action="store_true", help="skip the distance distributions")
    args = parser.parse_args()
    root = args.data or face_data_dir()
    if root is None:
        print("no labeled face set: set BRANCHDOOR_FACE_DATA to a folder with labels.csv", file=sys.stderr)
        return 2
    photos: dict[str, list[FacePhoto]] = usable_photos(root)
    seeds = [DOCUMENTED_SEED, *range(1, args.seeds)]
    totals = {(label, stride): Tally() for label in ("old", "new") for stride in (1, 2)}
    engine = FaceEngine(detect_width=800, upsample=1)
    for seed in seeds:
        doorset = build(photos, seed=seed)
        templates = enroll(doorset, engine)
        gallery = Gallery(
            [ref for ref, rows in templates.items() for _ in rows],
            np.stack([row for rows in templates.values() for row in rows]),
        )
        print(f"seed {seed}: {len(doorset.gallery)} customers, {len(doorset.visits)} visits", flush=True)
        for run in replay(doorset, gallery, {"old": OLD_RULE, "new": NEW_RULE}):
            print(f"  {run.label} rule, every {run.stride} frame(s):", flush=True)
            tally = score(run, doorset, args.votes)
            print(f"  {run.label} rule, every {run.stride} frame(s): {tally.line()}", flush=True)
            totals[(run.label, run.stride)].add(tally)
        if seed == DOCUMENTED_SEED and not args.no_distances:
            print_distributions(distance_samples(doorset, templates))
    print(f"\nall {len(seeds)} seed(s):")
    for (label, stride), tally in totals.items():
        print(f"  {label} rule, every {stride} frame(s): {tally.line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
