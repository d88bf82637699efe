"""The live queue alert at run time ("open another counter", device/staffing/alert.py).

Judged on the floor thread at each snapshot this kiosk publishes, which it does only as the branch's floor
keeper (device/floor/keeper.py): one kiosk of a branch judges the line, so two never raise the same alert.
A judgement is a few arithmetic steps and never waits on anything: the forecast is the one the forecast
thread last made, read by reference; the message goes on the link's queue.

On `<prefix>/<branch>/alerts/queue`: QoS 1, retained with an MQTT 5 expiry, so a screen opening later
sees a raised alert. Published when it is raised or cleared, when what it asks for changes, and again
every REFRESH_S while raised; it expires after EXPIRY_S. A kiosk that stops or hands the floor over
stops refreshing, and its alert vanishes from the broker and from the screens (which drop it at
`expires_at`) rather than outliving it. Nothing before the first raise: no alert is the clear state.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from common.faults import Faults
from device.analytics.series import Forecast
from device.analytics.service import ForecastService
from device.config import Config
from device.cues.cue import iso_utc
from device.floor.config import FloorConfig
from device.floor.records import FloorSnapshot
from device.mqtt.contract.models import QueueAlertPayload
from device.mqtt.link import MqttLink, Outgoing
from device.staffing.alert import Assessment, OpenCounters, QueueAlert, arrivals_next, assess, counters_busy
from device.staffing.config import StaffingConfig
from device.staffing.service import StaffingPlanner
from device.staffing.service_times import ServiceTime

log = logging.getLogger(__name__)

REFRESH_S = 30.0
NEWS_EVERY_S = 10.0  # a raised alert's numbers change this often at most on the screens
EXPIRY_S = 90.0  # three refreshes missed: the kiosk stopped, or another keeps the floor now


class QueueAlertDuty:
    def __init__(
        self,
        staffing: StaffingConfig,
        floor: FloorConfig,
        link: MqttLink,
        faults: Faults | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.faults = faults or Faults()
        self.alert = QueueAlert(staffing.alert_raise_after_s, staffing.alert_clear_after_s)
        self._staffing = staffing
        self._service_time_s = floor.service_time_s
        self._counter_zones = [zone.name for zone in floor.zones_of_kind("counter")]
        self._open = OpenCounters()
        self._link = link
        self._clock = clock
        self._forecast: Callable[[], Forecast | None] = lambda: None
        self._service_at: Callable[[float], ServiceTime | None] = lambda _at: None
        self.last: Assessment | None = None
        self._changed_at_wall = time.time()
        self._sent: tuple[bool, tuple[str, ...], int] | None = None  # raised, reasons, more counters
        self._sent_at = -math.inf  # monotonic
        self._judged_at = -math.inf  # monotonic

    def read_plan(self, planner: StaffingPlanner) -> None:
        """The service time (mean and spread) the staffing plan took from the floor for this hour, so
        the alert and the plan judge the line alike; the configured one where the plan has none."""
        self._service_at = planner.service_at

    def _service_now(self, at: float) -> tuple[float, float]:
        observed = self._service_at(at)
        if observed is None:
            return self._service_time_s, 1.0
        return observed.mean_s, observed.cv

    def read_forecast(self, forecaster: ForecastService) -> None:
        """The forecast thread's latest forecast, read (not waited for) at each judgement."""
        self._forecast = lambda: forecaster.last_forecast

    def on_snapshot(self, snapshot: FloorSnapshot) -> None:
        """From the floor thread, with each snapshot published as keeper; never raises."""
        self.faults.attempt("queue alert", "judge the queue", lambda: self._judge(snapshot))

    def _judge(self, snapshot: FloorSnapshot) -> None:
        now_m = self._clock()
        if now_m - self._judged_at > EXPIRY_S and self._sent is not None:
            # Not judged for longer than an alert lives (the floor was another kiosk's, or stalled): what
            # it said has expired on the broker and the screens; start afresh rather than say it again.
            self.alert.forget()
            self._sent = None
        self._judged_at = now_m
        arrivals = arrivals_next(self._forecast(), snapshot.at)
        open_now = self._open.observe(now_m, counters_busy(snapshot, self._counter_zones))
        service_s, service_cv = self._service_now(snapshot.at)
        found = assess(snapshot, open_now, service_s, arrivals, self._staffing, service_cv)
        self.last = found
        if self.alert.observe(now_m, found.level):
            self._changed_at_wall = snapshot.at
            log.log(
                logging.WARNING if self.alert.raised else logging.INFO,
                "queue alert %s: %d waiting, about %.0f s, %d counter(s) open, %d needed (%s)",
                "raised" if self.alert.raised else "cleared",
                found.queue_length,
                found.estimated_wait_s,
                found.counters_open,
                found.counters_needed,
                ", ".join(found.reasons) or "within the target",
            )
        said = (self.alert.raised, found.reasons, found.more_counters)
        since_sent = now_m - self._sent_at
        if self._sent is None and not self.alert.raised:
            return  # nothing raised yet: nothing to say, and a keeper taking over must not clear another's
        state_changed = self._sent is None or said[0] != self._sent[0]
        news = said != self._sent and since_sent >= NEWS_EVERY_S  # what it asks for, not every flicker
        if state_changed or (self.alert.raised and (news or since_sent >= REFRESH_S)):
            self._publish(found, snapshot.at)
            self._sent, self._sent_at = said, now_m

    def _publish(self, found: Assessment, now: float) -> None:
        payload = QueueAlertPayload(
            state="raised" if self.alert.raised else "clear",
            since=iso_utc(self._changed_at_wall),
            expires_at=iso_utc(now + EXPIRY_S),
            reasons=list(found.reasons),
            counters_open=found.counters_open,
            counters_open_from="occupied_counter_zones",
            counters_needed=max(1, found.counters_needed),
            more_counters=found.more_counters,
            queue_length=found.queue_length,
            estimated_wait_s=round(found.estimated_wait_s, 1),
            forecast_arrivals_per_h=(
                None if found.forecast_arrivals_per_h is None else round(found.forecast_arrivals_per_h, 1)
            ),
            target_wait_s=self._staffing.target_wait_s,
            target_share=self._staffing.target_share,
        )
        topic = self._link.topics.queue_alert
        self._link.send(Outgoing(topic, payload.to_json(), 1, time.time() + EXPIRY_S, retain=True))

    def status(self) -> dict[str, Any]:
        """For /healthz: the state, what it asks for, and how often it was raised since the start."""
        found = self.last
        return {
            "state": "raised" if self.alert.raised else "clear",
            "raised_total": self.alert.raised_count,
            "reasons": list(found.reasons) if found is not None else [],
            "more_counters": found.more_counters if found is not None else 0,
        }

    def metrics(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        """For /metrics (device/runtime/observability.py's collector yields them)."""
        yield GaugeMetricFamily(
            "branchdoor_queue_alert_raised",
            "1 while the queue alert (open another counter) is raised by this kiosk.",
            value=float(self.alert.raised),
        )
        yield CounterMetricFamily(
            "branchdoor_queue_alerts_raised",
            "Queue alerts raised since the start.",
            value=self.alert.raised_count,
        )


def queue_alert(config: Config, link: MqttLink, faults: Faults) -> QueueAlertDuty | None:
    """None without `[staffing] alert`, or without a floor: the line and the counters open come from it."""
    if not config.staffing.alert or config.floor is None or not config.sensors:
        return None
    return QueueAlertDuty(config.staffing, config.floor, link, faults)
