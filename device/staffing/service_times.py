"""What the floor saw of service and waiting: the stays in counter zones (a teller serving) and in queue
zones (a customer waiting), summed per local hour of day from the floor's bins. Counts, sums and sums of
squares only: no one person's stay is kept."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from device.floor.config import FloorConfig
from device.floor.records import FloorBin, ZoneStays

# Below this many stays an hour of day's mean and spread are noise; the overall figure is used instead.
MIN_STAYS = 30

# Without a floor plan nothing is observed: the plan rests on [floor] service_time_s's default (cv 1).
DEFAULT_SERVICE_S: float = FloorConfig.model_fields["service_time_s"].default

Source = Literal["hour of day", "overall", "configured"]


@dataclass(slots=True)
class Stays:
    """How many stays, their sum and their sum of squares (the sum of squares only where known)."""

    count: int = 0
    total_s: float = 0.0
    with_spread: int = 0
    spread_total_s: float = 0.0
    total_sq_s2: float = 0.0

    def add(self, count: int, mean_s: float, sq_s2: float | None) -> None:
        self.count += count
        self.total_s += count * mean_s
        if sq_s2 is not None:
            self.with_spread += count
            self.spread_total_s += count * mean_s
            self.total_sq_s2 += sq_s2

    def merged(self, other: Stays) -> Stays:
        return Stays(
            self.count + other.count,
            self.total_s + other.total_s,
            self.with_spread + other.with_spread,
            self.spread_total_s + other.spread_total_s,
            self.total_sq_s2 + other.total_sq_s2,
        )

    @property
    def mean_s(self) -> float | None:
        return self.total_s / self.count if self.count else None

    @property
    def cv(self) -> float | None:
        """Standard deviation over mean; None below MIN_STAYS stays with a known spread."""
        if self.with_spread < MIN_STAYS or self.spread_total_s <= 0:
            return None
        mean = self.spread_total_s / self.with_spread
        variance = max(0.0, self.total_sq_s2 / self.with_spread - mean * mean)
        return math.sqrt(variance) / mean


@dataclass(frozen=True, slots=True)
class ServiceTime:
    mean_s: float
    cv: float
    source: Source
    stays: int  # how many served customers the figure rests on (0: configured)


@dataclass(frozen=True, slots=True)
class ObservedService:
    """Counter stays (service) and queue stays (waits) per local hour of day, 0-23."""

    service: Mapping[int, Stays] = field(default_factory=dict)
    waits: Mapping[int, Stays] = field(default_factory=dict)

    def service_at(self, hour: int, configured_s: float) -> ServiceTime:
        """The hour of day's own figure with enough stays, else the overall one, else the configured
        service time with cv 1 (exponential: the textbook's assumption, and a cautious one)."""
        own = self.service.get(hour)
        if own is not None and own.count >= MIN_STAYS and own.mean_s is not None:
            return ServiceTime(own.mean_s, _cv_or(own, self._overall(self.service)), "hour of day", own.count)
        overall = self._overall(self.service)
        if overall.count >= MIN_STAYS and overall.mean_s is not None:
            return ServiceTime(overall.mean_s, overall.cv or 1.0, "overall", overall.count)
        return ServiceTime(configured_s, 1.0, "configured", 0)

    def overall_service(self) -> Stays:
        return self._overall(self.service)

    def overall_wait(self) -> Stays:
        return self._overall(self.waits)

    @staticmethod
    def _overall(by_hour: Mapping[int, Stays]) -> Stays:
        total = Stays()
        for stays in by_hour.values():
            total = total.merged(stays)
        return total


def _cv_or(own: Stays, overall: Stays) -> float:
    return own.cv or overall.cv or 1.0


def observed_service(bins: Iterable[FloorBin | ZoneStays], zone_kinds: Mapping[str, str]) -> ObservedService:
    """Sum the bins' counter and queue zone stays by the local hour of day the stay ended in."""
    service: dict[int, Stays] = {}
    waits: dict[int, Stays] = {}
    for floor_bin in bins:
        hour = dt.datetime.fromtimestamp(floor_bin.start).astimezone().hour
        for zone, count in floor_bin.zone_visits.items():
            mean = floor_bin.zone_mean_dwell_s.get(zone)
            kind = zone_kinds.get(zone)
            if not count or mean is None or kind not in ("counter", "queue"):
                continue
            into = service if kind == "counter" else waits
            into.setdefault(hour, Stays()).add(count, mean, floor_bin.zone_dwell_sq_s.get(zone))
    return ObservedService(service, waits)
