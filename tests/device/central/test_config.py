"""Least privilege on the network, as far as the device's own config decides it."""

from __future__ import annotations

from pathlib import Path

import pytest

from device.config_file import ConfigError, parse_config

SECRET = "/run/credentials/branchdoor.service/device-secret"


def central(url: str, extra: str = "") -> str:
    return f'[branch]\nid = "b1"\n[central]\nurl = "{url}"\ndevice_secret_file = "{SECRET}"\n{extra}'


def test_plaintext_http_to_another_host_is_refused_unless_explicitly_allowed() -> None:
    with pytest.raises(ConfigError, match="plaintext http://"):
        parse_config(central("http://central.bank.example"), Path("k.toml"))
    assert parse_config(central("http://central.lab", "allow_plaintext = true\n"), Path("k.toml")).central
    assert parse_config(central("http://127.0.0.1:8470"), Path("k.toml")).central
    assert parse_config(central("https://central.bank.example"), Path("k.toml")).central
