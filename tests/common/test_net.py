"""Only this machine counts as loopback: anything else is the network, where plaintext is refused."""

from __future__ import annotations

import pytest

from common.net import is_loopback, url_is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"])
def test_this_machine_is_loopback(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["10.0.0.5", "broker.branch0427.lan", "128.0.0.1", "::2", "0.0.0.0"])  # noqa: S104
def test_any_other_host_is_not(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000/v1", True),
        ("http://[::1]:8000/", True),
        ("http://localhost", True),
        ("http://central.bank.example/", False),
        ("http://10.1.2.3:8000", False),
        ("https://127.0.0.1.example.com/", False),
    ],
)
def test_a_url_is_loopback_by_its_host_only(url: str, loopback: bool) -> None:
    assert url_is_loopback(url) is loopback
