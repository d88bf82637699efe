"""The fleet bench, run small: its table holds what FLEET.md quotes, and it counts what the server saw."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.subprocess
@pytest.mark.slow
def test_a_quick_fleet_run_reports_every_figure_and_every_request_reached_the_server() -> None:
    run = subprocess.run(
        [sys.executable, "bench/fleet.py", "--quick", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        start_new_session=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])

    # Every signed request the kiosks sent is one the reference service logged, none more or fewer.
    assert report["requests_sent"] == report["requests_logged_by_server"] > 0
    per_kiosk = report["per_kiosk"]
    assert set(per_kiosk) >= {
        "requests_per_min_peak_hour", "requests_per_min_day_mean", "http_up_bytes_per_day",
        "http_down_bytes_per_day", "mqtt_up_bytes_per_day", "mqtt_down_bytes_per_day",
        "central_cpu_s_per_kiosk_hour", "broker_cpu_s_per_kiosk_hour",
    }  # fmt: skip
    for key in ("http_up_bytes_per_day", "http_down_bytes_per_day", "mqtt_up_bytes_per_day"):
        assert per_kiosk[key] > 0, key
    # A gallery poll a (real) minute, plus the uploads of the few check-ins of the busiest hour:
    # measured in real minutes, whatever the compression.
    assert 1.0 <= per_kiosk["requests_per_min_peak_hour"] <= 3.0
    # Every request kind the day counts was measured, the steady gallery pull as a delta (not the
    # first full pull: a steady kiosk's daily bytes would be off by the whole gallery each minute).
    sizes = report["bytes_per_request"]
    assert set(sizes) >= {"GET gallery", "POST checkins", "POST audit", "POST aggregates"}
    assert sizes["GET gallery"]["down"] < 2_000
    assert set(report["bytes_per_message"]) >= {"health", "floor", "availability"}

    gallery = report["gallery"]
    assert gallery["customers_held"] == 300 and gallery["full_pull_s"] > 0 and gallery["delta_pull_s"] > 0
    steps = report["steps"]
    assert [step["kiosks"] for step in steps] == [2, 4]
    for step in steps:
        assert step["errors"] == 0 and step["sync_errors_total"] == 0
        assert step["mqtt_received"] == step["mqtt_published"] > 0
        assert step["requests"] > 0
