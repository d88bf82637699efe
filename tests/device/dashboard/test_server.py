"""The dashboard's server (no browser): the settings the page receives name no credentials, and its
connection policy follows the parsed scheme."""

from __future__ import annotations

from pathlib import Path

import pytest

from device.config_file import ConfigError, parse_config
from device.dashboard.server import content_policy


def dashboard(line: str) -> str:
    return f'[branch]\nid = "0427"\n[dashboard]\nenabled = true\n{line}\n'


@pytest.mark.parametrize(
    ("line", "why"),
    [
        # Served in config.json to every browser that opens the page.
        ('broker_ws_url = "wss://screen:secret@broker.branch0427.lan:8884"', "user name or password"),
        ('broker_ws_url = "https://broker.branch0427.lan:8884"', "expected a ws:// or wss:// URL"),
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
