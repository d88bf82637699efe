"""Least privilege on the network, as far as the device's own config decides it."""

from __future__ import annotations

from pathlib import Path

import pytest

from device.cli import main
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


def test_a_url_that_starts_with_this_machine_but_names_another_host_is_refused_by_config_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue #14: httpx talked plain HTTP to central.evil.example, the host after the "@"."""
    path = tmp_path / "kiosk.toml"
    path.write_text(central("http://127.0.0.1@central.evil.example/"))
    assert main(["config", "check", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"{path}:4: central.url: Value error, a user name or password (user@ or user:pass@) in the URL "
        "is refused (got 'http://127.0.0.1@central.evil.example/')\n"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://kiosk-0427:secret@central.bank.example/",
        "https://kiosk-0427@central.bank.example",
        "http://127.0.0.1:8470@central.evil.example/",
        "http://127.0.0.1\\\\@central.evil.example/",  # a backslash, which browsers read as "/"
    ],
)
def test_user_info_in_the_url_is_refused_even_over_https(url: str, tmp_path: Path) -> None:
    # The device signs its requests with its secret file; credentials in the URL would sit in a
    # world-readable config and hide which host it really talks to.
    with pytest.raises(ConfigError) as refused:
        parse_config(central(url, "allow_plaintext = true\n"), tmp_path / "k.toml")
    [problem] = refused.value.problems
    assert problem.startswith(f"{tmp_path / 'k.toml'}:4: central.url: Value error, ")


def test_the_plaintext_refusal_names_the_host_and_points_at_the_url() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(central("http://127.0.0.1.central.example:8470/"), Path("k.toml"))
    assert refused.value.problems == [
        "k.toml:4: central.url: Value error, plaintext http:// to 127.0.0.1.central.example carries "
        "customer data unencrypted: use https://"
    ]
