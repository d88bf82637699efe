"""The `attacks` scene: enrolled customers' photos held up at the door, printed or on a phone.

Each customer visit's photo of the door sequence is held up once more, as a print or on a phone
(alternating, in a seeded order; device/demo/attacks.py composes them), in the empty stretches
between visits where one fits and after the sequence for the rest. The genuine visits stay as they
are, so the same run says how many attacks were greeted and how many customers the check cost.
bench/attacks.py replays every photo both ways offline; this scene puts the real daemon in front.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import get_args

from bench.door_scenes import Scene, gaps, with_actors
from bench.door_score import GRACE_S, Expected
from device.demo.attacks import HOLD_S, AttackKind, attack_actors

# An attack, the grace a late cue has, and a clear second before the next person: no overlap.
SLOT_S = 1.0 + HOLD_S + GRACE_S + 1.0


def add_attacks(scene: Scene, workdir: Path) -> None:
    rng = random.Random(scene.doorset.seed + 2)
    kinds: tuple[AttackKind, ...] = get_args(AttackKind)
    photos = [v.photo for v in scene.doorset.visits if v.enrolled]
    rng.shuffle(photos)
    starts = [start + 1.0 for start in gaps(scene.doorset.visits, scene.duration_s, SLOT_S)]
    end = scene.duration_s
    while len(starts) < len(photos):
        starts.append(end + 1.0)
        end += SLOT_S
    actors = []
    for n, (photo, start) in enumerate(zip(photos, starts, strict=False)):
        kind = kinds[n % len(kinds)]
        actors += attack_actors(photo, kind, start, rng, workdir)
        scene.expected.append(Expected(photo.identity, kind, start, start + HOLD_S))
    scene.script = with_actors(scene.script, actors).model_copy(update={"duration_s": end})
    held = sum(p.is_attack for p in scene.expected)
    scene.extra.append(f"{held} photos of customers held up ({', '.join(kinds)} in turn)")
