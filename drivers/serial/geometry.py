"""Where a sensor sits on the floor, and the conversion between floor metres and its local millimetres.

Floor: metres, x and y on the branch plan. A sensor at (x_m, y_m) looks along `heading_deg`
(0 = the floor's +y axis, counter-clockwise positive, so 90 looks along -x). Sensor-local
coordinates are the LD2450's: +y straight ahead, +x to the sensor's right, in millimetres.
Lives with the drivers because real installations need `to_floor` as much as emulators need
`to_sensor`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Placement:
    x_m: float
    y_m: float
    heading_deg: float

    def _axes(self) -> tuple[tuple[float, float], tuple[float, float]]:
        h = math.radians(self.heading_deg)
        forward = (-math.sin(h), math.cos(h))
        right = (math.cos(h), math.sin(h))  # forward turned 90 degrees clockwise
        return forward, right

    def to_sensor(self, x_m: float, y_m: float) -> tuple[int, int]:
        """Floor point -> (x_mm, y_mm) as the sensor reports it, rounded to the millimetre."""
        forward, right = self._axes()
        dx, dy = x_m - self.x_m, y_m - self.y_m
        lateral = dx * right[0] + dy * right[1]
        ahead = dx * forward[0] + dy * forward[1]
        return round(1000 * lateral), round(1000 * ahead)

    def to_floor(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        """Sensor-local millimetres -> floor metres."""
        forward, right = self._axes()
        lateral, ahead = x_mm / 1000, y_mm / 1000
        return (
            self.x_m + lateral * right[0] + ahead * forward[0],
            self.y_m + lateral * right[1] + ahead * forward[1],
        )

    def bearing_deg(self, x_m: float, y_m: float) -> float:
        """Angle off the sensor's axis, positive to its right."""
        x_mm, y_mm = self.to_sensor(x_m, y_m)
        return math.degrees(math.atan2(x_mm, y_mm))

    def distance_m(self, x_m: float, y_m: float) -> float:
        return math.hypot(x_m - self.x_m, y_m - self.y_m)
