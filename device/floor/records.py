"""What the floor model reports: a live snapshot for screens, and finished history bins for storage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Grid = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class FloorSnapshot:
    """The floor now: people present, per zone, door totals since local midnight, the queue."""

    at: float
    occupancy: int
    zone_counts: Mapping[str, int]
    ins_today: Mapping[str, int]
    outs_today: Mapping[str, int]
    queue_length: int
    estimated_wait_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "occupancy": self.occupancy,
            "zones": dict(self.zone_counts),
            "lines": {
                name: {"in": self.ins_today[name], "out": self.outs_today[name]} for name in self.ins_today
            },
            "queue_length": self.queue_length,
            "estimated_wait_s": round(self.estimated_wait_s, 1),
        }


@dataclass(frozen=True, slots=True)
class FloorBin:
    """One finished history bin. `grid` holds occupancy-seconds per floor cell, rows along y."""

    start: float
    bin_s: int
    observed_s: float  # how much of the bin the sensors were actually reporting
    line_in: Mapping[str, int]
    line_out: Mapping[str, int]
    zone_visits: Mapping[str, int]
    zone_mean_dwell_s: Mapping[str, float | None]
    occupancy_max: int
    occupancy_mean: float
    grid: Grid = field(compare=False, repr=False)
    # Per zone, the sum of squared dwells: with the count and mean it gives the spread of service times
    # and waits (device/staffing) without keeping any one person's stay. Empty in bins stored before it.
    zone_dwell_sq_s: Mapping[str, float] = field(default_factory=dict)

    @property
    def end(self) -> float:
        return self.start + self.bin_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "bin_s": self.bin_s,
            "observed_s": round(self.observed_s, 1),
            "lines": {name: {"in": self.line_in[name], "out": self.line_out[name]} for name in self.line_in},
            "zones": {
                name: {"visits": self.zone_visits[name], "mean_dwell_s": self.zone_mean_dwell_s[name]}
                for name in self.zone_visits
            },
            "occupancy_max": self.occupancy_max,
            "occupancy_mean": round(self.occupancy_mean, 2),
            "grid_shape": list(self.grid.shape),
            "grid_s": np.round(self.grid, 1).tolist(),
        }


@dataclass(frozen=True, slots=True)
class ZoneStays:
    """A stored bin's zone stays alone (no heat grid): what the staffing plan reads of the history."""

    start: float
    zone_visits: Mapping[str, int]
    zone_mean_dwell_s: Mapping[str, float | None]
    zone_dwell_sq_s: Mapping[str, float]
