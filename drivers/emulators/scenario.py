"""People walking scripted paths over the floor: what every emulated sensor looks at.

A walker's path is piecewise linear through (t_s, x_m, y_m) points; the walker is on the floor from
its first point's time to its last, and absent otherwise.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Walker:
    points: tuple[tuple[float, float, float], ...]  # (t_s, x_m, y_m), strictly increasing t
    name: str = ""  # what the walker does, for people reading a scenario (walkers_file.py prints it)

    def __post_init__(self) -> None:
        if not self.points:
            raise ValueError("a walker needs at least one point")
        times = [p[0] for p in self.points]
        if any(b <= a for a, b in itertools.pairwise(times)):
            raise ValueError(f"walker times must strictly increase: {times}")

    def position_at(self, t: float) -> tuple[float, float] | None:
        first, last = self.points[0], self.points[-1]
        if not first[0] <= t <= last[0]:
            return None
        for (t0, x0, y0), (t1, x1, y1) in itertools.pairwise(self.points):
            if t0 <= t <= t1:
                f = (t - t0) / (t1 - t0)
                return x0 + f * (x1 - x0), y0 + f * (y1 - y0)
        return first[1], first[2]  # a single-point walker standing still for an instant


@dataclass(frozen=True, slots=True)
class Scenario:
    walkers: tuple[Walker, ...]
    duration_s: float

    def positions_at(self, t: float) -> list[tuple[int, float, float]]:
        """(walker index, x_m, y_m) for every walker on the floor at t."""
        found: list[tuple[int, float, float]] = []
        for index, walker in enumerate(self.walkers):
            position = walker.position_at(t)
            if position is not None:
                found.append((index, *position))
        return found


def door_traffic() -> Scenario:
    """A minute at a small branch (door at y = 0, counter at y = 6): for tests and the demo."""
    return Scenario(
        walkers=(
            Walker(
                ((0.0, 2.0, 0.0), (6.0, 2.0, 5.0), (20.0, 2.2, 5.2), (26.0, 2.0, 0.0)),
                "in, 14 s at the counter, out",
            ),
            Walker(
                ((5.0, 3.0, 0.0), (10.0, 4.0, 4.0), (40.0, 4.0, 4.2), (46.0, 3.0, 0.0)),
                "in, waits 30 s mid-floor, out",
            ),
            Walker(
                ((15.0, 1.0, 0.0), (22.0, 5.0, 5.5), (50.0, 5.0, 5.5), (58.0, 1.0, 0.0)),
                "in, waits 28 s in the far corner, out",
            ),
        ),
        duration_s=60.0,
    )
