"""What operations sees of a running daemon: /healthz, /metrics and the MQTT health topic."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from device.demo.broker import MosquittoBroker
from tests.e2e.daemon import Daemon, stop_limit_s
from tests.e2e.test_daemon import door_scene
from tests.keys import privacy_section
from tests.mqtt_helpers import Subscriber
from tests.waiting import eventually

pytestmark = pytest.mark.e2e


def healthz(port: int) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)


def test_health_and_metrics_say_what_is_wrong(
    tmp_path: Path, grace_photo: Path, astronaut_head: Path
) -> None:
    broker = MosquittoBroker().start()  # this test's own: it is stopped half way
    scene = door_scene(tmp_path / "scene.toml", grace_photo, astronaut_head)
    config = tmp_path / "branchdoor.toml"
    config.write_text(
        f'[branch]\nid = "obs"\n[camera]\ntype = "scene"\nscript = "{scene}"\nloop = true\n'
        f"[mqtt]\nport = {broker.port}\nreconnect_max_s = 1.0\n"
        f'[storage]\nstate_dir = "{tmp_path / "state"}"\n'
        + privacy_section(tmp_path)
        + "[observability]\nport = 0\nhealth_interval_s = 1.0\n"
    )
    screen = Subscriber(broker.port, "branchdoor/obs/device/door-1/health")
    daemon = Daemon(config)
    try:
        assert daemon.wait_logged("health and metrics on", 30), daemon.log_text()
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/healthz", daemon.log_text()).group(1))  # type: ignore[union-attr]
        assert daemon.wait_logged("ready:", 30)
        healthy = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert healthy.status_code == 200, healthy.text
        assert healthy.json()["status"] == "ok"
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        frames = float(re.search(r"^branchdoor_frames_captured_total (\S+)$", metrics, re.M).group(1))  # type: ignore[union-attr]
        assert frames > 0
        assert "branchdoor_broker_connected 1.0" in metrics
        latency_count = re.search(r"^branchdoor_frame_latency_seconds_count (\S+)$", metrics, re.M)
        assert latency_count is not None and float(latency_count.group(1)) > 0
        assert screen.wait_for(lambda: len(screen.messages) >= 1)
        assert json.loads(screen.messages[0].payload)["status"] == "ok"
        screen.close()

        broker.stop()
        assert eventually(lambda: healthz(port).status_code == 503)
        assert "broker: not connected" in healthz(port).json()["problems"]
        code, took = daemon.terminate()
        assert code == 0 and took < stop_limit_s()
    finally:
        daemon.kill()
        broker.stop()


def test_without_a_camera_the_floor_and_the_health_topic_keep_going(tmp_path: Path) -> None:
    from drivers.emulators.ld2450 import Ld2450Emulator
    from drivers.emulators.scenario import door_traffic
    from drivers.serial.geometry import Placement

    broker = MosquittoBroker().start()
    radar = Ld2450Emulator(door_traffic(), Placement(3.0, 0.0, 0.0))
    port = radar.start()
    config = tmp_path / "branchdoor.toml"
    config.write_text(
        '[branch]\nid = "nocam"\n[camera]\ntype = "opencv"\nsource = "/dev/video-missing"\n'
        f"[mqtt]\nport = {broker.port}\n"
        f'[storage]\nstate_dir = "{tmp_path / "state"}"\n'
        + privacy_section(tmp_path)
        + "[observability]\nport = 0\nhealth_interval_s = 1.0\n"
        f'[[sensors]]\nid = "radar"\ntype = "ld2450"\nport = "{port}"\n'
        "[floor]\nwidth_m = 6.0\ndepth_m = 6.0\nsnapshot_interval_s = 1.0\n"
        "[floor.placements.radar]\nx_m = 3.0\ny_m = 0.0\nheading_deg = 0.0\n"
    )
    screen = Subscriber(broker.port, "branchdoor/nocam/#")
    daemon = Daemon(config)
    try:
        assert screen.wait_for(lambda: len(screen.on("/floor")) >= 2, 30), daemon.log_text()
        assert screen.wait_for(lambda: len(screen.on("/health")) >= 1)
        report = json.loads(screen.on("/health")[-1].payload)
        no_frames = "camera: no frames (no such device: /dev/video-missing)"
        assert report["status"] == "degraded" and no_frames in report["problems"]
        assert not any("sensor" in problem for problem in report["problems"])
        code, _ = daemon.terminate()
        assert code == 0
    finally:
        daemon.kill()
        radar.stop()
        screen.close()
        broker.stop()
