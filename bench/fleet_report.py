"""bench/fleet.py's figures: each load step's limits, and per kiosk at real rates, per request kind."""

from __future__ import annotations

import math
from typing import Any

from bench.fleet_kiosks import MqttCounts
from bench.fleet_traffic import (
    AUDITS_PER_CHECKIN,
    BATCH_SIZE,
    CHECKIN_SHARE,
    DAY_S,
    FLOOR_INTERVAL_S,
    HEALTH_INTERVAL_S,
    SYNC_INTERVAL_S,
    HttpMeter,
    daily_visits,
    peak_hour_visits,
    percentile,
)

P95_BOUND_S = 1.0  # a sync request slower than this at the 95th percentile: the service is queueing
CPU_BOUND = 0.9  # of one core: the reference service is one process, one event loop
FORECAST_RECORDS = 30 * 24  # [analytics] horizon_days of hourly forecast aggregates, once a day
PUBACK_BYTES = 4


def step_figures(
    *,
    kiosks: int,
    wall_s: float,
    compression: float,
    meter: HttpMeter,
    central_cpu_s: float,
    broker_cpu_s: float,
    published: int,
    received: int,
    sync_lag: list[float],
    mqtt_lag: list[float],
    sync_errors: int,
) -> dict[str, Any]:
    # Real kiosk-hours the step simulated, counted in the sync cycles run (one a real minute per kiosk):
    # a bench that fell behind ran fewer than its wall time promised, and is judged by what it ran.
    cycles = len(sync_lag)
    kiosk_hours = max(cycles, 1) * SYNC_INTERVAL_S / 3600
    requests = meter.total()
    p95 = percentile(meter.latencies, 95)
    central_load = central_cpu_s / wall_s
    sync_lag_p95, mqtt_lag_p95 = percentile(sync_lag, 95), percentile(mqtt_lag, 95)
    broke: list[str] = []
    if central_load > CPU_BOUND:
        broke.append(f"central service CPU saturated ({central_load:.0%} of a core)")
    if p95 > P95_BOUND_S:
        broke.append(f"request p95 {p95:.2f} s over {P95_BOUND_S} s")
    if meter.errors:
        kinds = ", ".join(f"{why} x{n}" for why, n in sorted(meter.error_kinds.items()))
        broke.append(f"{meter.errors} failed requests ({kinds})")
    if received < published:
        broke.append(f"broker delivered {published - received} fewer messages than published")
    # The bench's own limits: it could not run what was due on time, so the load asked was not offered.
    if sync_lag_p95 > SYNC_INTERVAL_S / compression / 2:
        broke.append(f"bench: sync cycles late (p95 {sync_lag_p95:.1f} s): the bench, not the service")
    if mqtt_lag_p95 > FLOOR_INTERVAL_S / compression:
        broke.append(f"bench: MQTT publishing late (p95 {mqtt_lag_p95:.1f} s): the bench, not the broker")
    return {
        "kiosks": kiosks,
        "real_rate_kiosks": round(kiosks * compression),
        "wall_s": round(wall_s, 1),
        "sync_cycles": cycles,
        "sync_cycles_due": round(kiosks * wall_s * compression / SYNC_INTERVAL_S),
        "requests": requests,
        "requests_per_s": round(requests / wall_s, 1),
        "requests_per_kiosk_min": round(requests / (kiosk_hours * 60), 3),
        "latency_p50_ms": round(percentile(meter.latencies, 50) * 1000, 1),
        "latency_p95_ms": round(p95 * 1000, 1),
        "errors": meter.errors,
        "error_kinds": dict(meter.error_kinds),
        "sync_errors_total": sync_errors,
        "central_cpu_load": round(central_load, 3),
        "central_cpu_s_per_kiosk_hour": round(central_cpu_s / kiosk_hours, 4),
        "broker_cpu_load": round(broker_cpu_s / wall_s, 3),
        "broker_cpu_s_per_kiosk_hour": round(broker_cpu_s / kiosk_hours, 4),
        "mqtt_published": published,
        "mqtt_received": received,
        "mqtt_per_s": round(published / wall_s, 1),
        "sync_lag_p95_s": round(sync_lag_p95, 2),
        "mqtt_lag_p95_s": round(mqtt_lag_p95, 2),
        "broke": broke,
    }


def daily_requests() -> dict[str, float]:
    """One kiosk's requests per day by kind, at the default rates and the day's mean footfall: a sync
    cycle pulls the gallery every interval and uploads only what was queued since; at a few check-ins
    an hour, each check-in goes up in a cycle of its own (with its audit records)."""
    checkins = daily_visits() * CHECKIN_SHARE
    return {
        "GET gallery": DAY_S / SYNC_INTERVAL_S,
        "POST checkins": checkins,
        "POST audit": checkins,
        "POST aggregates": math.ceil(FORECAST_RECORDS / BATCH_SIZE),
    }


def daily_messages() -> dict[str, float]:
    return {
        "health": DAY_S / HEALTH_INTERVAL_S,
        "floor": DAY_S / FLOOR_INTERVAL_S,
        "forecast": 1,
        "availability": 1,
    }


def daily_figures(
    steps: list[dict[str, Any]], per_kind: dict[str, dict[str, int]], counts: MqttCounts, kiosks: int
) -> dict[str, Any]:
    """Per kiosk at real rates: measured sizes and CPU, times the day's counts of each."""
    # The per-kiosk figures come from the --kiosks step, or the largest step below it that held.
    held = [s for s in steps if not s["broke"] and s["kiosks"] <= kiosks] or steps[:1]
    target = next((s for s in held if s["kiosks"] == kiosks), held[-1])
    baseline = steps[0]
    requests = daily_requests()
    http_up = http_down = 0.0
    for kind, per_day in requests.items():
        sent = per_kind["requests"].get(kind, 0)
        if sent:
            http_up += per_day * per_kind["up"][kind] / sent
            http_down += per_day * per_kind["down"][kind] / sent
    mqtt_up = sum(
        per_day * counts.wire_bytes[kind] / counts.published[kind]
        for kind, per_day in daily_messages().items()
        if counts.published.get(kind)
    )
    knee = next((s for s in steps if s["broke"]), None)
    for step in steps:
        base = baseline["central_cpu_s_per_kiosk_hour"] or 1e-9
        step["central_cpu_ratio_to_baseline"] = round(step["central_cpu_s_per_kiosk_hour"] / base, 2)
    return {
        "rates": {
            "sync_interval_s": SYNC_INTERVAL_S,
            "health_interval_s": HEALTH_INTERVAL_S,
            "floor_interval_s": FLOOR_INTERVAL_S,
            "forecast_per_day": 1,
            "visits_per_day_mean": round(daily_visits(), 1),
            "visits_peak_hour": round(peak_hour_visits(), 1),
            "checkin_share_assumed": CHECKIN_SHARE,
            "audits_per_checkin": AUDITS_PER_CHECKIN,
        },
        "per_kiosk": {
            "kiosks": target["kiosks"],
            "requests_per_min_peak_hour": target["requests_per_kiosk_min"],
            "requests_per_min_day_mean": round(sum(requests.values()) / (DAY_S / 60), 3),
            "http_up_bytes_per_day": round(http_up),
            "http_down_bytes_per_day": round(http_down),
            "mqtt_up_bytes_per_day": round(mqtt_up),
            # Only PUBACKs of the QoS 1 messages come back; floor every 5 s leaves no keepalive to ping.
            "mqtt_down_bytes_per_day": PUBACK_BYTES * 2,
            "mqtt_messages_per_min": round(sum(daily_messages().values()) / (DAY_S / 60), 2),
            "central_cpu_s_per_kiosk_hour": target["central_cpu_s_per_kiosk_hour"],
            "broker_cpu_s_per_kiosk_hour": target["broker_cpu_s_per_kiosk_hour"],
            "request_latency_p95_ms": target["latency_p95_ms"],
        },
        "bytes_per_request": {
            kind: {"up": round(per_kind["up"][kind] / n), "down": round(per_kind["down"][kind] / n)}
            for kind, n in sorted(per_kind["requests"].items())
        },
        "bytes_per_message": {
            kind: round(counts.wire_bytes[kind] / n) for kind, n in sorted(counts.published.items())
        },
        "knee": (
            {"kiosks": knee["kiosks"], "real_rate_kiosks": knee["real_rate_kiosks"], "broke": knee["broke"]}
            if knee
            else {"kiosks": None, "broke": [f"nothing up to {steps[-1]['kiosks']} kiosks"]}
        ),
    }


def print_report(report: dict[str, Any]) -> None:
    rates = report["rates"]
    print(
        f"\nrates (real): sync every {rates['sync_interval_s']:.0f} s, health every "
        f"{rates['health_interval_s']:.0f} s, floor every {rates['floor_interval_s']:.0f} s, forecast once a "
        f"day; footfall {rates['visits_per_day_mean']}/day mean, {rates['visits_peak_hour']}/h at the peak "
        f"(device/analytics/synthetic.py), {rates['checkin_share_assumed']:.0%} of visitors checked in "
        f"(assumed), {rates['audits_per_checkin']} audit records each. Time compressed "
        f"{report['compression']:g}x; load steps at the peak hour. Machine: {report['machine']}."
    )
    print(
        f"\n{'kiosks':>7} {'=real':>7} {'req/s':>7} {'req/k/min':>9} {'p95 ms':>8} {'err':>4} "
        f"{'central':>8} {'cpu s/k/h':>9} {'ratio':>6} {'broker':>7} {'msg/s':>7} {'lost':>5}  limit"
    )
    for s in report["steps"]:
        print(
            f"{s['kiosks']:>7} {s['real_rate_kiosks']:>7} {s['requests_per_s']:>7} "
            f"{s['requests_per_kiosk_min']:>9} {s['latency_p95_ms']:>8} {s['errors']:>4} "
            f"{s['central_cpu_load']:>8.0%} {s['central_cpu_s_per_kiosk_hour']:>9} "
            f"{s['central_cpu_ratio_to_baseline']:>6} {s['broker_cpu_load']:>7.0%} {s['mqtt_per_s']:>7} "
            f"{s['mqtt_published'] - s['mqtt_received']:>5}  {'; '.join(s['broke']) or '-'}"
        )
    k = report["per_kiosk"]
    g = report["gallery"]
    rows = [
        ("requests per minute, peak hour (measured)", k["requests_per_min_peak_hour"]),
        ("requests per minute, day mean", k["requests_per_min_day_mean"]),
        ("HTTP bytes up per day", k["http_up_bytes_per_day"]),
        ("HTTP bytes down per day", k["http_down_bytes_per_day"]),
        ("MQTT bytes up per day", k["mqtt_up_bytes_per_day"]),
        ("MQTT bytes down per day", k["mqtt_down_bytes_per_day"]),
        ("MQTT messages per minute", k["mqtt_messages_per_min"]),
        ("central service CPU s per kiosk-hour (peak)", k["central_cpu_s_per_kiosk_hour"]),
        ("central broker CPU s per kiosk-hour", k["broker_cpu_s_per_kiosk_hour"]),
        (f"gallery full pull, {g['customers_held']} customers (s)", g["full_pull_s"]),
        (f"gallery delta pull, {g['delta_changes']} changes (s)", g["delta_pull_s"]),
    ]
    print(f"\nper kiosk, at real rates ({k['kiosks']} kiosks)")
    for label, value in rows:
        print(f"  {label:52} {value:>12}")
    print(f"knee: {report['knee']['kiosks'] or '-'} kiosks: {'; '.join(report['knee']['broke'])}")
    if report["bench_limit"]:
        print(f"stepping stopped: {report['bench_limit']}")
    sent, logged = report["requests_sent"], report["requests_logged_by_server"]
    print(f"requests sent {sent}, logged by the server {logged}")
