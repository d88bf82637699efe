"""What an operations team sees: `/healthz` (one JSON verdict) and `/metrics` (Prometheus), read from
the parts' own counters at the moment of asking, on a local port.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.registry import Collector

from common.faults import Faults
from common.http_server import IDLE_TIMEOUT_S, BoundedHTTPServer, QuietHandler
from common.net import url_host
from device.central.service import CentralSync
from device.checkin.scanner import ScannerStats
from device.cues.board import CueBoard
from device.floor.service import FloorService
from device.mqtt.link import MqttLink
from device.recognition.pipeline import Pipeline
from device.runtime.branch_claims import BranchClaims
from device.runtime.identity import FleetIdentity
from device.runtime.queue_alert import QueueAlertDuty
from device.state.store import Store

log = logging.getLogger(__name__)

FRAMES_STALE_S = 5.0
WORKER_STALE_S = 30.0
SENSOR_STALE_S = 10.0
# Below this much free space the daemon raises the alarm and drops queued aggregates (anonymous
# counts) first; check-ins and audit records are never dropped.
LOW_DISK_MB = 200.0


def disk_free_mb(folder: Path) -> float:
    return shutil.disk_usage(folder).free / 2**20


def guard_disk(store: Store) -> None:
    """Disk nearly full: queued aggregates go first; check-ins and audit records stay, with an alarm."""
    free_mb = disk_free_mb(store.path.parent)
    if free_mb >= LOW_DISK_MB:
        return
    dropped = store.outbox.enforce_budget(0).aggregates_dropped
    log.error(
        "ALARM: disk nearly full (%.0f MB free); %d queued aggregate(s) dropped, check-ins and audit kept",
        free_mb,
        dropped,
    )


@dataclass
class Parts:
    """Everything health and metrics read from; optional parts are None when not configured."""

    pipeline: Pipeline
    link: MqttLink
    store: Store
    floor: FloorService | None = None
    central: CentralSync | None = None
    scanner: ScannerStats | None = None
    board: CueBoard | None = None
    claims: BranchClaims | None = None
    queue_alert: QueueAlertDuty | None = None
    # What the parts cannot do right now (each reports its own failures here) and their error totals.
    faults: Faults = field(default_factory=Faults)
    started: float = field(default_factory=time.monotonic)
    # Which software, configuration and face models: every health verdict carries it.
    identity: FleetIdentity = field(kw_only=True)


def health(parts: Parts, now: float | None = None) -> dict[str, Any]:
    """`ok`, or `degraded` with the reasons, phrased for whoever reads the dashboard."""
    now = time.monotonic() if now is None else now
    problems: list[str] = []
    last_frame = parts.pipeline.stats.last_frame_at
    if last_frame is None or now - last_frame > FRAMES_STALE_S:
        why = parts.pipeline.camera_problem
        problems.append(f"camera: no frames ({why})" if why else "camera: no frames")
    if now - parts.pipeline.worker_heartbeat > WORKER_STALE_S:
        problems.append("recognition: worker stuck")
    if not parts.link.connected:
        problems.append(
            f"broker: not connected{' (' + parts.link.last_refusal + ')' if parts.link.last_refusal else ''}"
        )
    if parts.floor is not None:
        for status in parts.floor.status.values():
            if status.last_reading_at is None or now - status.last_reading_at > SENSOR_STALE_S:
                problems.append(f"sensor {status.sensor_id}: silent")
    free_mb = disk_free_mb(parts.store.path.parent)
    if free_mb < LOW_DISK_MB:
        problems.append(f"disk: nearly full ({free_mb:.0f} MB free)")
    if parts.store.backups.last_error:
        problems.append(parts.store.backups.last_error)
    # Read before the faults are listed: a database that cannot be read is one of them.
    outbox = parts.store.outbox
    read = parts.faults.attempt("state", "read the outbox", lambda: (outbox.depth(), outbox.quarantined()))
    depths, quarantined = read if read is not None else ({}, {})
    problems += central_problems(parts.central, quarantined)
    problems += [str(fault) for fault in parts.faults.current()]
    set_aside = {f"quarantined:{kind}": count for kind, count in quarantined.items()}
    summary: dict[str, Any] = {
        "status": "degraded" if problems else "ok",
        "problems": problems,
        "uptime_s": round(now - parts.started, 1),
        "frames": parts.pipeline.stats.frames_captured,
        "dropped_frames": parts.pipeline.dropped_frames,
        "gallery_customers": len(parts.pipeline.gallery),
        "outbox": depths | set_aside,
        **parts.identity.as_health(),
    }
    if parts.floor is not None:  # one floor per branch: which kiosk keeps it, which are heard
        summary["floor"] = parts.floor.branch_status()
    if parts.claims is not None:  # one visit per branch: the duplicates this kiosk merged, by cause
        summary["duplicate_visits"] = parts.claims.duplicates()
    if parts.queue_alert is not None:  # "open another counter": raised now, and how often since the start
        summary["queue_alert"] = parts.queue_alert.status()
    return summary


def central_problems(central: CentralSync | None, quarantined: Mapping[str, int]) -> list[str]:
    """Sync failing (since when, and the status: never what the server wrote, since health is
    published), and records set aside, which keep health degraded until an engineer acts."""
    problems: list[str] = []
    if central is not None:
        if central.over_budget:
            problems.append("central: outbox over its disk budget")
        alarm = central.alarm
        if alarm.since is not None:
            since = _clock(alarm.since)
            if alarm.unreachable:
                problems.append(f"central: unreachable since {since}")
            else:
                problems.append(f"central: {alarm.stage} refused since {since} ({alarm.reason})")
    if quarantined:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(quarantined.items()))
        problems.append(
            f"outbox: {sum(quarantined.values())} record(s) refused by the central service as malformed, "
            f"set aside ({kinds}): see `branchdoor outbox show`"
        )
    return problems


def _clock(at: float) -> str:
    """Local time of day, with the date once it is not today's."""
    moment = time.localtime(at)
    today = time.localtime()
    same_day = (moment.tm_year, moment.tm_yday) == (today.tm_year, today.tm_yday)
    return time.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M", moment)


class PartsCollector(Collector):
    def __init__(self, parts: Parts) -> None:
        self._parts = parts

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily | SummaryMetricFamily]:
        p = self._parts
        stats, recognizer = p.pipeline.stats, p.pipeline.recognizer.stats

        def counter(name: str, doc: str, value: float) -> CounterMetricFamily:
            return CounterMetricFamily(f"branchdoor_{name}", doc, value=value)

        yield counter("frames_captured", "Frames read from the camera.", stats.frames_captured)
        yield counter("frames_processed", "Frames the recognizer looked at.", stats.frames_processed)
        yield counter(
            "frames_dropped", "Frames replaced before recognition took them.", p.pipeline.dropped_frames
        )
        yield counter("face_detections", "Face searches run.", recognizer.detections)
        yield counter("face_encodings", "Face templates computed.", recognizer.encodings)
        yield counter("checkins", "Check-ins of identified customers.", stats.checkins)
        yield counter("unidentified_visits", "Visits by people not identified.", stats.unidentified_visits)
        yield counter("staff_passes", "Staff named at the door: no cue, check-in, visit.", stats.staff_passes)
        yield counter("cues_sent", "Teller cues published.", p.link.cues_sent)
        latency = SummaryMetricFamily(
            "branchdoor_frame_latency_seconds", "From capture to the end of recognition, per frame processed."
        )
        latency.add_metric([], count_value=stats.frames_processed, sum_value=stats.latency_s_total)
        yield latency
        yield GaugeMetricFamily(
            "branchdoor_tracks_active", "People in view now.", value=len(p.pipeline.recognizer.tracker.active)
        )
        yield GaugeMetricFamily(
            "branchdoor_broker_connected", "1 when connected to the broker.", value=float(p.link.connected)
        )
        yield from _outbox_metrics(p)
        errors = CounterMetricFamily(
            "branchdoor_worker_errors",
            "Failures a part survived (logged, retried), by part; /healthz says what fails now.",
            labels=["part"],
        )
        for part, count in sorted(p.faults.totals().items()):
            errors.add_metric([part], count)
        yield errors
        if p.board is not None:
            yield from _cue_metrics(p.board)
        if p.claims is not None:
            yield from _claim_metrics(p.claims)
        if p.queue_alert is not None:
            yield from p.queue_alert.metrics()
        if p.central is not None:
            yield from _central_metrics(p.central)
        if p.floor is not None:
            bad = CounterMetricFamily(
                "branchdoor_sensor_bad_frames", "Corrupt frames skipped.", labels=["sensor"]
            )
            readings = CounterMetricFamily(
                "branchdoor_sensor_readings", "Readings placed on the floor.", labels=["sensor"]
            )
            for sensor_id, count in p.floor.bad_frames().items():
                bad.add_metric([sensor_id], count)
                readings.add_metric([sensor_id], p.floor.status[sensor_id].readings)
            yield bad
            yield readings
            yield GaugeMetricFamily(
                "branchdoor_floor_staff_ins_today",
                "Inbound door crossings today paired with staff named at the door, left out of footfall.",
                value=p.floor.model.staff_ins_today,
            )
        if p.scanner is not None:
            codes = CounterMetricFamily(
                "branchdoor_scanner_codes",
                "Codes read by the QR/card scanner, by outcome.",
                labels=["outcome"],
            )
            for outcome, count in vars(p.scanner).items():
                codes.add_metric([outcome], count)
            yield codes


def _outbox_metrics(parts: Parts) -> Iterator[GaugeMetricFamily]:
    """Nothing when the database cannot be read: a scrape answers with the rest (health says why)."""
    outbox = parts.store.outbox
    read = parts.faults.attempt(
        "state",
        "read the outbox",
        lambda: (outbox.depth(), outbox.quarantined(), outbox.oldest_age_s(time.time())),
    )
    if read is None:
        return
    depths, set_aside, oldest = read
    depth = GaugeMetricFamily(
        "branchdoor_outbox_depth", "Records waiting for the central service.", labels=["kind"]
    )
    for kind, count in depths.items():
        depth.add_metric([kind], count)
    yield depth
    quarantined = GaugeMetricFamily(
        "branchdoor_outbox_quarantined",
        "Records the central service refused as malformed, set aside for an engineer.",
        labels=["kind"],
    )
    for kind, count in set_aside.items():
        quarantined.add_metric([kind], count)
    yield quarantined
    yield GaugeMetricFamily(
        "branchdoor_outbox_oldest_age_seconds", "Age of the oldest waiting record.", value=oldest or 0.0
    )


def _central_metrics(central: CentralSync) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
    yield CounterMetricFamily("branchdoor_sync_errors", "Failed central sync cycles.", value=central.errors)
    failures = CounterMetricFamily(
        "branchdoor_central_failures",
        "Failed central sync attempts, by HTTP status, or unreachable, not_contract, unexpected.",
        labels=["reason"],
    )
    for reason, count in sorted(central.alarm.failures.items()):
        failures.add_metric([reason], count)
    yield failures
    since = central.alarm.since
    yield GaugeMetricFamily(
        "branchdoor_central_failing_seconds",
        "How long central sync has been failing in a row; 0 while it works. Records wait meanwhile.",
        value=0.0 if since is None else max(0.0, time.time() - since),
    )
    yield CounterMetricFamily(
        "branchdoor_outbox_records_set_aside",
        "Records the central service refused as malformed, set aside by this run.",
        value=central.records_set_aside,
    )


def _cue_metrics(board: CueBoard) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
    feedback = CounterMetricFamily(
        "branchdoor_cue_feedback",
        "Teller verdicts on cues; not_this_customer counts recognitions a teller found wrong.",
        labels=["verdict"],
    )
    for verdict in ("served", "not_this_customer"):
        feedback.add_metric([verdict], board.stats.verdicts[verdict])
    yield feedback
    yield CounterMetricFamily(
        "branchdoor_screen_messages_rejected",
        "Malformed or foreign hello/feedback messages refused.",
        value=board.stats.rejected,
    )
    yield CounterMetricFamily(
        "branchdoor_cues_replayed", "Cues replayed to screens saying hello late.", value=board.stats.replays
    )
    hellos = CounterMetricFamily(
        "branchdoor_screen_hellos",
        "Screen hellos: replayed, deferred (inside a screen's interval) or refused (unlisted, over the "
        "allowance: a flood).",
        labels=["outcome"],
    )
    for outcome, count in vars(board.hello_stats).items():
        hellos.add_metric([outcome], count)
    yield hellos
    yield CounterMetricFamily(
        "branchdoor_cues_withdrawn",
        "Cues withdrawn (expired, served, not this customer).",
        value=board.stats.withdrawn,
    )
    yield GaugeMetricFamily("branchdoor_cues_active", "Cues alive now.", value=len(board.active()))


def _claim_metrics(claims: BranchClaims) -> Iterator[CounterMetricFamily]:
    duplicates = CounterMetricFamily(
        "branchdoor_duplicate_visits",
        "Check-ins merged into another kiosk's visit of the branch, by cause: same_second (two doors at "
        "once) or partition (this kiosk was cut off from the broker).",
        labels=["cause"],
    )
    for cause, count in claims.duplicates().items():
        duplicates.add_metric([cause], count)
    yield duplicates
    yield CounterMetricFamily(
        "branchdoor_visit_claims_rejected",
        "Malformed or misaddressed visit claims refused.",
        value=claims.stats.rejected,
    )


class ObservabilityServer:
    def __init__(self, parts: Parts, host: str, port: int, idle_timeout_s: float = IDLE_TIMEOUT_S) -> None:
        registry = CollectorRegistry()
        registry.register(PartsCollector(parts))

        def probe() -> dict[str, Any]:
            return health(parts)

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                if self.path == "/healthz":
                    verdict = probe()
                    body = json.dumps(verdict).encode()
                    self._reply(200 if verdict["status"] == "ok" else 503, "application/json", body)
                elif self.path == "/metrics":
                    self._reply(200, "text/plain; version=0.0.4", generate_latest(registry))
                else:
                    self._reply(404, "text/plain", b"try /healthz or /metrics\n")

            def _reply(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = BoundedHTTPServer((host, port), Handler, idle_timeout_s=idle_timeout_s)
        self._thread = threading.Thread(target=self._server.serve_forever, name="observability", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{url_host(str(host))}:{port}/"

    def start(self) -> None:
        self._thread.start()
        log.info("health and metrics on %shealthz and /metrics", self.url)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
