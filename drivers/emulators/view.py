"""What a sensor at a placement can see of a scenario: who is in its cone, nearest first."""

from __future__ import annotations

import math
from dataclasses import dataclass

from drivers.emulators.scenario import Scenario
from drivers.serial.geometry import Placement

SPEED_DT_S = 0.1  # span of the finite difference behind the radial speed


@dataclass(frozen=True, slots=True)
class Sighting:
    walker: int
    x_mm: int  # sensor-local
    y_mm: int
    distance_mm: int
    radial_mm_s: float  # negative = approaching
    moving: bool


def in_view(
    scenario: Scenario, placement: Placement, t: float, max_range_m: float, half_angle_deg: float
) -> list[Sighting]:
    earlier = {i: (x, y) for i, x, y in scenario.positions_at(t - SPEED_DT_S)}
    seen: list[Sighting] = []
    for index, x, y in scenario.positions_at(t):
        distance = placement.distance_m(x, y)
        if distance > max_range_m or abs(placement.bearing_deg(x, y)) > half_angle_deg:
            continue
        radial, moving = 0.0, False
        if index in earlier:
            ex, ey = earlier[index]
            radial = (distance - placement.distance_m(ex, ey)) / SPEED_DT_S * 1000
            moving = math.hypot(x - ex, y - ey) / SPEED_DT_S > 0.1  # faster than 10 cm/s
        x_mm, y_mm = placement.to_sensor(x, y)
        seen.append(Sighting(index, x_mm, y_mm, round(distance * 1000), radial, moving))
    return sorted(seen, key=lambda s: s.distance_mm)
