"""The queue alert from a real daemon: `branchdoor run` with an emulated LD2450 on a pty watching the
queue at its one counter, a real Mosquitto; raised with three in line, cleared when they have gone, and
said in the health topic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from device.demo.broker import MosquittoBroker
from drivers.emulators.ld2450 import Ld2450Emulator
from tests.device.runtime.test_queue_alert import IN_LINE_UNTIL_S, RADAR, THREE_IN_LINE, SceneClock
from tests.e2e.daemon import Daemon
from tests.keys import privacy_section
from tests.mqtt_helpers import Received, Subscriber
from tests.waiting import PATIENCE_S

pytestmark = pytest.mark.e2e

FLOOR = f"""
[floor]
width_m = 8.0
depth_m = 6.0
snapshot_interval_s = 1.0
service_time_s = 240.0
[[floor.zones]]
name = "queue"
kind = "queue"
polygon = [[5, 1], [7, 1], [7, 4], [5, 4]]
[[floor.zones]]
name = "counter 1"
kind = "counter"
polygon = [[5, 4.5], [7, 4.5], [7, 6], [5, 6]]
[floor.placements.radar]
x_m = {RADAR.x_m}
y_m = {RADAR.y_m}
heading_deg = {RADAR.heading_deg}
[staffing]
alert_raise_after_s = 2.0
alert_clear_after_s = 4.0
"""


def states(messages: list[Received]) -> list[str]:
    return [json.loads(m.payload)["state"] for m in messages]


def test_the_daemon_raises_the_queue_alert_for_a_long_line_and_clears_it(tmp_path: Path) -> None:
    broker = MosquittoBroker().start()
    clock = SceneClock()
    radar = Ld2450Emulator(THREE_IN_LINE, RADAR, clock=clock)
    port = radar.start()
    config = tmp_path / "branchdoor.toml"
    config.write_text(
        '[branch]\nid = "busy"\n[camera]\ntype = "opencv"\nsource = "/dev/video-missing"\n'
        f"[mqtt]\nport = {broker.port}\n"
        f'[storage]\nstate_dir = "{tmp_path / "state"}"\n'
        + privacy_section(tmp_path)
        + "[observability]\nport = 0\nhealth_interval_s = 1.0\n"
        f'[[sensors]]\nid = "radar"\ntype = "ld2450"\nport = "{port}"\n' + FLOOR
    )
    screen = Subscriber(broker.port, "branchdoor/busy/alerts/queue")
    health = Subscriber(broker.port, "branchdoor/busy/device/+/health")
    daemon = Daemon(config)
    try:
        assert screen.wait_for(lambda: "raised" in states(screen.messages), 4 * PATIENCE_S), daemon.log_text()
        raised = json.loads(screen.messages[0].payload)
        assert raised["reasons"] == ["line"] and raised["more_counters"] == 2, raised
        assert daemon.wait_logged("queue alert raised", PATIENCE_S)

        def health_says(state: str) -> bool:
            reports = [json.loads(m.payload) for m in health.messages]
            return any(report.get("queue_alert", {}).get("state") == state for report in reports)

        assert health.wait_for(lambda: health_says("raised"))

        clock.skip(2 * IN_LINE_UNTIL_S)  # the line empties
        assert screen.wait_for(lambda: "clear" in states(screen.messages), 4 * PATIENCE_S), daemon.log_text()
        assert set(states(screen.messages)[:-1]) == {"raised"}  # raised (refreshed), then cleared once
        assert health.wait_for(lambda: health_says("clear"))
        code, _ = daemon.terminate()
        assert code == 0
    finally:
        daemon.kill()
        radar.stop()
        screen.close()
        health.close()
        broker.stop()
