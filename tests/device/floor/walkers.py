"""Scripted people for floor tests: piecewise-linear walks sampled at the sensor rate, with noise."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from device.floor.tracker import Observation

Waypoint = tuple[float, float, float]  # (t, x_m, y_m); the walker exists from the first t to the last


@dataclass(frozen=True)
class Walker:
    waypoints: Sequence[Waypoint]

    def at(self, t: float) -> tuple[float, float] | None:
        points = self.waypoints
        if t < points[0][0] or t > points[-1][0]:
            return None
        for (t0, x0, y0), (t1, x1, y1) in itertools.pairwise(points):
            if t0 <= t <= t1:
                f = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
                return (x0 + f * (x1 - x0), y0 + f * (y1 - y0))
        return (points[-1][1], points[-1][2])


def frames(
    walkers: Sequence[Walker],
    *,
    start: float,
    end: float,
    hz: float = 10.0,
    noise_m: float = 0.05,
    seed: int = 7,
    dropped: frozenset[int] = frozenset(),
    ghosts: Mapping[int, Sequence[tuple[float, float]]] | None = None,
) -> Iterator[tuple[float, list[Observation]]]:
    """Sensor frames from `start` (absolute) over walker times 0..`end` s: noisy, in shuffled order.

    `dropped` frame numbers are never delivered (a lost serial frame); `ghosts` adds false targets
    (reflections) to the given frame numbers.
    """
    rng = random.Random(seed)
    ghosts = ghosts or {}
    for n in range(round(end * hz) + 1):
        offset = n / hz
        if n in dropped:
            continue
        t = start + offset
        observations = [
            Observation(t, x + rng.gauss(0, noise_m), y + rng.gauss(0, noise_m))
            for walker in walkers
            if (position := walker.at(offset)) is not None
            for x, y in [position]
        ]
        observations.extend(Observation(t, x, y) for x, y in ghosts.get(n, ()))
        # Radar targets come in slot order, which says nothing about who is who.
        rng.shuffle(observations)
        yield t, observations
