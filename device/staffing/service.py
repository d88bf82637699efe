"""Each new forecast becomes a staffing plan: published retained on `<prefix>/<branch>/staffing` and queued
as anonymous aggregates beside the forecast's. Runs on the forecast's thread right after a refit: the
plan is arithmetic over a month of hours (numpy-free, milliseconds), no heavy library is loaded."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from common.faults import Faults
from device.analytics.series import Forecast
from device.floor.records import ZoneStays
from device.staffing.config import StaffingConfig
from device.staffing.plan import StaffingPlan, plan_hours
from device.staffing.publish import plan_aggregates, plan_message
from device.staffing.service_times import ServiceTime, observed_service

log = logging.getLogger(__name__)

DAY_S = 86_400


class StaffingPlanner:
    def __init__(
        self,
        settings: StaffingConfig,
        branch_id: str,
        configured_service_s: float,
        zone_kinds: Mapping[str, str],
        history_days: int,
        zone_stays: Callable[[float, float], Sequence[ZoneStays]],
        publish: Callable[[dict[str, Any], int], None],
        queue: Callable[[list[tuple[str, dict[str, Any]]]], int] | None,
        faults: Faults | None = None,
    ) -> None:
        self.faults = faults or Faults()
        self._settings = settings
        self._branch_id = branch_id
        self._configured_service_s = configured_service_s
        self._zone_kinds = dict(zone_kinds)
        self._history_days = history_days
        self._zone_stays = zone_stays
        self._publish = publish
        self._queue = queue  # None without a central service: queued aggregates would only pile up
        self.last_plan: StaffingPlan | None = None

    def service_at(self, at: float) -> ServiceTime | None:
        """The service time the last plan assumed for the hour holding `at`; None without a plan or
        outside its hours (the queue alert then falls back to the configured one)."""
        plan = self.last_plan  # replaced whole by the forecast thread: read once
        if plan is None:
            return None
        for hour in plan.hours:
            if hour.start <= at < hour.start + 3600:
                return hour.service
        return None

    def forecast_refitted(self, forecast: Forecast, expiry_s: int) -> None:
        """The forecast's hook. A plan that fails is reported (/healthz) and waits for the next refit;
        the forecast itself is already out."""
        self.faults.attempt("staffing", "plan from the forecast", lambda: self.plan(forecast, expiry_s))

    def plan(self, forecast: Forecast, expiry_s: int) -> StaffingPlan:
        until = forecast.issued_at
        stays = self._zone_stays(until - self._history_days * DAY_S, until)
        observed = observed_service(stays, self._zone_kinds)
        starts = [float(start) for start in forecast.starts]
        plan = plan_hours(
            starts,
            [dt.datetime.fromtimestamp(start).astimezone().hour for start in starts],
            [float(mean) for mean in forecast.mean],
            forecast.issued_at,
            observed,
            self._settings,
            self._configured_service_s,
        )
        self._publish(plan_message(plan, self._branch_id), expiry_s)
        queued = 0 if self._queue is None else self._queue(plan_aggregates(plan, self._branch_id))
        self.last_plan = plan
        sources = sorted({hour.service.source for hour in plan.hours})
        log.info(
            "staffing: %d hours planned (service time from %s), %d short of the target, %d records queued",
            len(plan.hours),
            " and ".join(sources),
            len(plan.short_hours),
            queued,
        )
        return plan
