"""/healthz and /metrics on a real socket: a probe holding idle connections neither starves the health
check nor keeps its connections, and the listening address is one this machine can bind."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from common.http_server import MAX_CONNECTIONS
from device.checkin.desk import CheckinDesk
from device.config_file import ConfigError, parse_config
from device.mqtt.config import MqttConfig
from device.mqtt.link import MqttLink
from device.mqtt.topics import Topics
from device.recognition.config import RecognitionConfig
from device.recognition.faces import FaceEngine
from device.recognition.pipeline import Pipeline
from device.recognition.recognizer import Recognizer
from device.runtime.observability import ObservabilityServer, Parts
from device.state.store import Store
from drivers.camera import open_camera
from drivers.camera.opencv_source import OpenCVCameraConfig
from tests.identity import IDENTITY
from tests.idle_clients import close_all, open_idle, seconds_until_all_closed
from tests.keys import CIPHER


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[Parts]:
    """A daemon's parts, built but not started: health says degraded (no frames, no broker)."""
    store = Store(tmp_path / "s.db", CIPHER)
    camera = open_camera(OpenCVCameraConfig(source=str(tmp_path / "no-such-video.mp4")))
    pipeline = Pipeline(
        camera,
        lambda gallery: Recognizer(FaceEngine(), RecognitionConfig(), gallery),
        store,
        CheckinDesk(store, "b1", "door-1", 60),
        on_checkin=lambda _checkin: None,
    )
    link = MqttLink(MqttConfig(), Topics("branchdoor", "b1", "door-1"), client_id="observability-test")
    yield Parts(pipeline, link, store, identity=IDENTITY)
    store.close()


def serving(parts: Parts, host: str = "127.0.0.1", idle_timeout_s: float = 60.0) -> ObservabilityServer:
    server = ObservabilityServer(parts, host, 0, idle_timeout_s=idle_timeout_s)
    server.start()
    return server


def test_a_probe_holding_idle_connections_does_not_delay_the_health_check(parts: Parts) -> None:
    # Idle connections would live a minute: longer than this test, so any that closes was made to.
    server = serving(parts)
    idle = open_idle("127.0.0.1", server.port, MAX_CONNECTIONS + 8)
    try:
        started = time.monotonic()
        reply = httpx.get(f"{server.url}healthz", timeout=30)
        took = time.monotonic() - started
        assert reply.status_code == 503 and "broker: not connected" in reply.json()["problems"]
        assert took < 20, f"/healthz took {took:.1f} s behind idle connections"
        # Room was made by closing the connections idle the longest.
        assert None not in seconds_until_all_closed(idle[:9], 10)
    finally:
        close_all(idle)
        server.stop()


def test_idle_connections_are_closed_by_the_server_within_the_timeout(parts: Parts) -> None:
    server = serving(parts, idle_timeout_s=1.0)
    idle = open_idle("127.0.0.1", server.port, 20)
    try:
        waited = seconds_until_all_closed(idle, 30)
        assert None not in waited, f"still open after 30 s: {waited}"
        assert httpx.get(f"{server.url}metrics", timeout=30).status_code == 200
    finally:
        close_all(idle)
        server.stop()


def test_an_ipv6_address_is_listened_on(parts: Parts) -> None:
    with socket.socket(socket.AF_INET6) as probe:
        try:
            probe.bind(("::1", 0))
        except OSError:
            pytest.skip("this machine has no IPv6 loopback")
    server = serving(parts, "::1")
    try:
        assert server.url.startswith("http://[::1]:")
        assert httpx.get(f"{server.url}healthz", timeout=30).status_code == 503
    finally:
        server.stop()


@pytest.mark.parametrize("host", ["metrics.kiosk.lan", "127.evil.example", "[::1]"])
def test_a_host_name_is_refused_as_a_listening_address(host: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(f'[branch]\nid = "b1"\n[observability]\nhost = "{host}"\n', Path("k.toml"))
    [problem] = refused.value.problems
    assert problem.startswith("k.toml:4: observability.host: Value error, ")
    assert "not an IP address to listen on" in problem
