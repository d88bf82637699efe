"""What a period of stored floor bins adds up to: the heat grid, door totals, zone visits, the busiest
moment and how long the sensors actually watched. Pure: the caller reads the bins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from device.floor.records import FloorBin, Grid


@dataclass(frozen=True, slots=True)
class FloorTotals:
    grid: Grid  # occupancy-seconds per cell, rows along y
    line_in: Mapping[str, int]
    line_out: Mapping[str, int]
    zone_visits: Mapping[str, int]
    occupancy_max: int
    observed_s: float  # how long at least one sensor was reporting, summed over the bins
    bins: int

    @property
    def people_in(self) -> int:
        """People who came in, over every door line: the period's people count."""
        return sum(self.line_in.values())

    @property
    def people_out(self) -> int:
        return sum(self.line_out.values())

    @classmethod
    def of(cls, bins: Sequence[FloorBin], grid_shape: tuple[int, int]) -> FloorTotals:
        """The sum of `bins` (any order); an empty sequence is an empty floor of `grid_shape`."""
        grid = np.zeros(grid_shape, dtype=np.float32)
        line_in: dict[str, int] = {}
        line_out: dict[str, int] = {}
        zones: dict[str, int] = {}
        for floor_bin in bins:
            if floor_bin.grid.shape != grid.shape:
                # The floor plan (size or cell) changed inside the range: cells no longer line up.
                raise ValueError(
                    f"floor bins of {floor_bin.grid.shape} cells and a plan of {grid.shape} cells cannot "
                    "be summed: the plan changed in this period; ask for the time since the change"
                )
            grid += floor_bin.grid
            _add(line_in, floor_bin.line_in)
            _add(line_out, floor_bin.line_out)
            _add(zones, floor_bin.zone_visits)
        return cls(
            grid=grid,
            line_in=line_in,
            line_out=line_out,
            zone_visits=zones,
            occupancy_max=max((b.occupancy_max for b in bins), default=0),
            observed_s=sum(b.observed_s for b in bins),
            bins=len(bins),
        )


def _add(total: dict[str, int], counts: Mapping[str, int]) -> None:
    for name, count in counts.items():
        total[name] = total.get(name, 0) + count
