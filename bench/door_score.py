"""Scoring a door run as a teller lives it: each cue that reached the screen, against who was there.

A cue names someone. It is *correct* when that customer is in view (or left less than `GRACE_S`
ago) and not yet greeted on this visit; a second cue for the same visit is a *duplicate*; a cue for
someone not in view is *wrong* (or a *stranger named*, when only people not enrolled were there).
Staff in view and attacks (a photo or a screen held up) are tallied apart. Latency is from the
moment the camera sent the first frame in which the face had the configured minimum face size
(`[recognition] min_face_px`: from there on it may be encoded) to the moment the cue arrived at the
screen, both on this process's monotonic clock; beside it, the same from the smallest face searched
for (`scan_min_face_px`, when the tracker may first see it), from 80 px (the figure before #16) and
from the first frame the person was in at all, however small. Face sizes are the scene's geometry (the
photo's face box, scaled); the detector's box for the same face can be a little larger, so a name
can come "before" a size: such latencies are negative, and kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

GRACE_S = 2.0  # a cue up to this long after someone left still belongs to their visit

Kind = Literal["customer", "stranger", "staff", "print", "screen"]


@dataclass(frozen=True)
class Expected:
    """Someone crossing the door in the scene."""

    identity: str
    kind: Kind
    enter_s: float
    leave_s: float
    group_size: int = 1
    detectable_s: float | None = None  # scene time the face reaches the configured minimum face size
    searched_s: float | None = None  # scene time the face reaches the smallest size searched for
    at_80px_s: float | None = None

    @property
    def is_attack(self) -> bool:
        return self.kind in ("print", "screen")


@dataclass(frozen=True)
class Arrival:
    """A cue as the screen received it."""

    scene_s: float
    received: float  # monotonic
    customer_ref: str
    verify: bool = False  # the cue asked the teller to verify before greeting


@dataclass
class Tally:
    name: str
    video_s: float
    cpu_s: float
    visits: int = 0
    stranger_visits: int = 0
    correct: int = 0
    missed: int = 0
    wrong_identity: int = 0
    strangers_named: int = 0
    duplicates: int = 0
    staff_passes: int = 0
    staff_cued: int = 0
    attacks: int = 0
    attacks_greeted: int = 0  # named without asking the teller to verify
    attacks_flagged: int = 0
    genuine_flagged: int = 0  # correct cues that asked the teller to verify
    groups: dict[int, list[int]] = field(default_factory=dict)  # size -> [visits, correct]
    latency_screen_ms: list[float] = field(default_factory=list)
    latency_searched_ms: list[float] = field(default_factory=list)
    latency_entered_ms: list[float] = field(default_factory=list)  # from the first frame they were in
    latency_80px_ms: list[float] = field(default_factory=list)
    dropped: int = 0
    notes: list[str] = field(default_factory=list)  # each cue that was not a correct one, and why

    @property
    def cpu_per_video_s(self) -> float:
        return self.cpu_s / self.video_s

    @property
    def checked_in_share(self) -> float:
        return self.correct / self.visits if self.visits else math.nan

    @staticmethod
    def percentile(samples: list[float], q: float) -> float:
        return float(np.percentile(samples, q)) if samples else math.nan

    def group_visits(self, min_size: int = 2) -> int:
        return sum(v for size, (v, _) in self.groups.items() if size >= min_size)

    def group_correct(self, min_size: int = 2) -> int:
        return sum(c for size, (_, c) in self.groups.items() if size >= min_size)


def collapse(arrivals: Iterable[Arrival], gap_s: float = GRACE_S) -> list[Arrival]:
    """One greeting per name and stretch of time: a loop that names a face on every frame greets once."""
    kept: list[Arrival] = []
    last: dict[str, float] = {}
    for arrival in sorted(arrivals, key=lambda a: a.scene_s):
        previous = last.get(arrival.customer_ref)
        last[arrival.customer_ref] = arrival.scene_s
        if previous is None or arrival.scene_s - previous > gap_s:
            kept.append(arrival)
    return kept


def score(
    tally: Tally,
    expected: list[Expected],
    arrivals: list[Arrival],
    sent: Callable[[float], float | None],
) -> Tally:
    greeted: set[int] = set()
    for person in expected:
        if person.kind == "customer":
            tally.visits += 1
            entry = tally.groups.setdefault(person.group_size, [0, 0])
            entry[0] += 1
        elif person.kind == "stranger":
            tally.stranger_visits += 1
        elif person.kind == "staff":
            tally.staff_passes += 1
        else:
            tally.attacks += 1
    for arrival in sorted(arrivals, key=lambda a: a.scene_s):
        in_view = [
            (i, p) for i, p in enumerate(expected) if p.enter_s <= arrival.scene_s <= p.leave_s + GRACE_S
        ]
        same = [(i, p) for i, p in in_view if p.identity == arrival.customer_ref and p.kind != "stranger"]
        fresh = [(i, p) for i, p in same if i not in greeted]
        if not fresh:
            there = ", ".join(f"{p.identity} ({p.kind})" for _, p in in_view) or "nobody"
            if same:
                tally.duplicates += 1
                what = "duplicate"
            elif in_view and all(p.kind == "stranger" for _, p in in_view):
                tally.strangers_named += 1
                what = "stranger named"
            else:
                tally.wrong_identity += 1
                what = "wrong"
            tally.notes.append(
                f"{what}: {arrival.customer_ref} at {arrival.scene_s:.1f} s; at the door: {there}"
            )
            continue
        # A customer before staff before an attack: the most favourable reading of an ambiguous cue.
        i, person = min(fresh, key=lambda ip: ("customer", "staff", "print", "screen").index(ip[1].kind))
        greeted.add(i)
        if person.kind == "staff":
            tally.staff_cued += 1
        elif person.is_attack:
            if arrival.verify:
                tally.attacks_flagged += 1
            else:
                tally.attacks_greeted += 1
        else:
            tally.correct += 1
            tally.genuine_flagged += arrival.verify
            tally.groups[person.group_size][1] += 1
            for start, samples in (
                (person.detectable_s, tally.latency_screen_ms),
                (person.searched_s, tally.latency_searched_ms),
                (person.enter_s, tally.latency_entered_ms),
                (person.at_80px_s, tally.latency_80px_ms),
            ):
                sent_at = sent(start) if start is not None else None
                if sent_at is not None:
                    samples.append((arrival.received - sent_at) * 1000)
    tally.missed = tally.visits - tally.correct
    tally.notes += [
        f"missed: {p.identity} ({p.enter_s:.1f}-{p.leave_s:.1f} s, group of {p.group_size})"
        for i, p in enumerate(expected)
        if p.kind == "customer" and i not in greeted
    ]
    return tally
