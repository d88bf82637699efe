"""The dashboard's server on a real socket (no browser): idle connections are closed, the page is still
served past them, and the settings the page receives name no credentials."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from common.http_server import MAX_CONNECTIONS
from device.config_file import ConfigError, parse_config
from device.dashboard.config import DashboardConfig
from device.dashboard.server import DashboardServer, content_policy
from tests.idle_clients import close_all, open_idle, seconds_until_all_closed


def serving(host: str = "127.0.0.1", idle_timeout_s: float = 60.0) -> DashboardServer:
    server = DashboardServer(
        DashboardConfig(enabled=True, host=host, port=0), "0427", "branchdoor", idle_timeout_s
    )
    server.start()
    return server


def port_of(server: DashboardServer) -> int:
    return int(server.url.rsplit(":", 1)[1].strip("/"))


def test_idle_connections_are_closed_and_the_page_is_still_served() -> None:
    server = serving(idle_timeout_s=1.0)
    idle = open_idle("127.0.0.1", port_of(server), MAX_CONNECTIONS + 8)
    try:
        assert httpx.get(server.url, timeout=30).status_code == 200
        waited = seconds_until_all_closed(idle, 30)
        assert None not in waited, f"still open after 30 s: {waited}"
    finally:
        close_all(idle)
        server.stop()


def test_an_ipv6_address_is_listened_on() -> None:
    with socket.socket(socket.AF_INET6) as probe:
        try:
            probe.bind(("::1", 0))
        except OSError:
            pytest.skip("this machine has no IPv6 loopback")
    server = serving("::1")
    try:
        assert server.url.startswith("http://[::1]:")
        assert httpx.get(server.url + "config.json", timeout=30).json()["branch_id"] == "0427"
    finally:
        server.stop()


def dashboard(line: str) -> str:
    return f'[branch]\nid = "0427"\n[dashboard]\nenabled = true\n{line}\n'


@pytest.mark.parametrize(
    ("line", "why"),
    [
        # Served in config.json to every browser that opens the page.
        ('broker_ws_url = "wss://screen:secret@broker.branch0427.lan:8884"', "user name or password"),
        ('broker_ws_url = "https://broker.branch0427.lan:8884"', "expected a ws:// or wss:// URL"),
        ('host = "kiosk.branch0427.lan"', "not an IP address to listen on"),
    ],
)
def test_what_the_dashboard_cannot_judge_is_refused_at_its_line(line: str, why: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(dashboard(line), Path("k.toml"))
    [problem] = refused.value.problems
    assert problem.startswith(f"k.toml:5: dashboard.{line.split()[0]}: Value error, ") and why in problem


def test_the_page_policy_follows_the_parsed_scheme() -> None:
    config = parse_config(
        dashboard('broker_ws_url = "WSS://broker.branch0427.lan:8884/mqtt"'), Path("k.toml")
    )
    assert "connect-src 'self' wss:;" in content_policy(config.dashboard.broker_ws_url)
    assert "ws: wss:" in content_policy("ws://127.0.0.1:9001")
