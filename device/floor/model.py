"""The floor model: frames of positions in, live snapshot and 15-minute history bins out."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from device.floor.config import FloorConfig
from device.floor.counting import FloorEvent, FootfallCounter, LineCrossing, ZoneVisit
from device.floor.geometry import point_in_polygon
from device.floor.records import FloorBin, FloorSnapshot, Grid
from device.floor.staff import StaffCrossings
from device.floor.tracker import Observation, Track, Tracker


@dataclass
class _BinTotals:
    start: float
    grid: Grid
    observed_s: float = 0.0
    occupancy_s: float = 0.0
    occupancy_max: int = 0
    line_in: dict[str, int] = field(default_factory=dict)
    line_out: dict[str, int] = field(default_factory=dict)
    visits: dict[str, list[float]] = field(default_factory=dict)
    # What a resumed bin's squared dwells hold beyond its count x mean^2 (its spread), per zone.
    resumed_spread_s2: dict[str, float] = field(default_factory=dict)


class FloorModel:
    def __init__(self, config: FloorConfig, tracker: Tracker | None = None) -> None:
        self.config = config
        self.tracker = tracker or Tracker()
        self.counter = FootfallCounter(config)
        self._floor = config.floor_polygon
        self._bins: dict[float, _BinTotals] = {}
        self._closed_until = -math.inf
        self._day: dt.date | None = None
        self._ins_today = dict.fromkeys((line.name for line in config.door_lines), 0)
        self._outs_today = dict(self._ins_today)
        self._staff = StaffCrossings(config.staff_window_s)
        self.staff_ins_today = 0  # inbound crossings paired with staff named at the door: not footfall

    def ingest(
        self, t: float, observations: Sequence[Observation], frame_period_s: float
    ) -> list[FloorEvent]:
        """One sensor frame at time t; returns the crossings and visits that became certain."""
        events: list[FloorEvent] = []
        # Expire first, so a track long unseen cannot adopt someone who has just walked in.
        for track in self.tracker.expire(t):
            events.extend(self.counter.end(track))
        for track in self.tracker.update(t, observations):
            events.extend(self.counter.observe(track, t))
        for event in events:
            self._record(event)
        present = self._present()
        totals = self._bin_at(t)
        totals.observed_s += frame_period_s
        totals.occupancy_s += len(present) * frame_period_s
        totals.occupancy_max = max(totals.occupancy_max, len(present))
        rows, cols = totals.grid.shape
        for track in present:
            row = min(rows - 1, max(0, int(track.y / self.config.cell_size_m)))
            col = min(cols - 1, max(0, int(track.x / self.config.cell_size_m)))
            totals.grid[row, col] += frame_period_s
        return events

    def staff_named(self, t: float) -> None:
        """The door camera named a member of staff at t: their inbound crossing, before or after, is
        not footfall. A crossing whose quarter hour is already stored stays counted (at a bin's edge)."""
        crossing = self._staff.named(t)
        if crossing is None or _local_date(crossing.t) != self._day:
            return
        start = self._bin_start(crossing.t)
        totals = self._bins.get(start) if start >= self._closed_until else None
        if totals is None or totals.line_in.get(crossing.line, 0) < 1:
            return
        totals.line_in[crossing.line] -= 1
        self._ins_today[crossing.line] -= 1
        self.staff_ins_today += 1

    def snapshot(self, now: float) -> FloorSnapshot:
        present = self._present()
        zone_counts = {
            zone.name: sum(point_in_polygon(track.position, zone.polygon) for track in present)
            for zone in self.config.zones
        }
        queues = self.config.zones_of_kind("queue")
        queue_length = sum(
            any(point_in_polygon(track.position, zone.polygon) for zone in queues) for track in present
        )
        busy_counters = sum(zone_counts[zone.name] > 0 for zone in self.config.zones_of_kind("counter"))
        # With nobody at a counter we still assume one teller will serve the queue.
        wait = queue_length * self.config.service_time_s / max(1, busy_counters)
        today = self._day is not None and self._day == _local_date(now)
        return FloorSnapshot(
            at=now,
            occupancy=len(present),
            zone_counts=zone_counts,
            ins_today={name: count if today else 0 for name, count in self._ins_today.items()},
            outs_today={name: count if today else 0 for name, count in self._outs_today.items()},
            queue_length=queue_length,
            estimated_wait_s=wait,
        )

    def close_bins(self, until: float) -> list[FloorBin]:
        """Finish every bin that ended at or before `until`, oldest first. Unobserved bins yield nothing."""
        finished: list[FloorBin] = []
        for start in sorted(self._bins):
            if start + self.config.bin_s > until:
                break
            finished.append(self._finish(self._bins.pop(start)))
        self._closed_until = max(self._closed_until, self._bin_start(until))
        return finished

    def take_open_bins(self) -> list[FloorBin]:
        """Every bin still accumulating, as it stands: what a stop would otherwise lose."""
        return [self._finish(self._bins.pop(start)) for start in sorted(self._bins)]

    def resume(self, kept: list[FloorBin], now: float) -> list[FloorBin]:
        """Carry on bins kept at the last stop: the one still running goes on accumulating; those
        whose quarter hour ended while the daemon was down are returned, finished as they were."""
        finished = []
        for floor_bin in kept:
            if floor_bin.end <= now or floor_bin.grid.shape != self.config.grid_shape:
                finished.append(floor_bin)
                continue
            totals = self._bin_at(floor_bin.start)
            totals.grid += floor_bin.grid
            totals.observed_s += floor_bin.observed_s
            totals.occupancy_s += floor_bin.occupancy_mean * floor_bin.observed_s
            totals.occupancy_max = max(totals.occupancy_max, floor_bin.occupancy_max)
            for line, count in floor_bin.line_in.items():
                totals.line_in[line] = totals.line_in.get(line, 0) + count
            for line, count in floor_bin.line_out.items():
                totals.line_out[line] = totals.line_out.get(line, 0) + count
            for zone, count in floor_bin.zone_visits.items():
                # Only the count and mean survive a stop; `count` dwells at the mean keep both exact.
                mean = floor_bin.zone_mean_dwell_s.get(zone) or 0.0
                totals.visits.setdefault(zone, []).extend([mean] * count)
                spread = floor_bin.zone_dwell_sq_s.get(zone, count * mean * mean) - count * mean * mean
                totals.resumed_spread_s2[zone] = totals.resumed_spread_s2.get(zone, 0.0) + spread
        return finished

    def _present(self) -> list[Track]:
        """Confirmed people on the floor; those outside the outline (the street side) are not in."""
        return [
            track
            for track in self.tracker.active
            if track.confirmed and point_in_polygon(track.position, self._floor)
        ]

    def _record(self, event: FloorEvent) -> None:
        if isinstance(event, LineCrossing):
            day = _local_date(event.t)
            if day != self._day:
                self._day = day
                self._ins_today = dict.fromkeys(self._ins_today, 0)
                self._outs_today = dict.fromkeys(self._outs_today, 0)
                self.staff_ins_today = 0
            totals = self._bin_at(event.t)
            if event.direction == "in" and self._staff.is_staff(event):
                self.staff_ins_today += 1
            elif event.direction == "in":
                self._ins_today[event.line] += 1
                totals.line_in[event.line] = totals.line_in.get(event.line, 0) + 1
            else:
                self._outs_today[event.line] += 1
                totals.line_out[event.line] = totals.line_out.get(event.line, 0) + 1
        elif isinstance(event, ZoneVisit):
            # A visit is known only when it ends, so it belongs to the bin in which the person left.
            self._bin_at(event.left).visits.setdefault(event.zone, []).append(event.dwell_s)

    def _bin_start(self, t: float) -> float:
        return math.floor(t / self.config.bin_s) * self.config.bin_s

    def _bin_at(self, t: float) -> _BinTotals:
        # Events are certain a little late (confirmation, exit grace); if their bin is already closed and
        # stored, they go to the oldest open bin rather than being lost.
        start = max(self._bin_start(t), self._closed_until)
        totals = self._bins.get(start)
        if totals is None:
            totals = _BinTotals(start, np.zeros(self.config.grid_shape, dtype=np.float32))
            self._bins[start] = totals
        return totals

    def _finish(self, totals: _BinTotals) -> FloorBin:
        lines = [line.name for line in self.config.door_lines]
        zones = [zone.name for zone in self.config.zones]
        visits = {name: totals.visits.get(name, []) for name in zones}
        return FloorBin(
            start=totals.start,
            bin_s=self.config.bin_s,
            observed_s=totals.observed_s,
            line_in={name: totals.line_in.get(name, 0) for name in lines},
            line_out={name: totals.line_out.get(name, 0) for name in lines},
            zone_visits={name: len(dwells) for name, dwells in visits.items()},
            zone_mean_dwell_s={
                name: (sum(dwells) / len(dwells) if dwells else None) for name, dwells in visits.items()
            },
            occupancy_max=totals.occupancy_max,
            occupancy_mean=totals.occupancy_s / totals.observed_s if totals.observed_s else 0.0,
            grid=totals.grid,
            zone_dwell_sq_s={
                name: sum(dwell * dwell for dwell in dwells) + totals.resumed_spread_s2.get(name, 0.0)
                for name, dwells in visits.items()
            },
        )


def _local_date(t: float) -> dt.date:
    """The branch's calendar day: "today" on a manager's screen starts at local midnight."""
    return dt.datetime.fromtimestamp(t).astimezone().date()
