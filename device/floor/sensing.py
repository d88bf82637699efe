"""From serial readings to floor observations: each sensor's readings placed on the branch plan.

Only pure conversions live here; the threads that run sensors are in `service.py`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from device.floor.tracker import Observation
from drivers.serial.geometry import Placement
from drivers.serial.readings import PresenceReading, RangeReading, Reading, TargetsReading

# A ranger or presence radar sees one thing on its axis; beyond this it reports the far wall.
MAX_AXIS_RANGE_MM = 6000
# Two sensors seeing one person report points this close: they are merged into one observation.
SAME_PERSON_M = 0.4


def observations_from(
    reading: Reading, placement: Placement, t: float, range_m: float = 6.0
) -> list[Observation] | None:
    """Floor observations in one reading, or None when the reading says nothing about people."""
    if isinstance(reading, TargetsReading):
        reach_mm = range_m * 1000
        return [
            _at(placement, t, target.x_mm, target.y_mm)
            for target in reading.targets
            if math.hypot(target.x_mm, target.y_mm) <= reach_mm
        ]
    if isinstance(reading, PresenceReading):
        if reading.state == 0:
            return []
        distance_cm = reading.moving_cm if reading.state & 1 else reading.stationary_cm
        return [_at(placement, t, 0, distance_cm * 10)] if 0 < distance_cm * 10 <= MAX_AXIS_RANGE_MM else []
    if isinstance(reading, RangeReading):
        return [_at(placement, t, 0, reading.distance_mm)] if reading.distance_mm <= MAX_AXIS_RANGE_MM else []
    return None  # command acknowledgements


def _at(placement: Placement, t: float, x_mm: float, y_mm: float) -> Observation:
    x_m, y_m = placement.to_floor(x_mm, y_mm)
    return Observation(t, x_m, y_m)


def merge(per_sensor: Sequence[Sequence[Observation]], t: float) -> list[Observation]:
    """One observation per person when several sensors overlap, at time t (the floor tick).

    Two targets of the *same* sensor are two people, however close: only observations from different
    sensors are merged, each with the nearest unclaimed one within SAME_PERSON_M.
    """
    groups: list[list[Observation]] = []
    for observations in sorted(per_sensor, key=len, reverse=True):
        claimed: set[int] = set()
        for obs in observations:
            best, best_distance = -1, SAME_PERSON_M
            for index, group in enumerate(groups):
                if index in claimed:
                    continue
                gx = sum(o.x_m for o in group) / len(group)
                gy = sum(o.y_m for o in group) / len(group)
                distance = math.hypot(obs.x_m - gx, obs.y_m - gy)
                if distance <= best_distance:
                    best, best_distance = index, distance
            if best < 0:
                groups.append([obs])
                claimed.add(len(groups) - 1)
            else:
                groups[best].append(obs)
                claimed.add(best)
    return [Observation(t, sum(o.x_m for o in g) / len(g), sum(o.y_m for o in g) / len(g)) for g in groups]
