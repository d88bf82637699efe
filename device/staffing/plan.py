"""The staffing plan: for each hour of the forecast, the counters to open so that the configured share
of customers waits at most the configured time, and the wait to expect with that many open.

Arrivals per hour are the forecast's mean (Poisson within the hour); service times are those the floor
observed (device/staffing/service_times.py). An hour forecast to have no visitor (the published forecast
rounds to 0) is closed: no counter. An hour where even every counter of the branch falls short is
flagged, with the outlook of all of them open.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from device.staffing.config import StaffingConfig
from device.staffing.erlang import counters_needed
from device.staffing.service_times import ObservedService, ServiceTime


@dataclass(frozen=True, slots=True)
class PlanHour:
    start: float  # epoch seconds, a whole hour
    local_hour: int
    arrivals_per_h: float
    counters: int
    mean_wait_s: float  # inf: the line grows all hour even with every counter open
    served_within_target: float
    meets_target: bool
    service: ServiceTime


@dataclass(frozen=True, slots=True)
class StaffingPlan:
    issued_at: float
    target_wait_s: float
    target_share: float
    max_counters: int
    hours: tuple[PlanHour, ...]

    @property
    def short_hours(self) -> list[PlanHour]:
        """The hours the branch cannot meet its target even with every counter open."""
        return [hour for hour in self.hours if not hour.meets_target]


def plan_hours(
    starts: Sequence[float],
    local_hours: Sequence[int],
    arrivals_per_h: Sequence[float],
    issued_at: float,
    observed: ObservedService,
    settings: StaffingConfig,
    configured_service_s: float,
) -> StaffingPlan:
    hours = []
    for start, local_hour, arrivals in zip(starts, local_hours, arrivals_per_h, strict=True):
        service = observed.service_at(local_hour, configured_service_s)
        if round(arrivals) <= 0:  # closed, or too quiet to open a counter for
            hours.append(PlanHour(start, local_hour, arrivals, 0, 0.0, 1.0, True, service))
            continue
        outlook = counters_needed(
            arrivals,
            service.mean_s,
            settings.target_wait_s,
            settings.target_share,
            service.cv,
            settings.max_counters,
        )
        hours.append(
            PlanHour(
                start,
                local_hour,
                arrivals,
                outlook.counters,
                outlook.mean_wait_s,
                outlook.served_within_target,
                outlook.served_within_target >= settings.target_share,
                service,
            )
        )
    return StaffingPlan(
        issued_at, settings.target_wait_s, settings.target_share, settings.max_counters, tuple(hours)
    )


def finite_or_none(seconds: float) -> float | None:
    """A wait as it is written out: rounded, and None for a line that never empties."""
    return None if math.isinf(seconds) else round(seconds, 1)
