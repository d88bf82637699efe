"""Only this machine counts as loopback: anything else is the network, where plaintext is refused."""

from __future__ import annotations

import re

import pytest

from common.net import check_listen_address, is_loopback, parse_url, url_host, url_is_loopback


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


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://central.bank.example", "central.bank.example"),
        ("HTTP://LocalHost:8470/v1", "localhost"),
        ("http://[::1]:8470/", "::1"),
        ("wss://broker.branch0427.lan:8884/mqtt", "broker.branch0427.lan"),
    ],
)
def test_a_url_is_judged_by_its_parsed_host(url: str, host: str) -> None:
    assert parse_url(url, ("http", "https", "ws", "wss")).host == host


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1@central.evil.example/", "user name or password"),
        ("https://user:pass@central.bank.example/", "user name or password"),
        ("http://127.0.0.1:80@evil.example/", "user name or password"),
        ("http://127.0.0.1\\@evil.example/", "backslashes"),
        ("http://127.0.0.1\t.evil.example/", "control characters"),
        ("http://127。0。0。1/", "plain ASCII"),
        ("http://127.0.0.1 /", "spaces"),
        ("http://a:+80/", "host[:port]"),
        ("http://a:99999/", "port"),
        ("http://127.1/", "looks like an IP address"),
        ("ftp://central.bank.example/", "expected a http:// or https:// URL"),
        ("http:///v1", "names no host"),
    ],
)
def test_a_url_parsers_could_read_differently_is_refused(url: str, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        parse_url(url, ("http", "https"))
    assert not url_is_loopback(url)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "0.0.0.0", "10.4.27.2", "localhost"])  # noqa: S104
def test_a_listen_address_is_an_ip_address_or_localhost(host: str) -> None:
    assert check_listen_address(host) == host


@pytest.mark.parametrize("host", ["kiosk.branch.lan", "127.evil.example", "[::1]", "127.0.0.1:80", ""])
def test_a_listen_address_that_needs_a_lookup_is_refused(host: str) -> None:
    with pytest.raises(ValueError, match="not an IP address to listen on"):
        check_listen_address(host)


def test_an_ipv6_address_goes_in_a_url_in_brackets() -> None:
    assert url_host("::1") == "[::1]" and url_host("127.0.0.1") == "127.0.0.1"
