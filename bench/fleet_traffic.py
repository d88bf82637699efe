"""What one branch's kiosk sends and how it is measured, for bench/fleet.py.

The rates are the daemon's defaults (config/branchdoor.toml) and the footfall of the synthetic branch
(device/analytics/synthetic.py); the payloads come from the daemon's own builders. Measuring is done
from outside the code under test: a counting httpx transport under the real client, and the kernel's
CPU counters of the central processes.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import numpy as np

from device.analytics.forecast import interval
from device.analytics.publish import forecast_aggregates, forecast_message
from device.analytics.series import Forecast
from device.analytics.synthetic import DAY_PROFILE, SATURDAY_CLOSES_AT, WEEKDAY_FACTOR, synthetic_branch
from device.central.service import CentralSync
from device.config import BranchConfig, Config
from device.floor.records import FloorSnapshot
from device.mqtt.link import MqttLink
from device.recognition.pipeline import Pipeline
from device.runtime.identity import fleet_identity
from device.runtime.observability import Parts, health
from device.state.store import Store

# --- a branch's rates, at the daemon's defaults ----------------------------------------------------
SYNC_INTERVAL_S = 60.0  # [central] interval_s
HEALTH_INTERVAL_S = 30.0  # [observability] health_interval_s
FLOOR_INTERVAL_S = 5.0  # [floor] snapshot_interval_s
FORECAST_INTERVAL_S = 24 * 3600.0  # [analytics] refit_interval_h
BATCH_SIZE = 500  # [central] batch_size
# Assumption, not measured: the share of visitors who are enrolled, consenting customers the camera
# names (the rest are anonymous footfall, which leaves the branch only as counts).
CHECKIN_SHARE = 0.35
AUDITS_PER_CHECKIN = 2  # identification + cue_shown (feedback and withdrawals come on top, rarely)
DAY_S = 86_400.0


def daily_visits() -> float:
    """The synthetic branch's mean visits per calendar day (weekdays, a Saturday morning, Sunday shut)."""
    weekdays = float(DAY_PROFILE.sum() * WEEKDAY_FACTOR[:5].sum())
    saturday = float(DAY_PROFILE[:SATURDAY_CLOSES_AT].sum() * WEEKDAY_FACTOR[5])
    return (weekdays + saturday) / 7


def peak_hour_visits() -> float:
    """The busiest hour of the week: the load steps run at this rate, the daily figures at the mean."""
    return float(DAY_PROFILE.max() * WEEKDAY_FACTOR.max())


# --- the daemon's MQTT payloads ---------------------------------------------------------------------


def sample_forecast(issued_at: float, horizon_days: int = 30) -> Forecast:
    """A forecast of the synthetic branch's true hourly means, shaped as the fitted one is."""
    branch = synthetic_branch(date.fromtimestamp(issued_at), horizon_days, seed=7)
    mean = np.asarray(branch.true_mean, dtype=np.float64)
    low, high = interval(mean, 0.05)
    return Forecast(
        starts=np.asarray(branch.history.starts, dtype=np.float64),
        mean=mean,
        low80=low,
        high80=high,
        issued_at=issued_at,
        history_days=365.0,
        trend_per_year=0.15,
        fit_s=0.0,
    )


def forecast_payloads(
    branch_id: str, issued_at: float
) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    forecast = sample_forecast(issued_at)
    return forecast_message(forecast, branch_id), forecast_aggregates(forecast, branch_id)


def floor_snapshot(now: float, rng: np.random.Generator) -> dict[str, Any]:
    """A busy branch's snapshot: three zones, two door lines (as configured at a larger door)."""
    inside = int(rng.integers(0, 15))
    return FloorSnapshot(
        at=now,
        occupancy=inside,
        zone_counts={"entrance": inside // 4, "queue": inside // 3, "counter": 2},
        ins_today={"main door": int(rng.integers(0, 200)), "side door": int(rng.integers(0, 60))},
        outs_today={"main door": int(rng.integers(0, 200)), "side door": int(rng.integers(0, 60))},
        queue_length=inside // 3,
        estimated_wait_s=float(rng.uniform(0, 900)),
    ).to_dict()


# What every kiosk's health carries (version, config hash, model versions): the same for a bench kiosk.
IDENTITY = fleet_identity(Config(branch=BranchConfig(id="bench")))


def health_payload(store: Store, central: CentralSync, started: float) -> dict[str, Any]:
    """The daemon's own health summary (device/runtime/observability.health) over this kiosk's real
    store and sync; camera and broker link stand in as healthy, which is what a bench kiosk is."""
    now = time.monotonic()
    stats = SimpleNamespace(last_frame_at=now, frames_captured=int((now - started) * 15))
    pipeline = SimpleNamespace(
        stats=stats, camera_problem=None, worker_heartbeat=now, dropped_frames=0, gallery=()
    )
    link = SimpleNamespace(connected=True, last_refusal=None)
    parts = Parts(
        cast(Pipeline, pipeline),
        cast(MqttLink, link),
        store,
        central=central,
        started=started,
        identity=IDENTITY,
    )
    return health(parts, now)


# --- measuring ----------------------------------------------------------------------------------------


@dataclass
class HttpMeter:
    """Bytes and latency of every request the real client sends, by request kind."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: dict[str, int] = field(default_factory=dict)
    up: dict[str, int] = field(default_factory=dict)
    down: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)  # "401", "ReadTimeout"...

    def add(self, kind: str, up: int, down: int, latency_s: float) -> None:
        with self.lock:
            self.requests[kind] = self.requests.get(kind, 0) + 1
            self.up[kind] = self.up.get(kind, 0) + up
            self.down[kind] = self.down.get(kind, 0) + down
            self.latencies.append(latency_s)

    def failed(self, why: str) -> None:
        with self.lock:
            self.errors += 1
            self.error_kinds[why] = self.error_kinds.get(why, 0) + 1

    def reset(self) -> None:
        with self.lock:
            self.requests, self.up, self.down, self.latencies, self.errors = {}, {}, {}, [], 0
            self.error_kinds = {}

    def total(self) -> int:
        return sum(self.requests.values())


def request_kind(request: httpx.Request) -> str:
    """`GET gallery`, `POST checkins`...: the last segment of the device path."""
    return f"{request.method} {request.url.path.rsplit('/', 1)[-1]}"


def _headers_size(headers: httpx.Headers) -> int:
    return sum(len(name) + len(value) + 4 for name, value in headers.raw)  # "name: value\r\n"


class MeteredTransport(httpx.BaseTransport):
    """httpx's own transport, counting each exchange as it goes over the wire (HTTP/1.1, no
    compression: request line, headers, body, each way)."""

    def __init__(self, meter: HttpMeter, inner: httpx.BaseTransport | None = None) -> None:
        self._meter = meter
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = self._inner.handle_request(request)
            body = response.read()
        except httpx.HTTPError as error:
            self._meter.failed(type(error).__name__)
            raise
        latency = time.perf_counter() - started
        target = request.url.raw_path
        up = len(request.method) + len(target) + 12 + _headers_size(request.headers) + len(request.content)
        down = 17 + len(response.reason_phrase) + _headers_size(response.headers) + len(body)
        self._meter.add(request_kind(request), up, down, latency)
        if response.status_code >= 400:
            detail = body[:60].decode(errors="replace") if response.status_code == 401 else ""
            self._meter.failed(f"{response.status_code} {detail}".strip())
        return response

    def close(self) -> None:
        self._inner.close()


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def mqtt_wire_size(topic: str, payload: bytes, *, qos: int, expiry: bool, content_type: str | None) -> int:
    """A PUBLISH packet as MQTT 5 puts it on the wire: fixed header, topic, packet id for QoS > 0,
    properties (message expiry, content type), payload."""
    properties = (5 if expiry else 0) + (3 + len(content_type) if content_type else 0)
    variable = 2 + len(topic.encode()) + (2 if qos else 0) + _varint_size(properties) + properties
    remaining = variable + len(payload)
    return 1 + _varint_size(remaining) + remaining


def _varint_size(value: int) -> int:
    size = 1
    while value >= 128:
        value //= 128
        size += 1
    return size


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0
