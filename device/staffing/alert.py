"""The live queue alert ("open another counter"): the line now and the next half hour's forecast judged
against the branch's service level, and a state machine with hysteresis so the teller screens do not flap.

Counters open: the most counter zones the floor saw occupied at once over the last OPEN_WINDOW_S (a
customer at a counter is being served there; a counter that served someone a few minutes ago is open
even while its next customer walks up), at least one, as the floor's wait estimate assumes. Screens
online are not counted: a screen switched on says nothing of a teller at its counter.

Two judgements, either of which misses the target:
- the line: people in the queue x the average service time / the counters open is over `target_wait_s`
  (the floor's own estimate divides by the counters busy this instant; the message shows that one);
- the forecast: at the arrival rate forecast for the coming half hour, Erlang C (device/staffing/erlang.py)
  needs more counters than are open for `target_share` of customers to wait at most `target_wait_s`.
With every one of `max_counters` open there is nothing to ask for, and the target counts as met.

Hysteresis: raised after the target has been missed for `raise_after_s` without a break; cleared only after
it has been met *comfortably* (the line's wait at most CLEAR_BELOW of the target, and the forecast met at
CLEAR_BELOW of the target wait) for `clear_after_s` without a break. Between the two (the dead band) neither
clock runs: a line hovering at the target neither raises nor clears the alert. Pure: no clock, no I/O.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from device.analytics.series import Forecast
from device.floor.records import FloorSnapshot
from device.staffing.config import StaffingConfig
from device.staffing.erlang import counters_needed

# Clear only once the wait is at most half the target: a line that hovers at the target keeps the alert.
CLEAR_BELOW = 0.5
HALF_HOUR_S = 1800.0
OPEN_WINDOW_S = 900.0

Reason = Literal["line", "forecast"]


class Level(Enum):
    MISSED = "missed"  # the target is missed: the raise clock runs
    MET = "met"  # within the target, but not by the dead band's margin: both clocks stop
    COMFORTABLE = "comfortable"  # comfortably within: the clear clock runs


@dataclass(frozen=True, slots=True)
class Assessment:
    """One look at the branch: what the teller screens are told when the alert is raised or refreshed."""

    level: Level
    reasons: tuple[Reason, ...]  # what misses the target: "line", "forecast"
    counters_open: int
    counters_needed: int  # for the line and the forecast alike; never more than the branch has
    queue_length: int
    estimated_wait_s: float
    forecast_arrivals_per_h: float | None  # None: no forecast covers the coming half hour

    @property
    def more_counters(self) -> int:
        return max(0, self.counters_needed - self.counters_open)


def counters_busy(snapshot: FloorSnapshot, counter_zones: Sequence[str]) -> int:
    """Counter zones with someone in them in this snapshot."""
    return sum(snapshot.zone_counts.get(zone, 0) > 0 for zone in counter_zones)


class OpenCounters:
    """The most counters seen busy at once over the last `window_s`, at least one."""

    def __init__(self, window_s: float = OPEN_WINDOW_S) -> None:
        self._window_s = window_s
        self._seen: deque[tuple[float, int]] = deque()  # (time, busy), busy strictly decreasing

    def observe(self, now: float, busy: int) -> int:
        while self._seen and self._seen[0][0] < now - self._window_s:
            self._seen.popleft()
        while self._seen and self._seen[-1][1] <= busy:  # outlived by a later, larger count
            self._seen.pop()
        self._seen.append((now, busy))
        return max(1, self._seen[0][1])


def arrivals_next(forecast: Forecast | None, now: float, span_s: float = HALF_HOUR_S) -> float | None:
    """The forecast's arrival rate (visits per hour) over [now, now + span_s], each hour weighted by its
    overlap; None when the forecast does not cover the whole span (stale, or not fitted yet)."""
    if forecast is None:
        return None
    covered = visits = 0.0
    for start, mean in zip(forecast.starts, forecast.mean, strict=True):
        overlap = min(float(start) + 3600.0, now + span_s) - max(float(start), now)
        if overlap > 0:
            covered += overlap
            visits += max(0.0, float(mean)) * overlap / 3600.0
    if covered < span_s - 1e-6:
        return None
    return visits * 3600.0 / span_s


def assess(
    snapshot: FloorSnapshot,
    counters_open: int,
    service_time_s: float,
    arrivals_per_h: float | None,
    settings: StaffingConfig,
    service_cv: float = 1.0,
) -> Assessment:
    target = settings.target_wait_s
    most = settings.max_counters
    open_now = min(max(1, counters_open), most)
    work_s = snapshot.queue_length * service_time_s  # the line's service time, all of it
    # Counters that would bring the newest in line within the target.
    line_needs = min(most, math.ceil(work_s / target))
    reasons: list[Reason] = []
    if work_s / open_now > target and open_now < most:
        reasons.append("line")
    comfortable = work_s / open_now <= CLEAR_BELOW * target
    forecast_needs = 0
    if arrivals_per_h is not None:

        def needs(target_wait_s: float) -> int:
            plan = counters_needed(
                arrivals_per_h,
                service_time_s,
                target_wait_s,
                settings.target_share,
                service_cv=service_cv,
                max_counters=most,
            )
            return plan.counters

        forecast_needs = needs(target)
        if forecast_needs > open_now:
            reasons.append("forecast")
        comfortable = comfortable and needs(CLEAR_BELOW * target) <= open_now
    level = Level.MISSED if reasons else Level.COMFORTABLE if comfortable else Level.MET
    return Assessment(
        level=level,
        reasons=tuple(reasons),
        counters_open=open_now,
        counters_needed=max(open_now, line_needs, forecast_needs),
        queue_length=snapshot.queue_length,
        estimated_wait_s=snapshot.estimated_wait_s,
        forecast_arrivals_per_h=arrivals_per_h,
    )


class QueueAlert:
    """Raised after the target is missed for `raise_after_s` in a row, cleared after it is comfortably met
    for `clear_after_s` in a row. `observe` is fed the assessments in time order (any clock, seconds)."""

    def __init__(self, raise_after_s: float, clear_after_s: float) -> None:
        self.raise_after_s = raise_after_s
        self.clear_after_s = clear_after_s
        self.raised = False
        self.raised_count = 0
        self.changed_at: float | None = None  # when it was last raised or cleared
        self._missed_since: float | None = None
        self._comfortable_since: float | None = None

    def forget(self) -> None:
        """Back to not raised, with no run under way (the count of raises stays)."""
        self.raised = False
        self._missed_since = self._comfortable_since = None

    def observe(self, now: float, level: Level) -> bool:
        """Take one assessment; True when it raised or cleared the alert."""
        self._missed_since = _run_start(self._missed_since, now, level is Level.MISSED)
        self._comfortable_since = _run_start(self._comfortable_since, now, level is Level.COMFORTABLE)
        missed_long = _lasted(self._missed_since, now, self.raise_after_s)
        calm_long = _lasted(self._comfortable_since, now, self.clear_after_s)
        if (not self.raised and missed_long) or (self.raised and calm_long):
            self.raised = not self.raised
            self.raised_count += self.raised
            self.changed_at = now
            return True
        return False


def _run_start(since: float | None, now: float, running: bool) -> float | None:
    """When an unbroken run of one level began: kept while it lasts, forgotten at its first break."""
    if not running:
        return None
    return now if since is None else since


def _lasted(since: float | None, now: float, long_s: float) -> bool:
    return since is not None and now - since >= long_s
