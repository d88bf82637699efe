"""Where a configured address points: this machine, or the network; judged from parsed addresses,
never from how a string starts."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

# A DNS name: dot-separated labels of letters, digits, hyphens (and the underscores internal zones use).
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_DNS_NAME = re.compile(rf"^(?:{_LABEL}\.)*{_LABEL}\.?$")
# A name ending in a number is read as an IPv4 address by browsers and C resolvers (127.1, 0x7f.1,
# 0177.0.0.1, 2130706433), and each reads it its own way: not something to judge.
_NUMERIC_LAST_LABEL = re.compile(r"(?:^|\.)(?:\d+|0[xX][0-9A-Fa-f]*)\.?$")
# host[:port] once user info is refused; the port in ASCII digits (urlsplit is laxer than httpx).
_NETLOC = re.compile(r"^(?:\[[^\[\]]*\]|[^:\[\]]*)(?::\d*)?$")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What a URL really points at: its scheme and host lower-cased, the host without brackets."""

    scheme: str
    host: str
    port: int | None


def is_loopback(host: str) -> bool:
    """True for this machine only (localhost, ::1, 127.0.0.0/8): traffic that never leaves the kiosk.
    A name that merely starts with "127." (127.0.0.1.example.com) is a network host."""
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(host: str) -> str:
    """`host` if it is an IP address or a DNS name; ValueError for anything else (a port, brackets,
    spaces, a URL): what is not plainly an address cannot be judged to be this machine or not."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    if len(host) > 253 or not _DNS_NAME.match(host):
        raise ValueError(f"{host!r} is neither an IP address nor a host name (no port, brackets or scheme)")
    if _NUMERIC_LAST_LABEL.search(host):
        raise ValueError(f"{host!r} looks like an IP address but is not one: write it as a.b.c.d")
    return host


def check_listen_address(host: str) -> str:
    """`host` if this machine can listen on it without a lookup: localhost or an IP address."""
    if host.lower() == "localhost":
        return host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"{host!r} is not an IP address to listen on (e.g. 127.0.0.1, ::1, 0.0.0.0)"
        ) from None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        raise ValueError(f"{host!r}: an IPv6 scope (%) is not supported here")
    return host


def parse_url(url: str, schemes: Collection[str]) -> Endpoint:
    """The endpoint `url` points at, or ValueError for a URL two parsers could read differently.

    User info (user@, user:pass@) is refused outright: in "http://127.0.0.1@evil.example/" the host
    is evil.example, whatever the URL seems to say. So are spaces, control and non-ASCII characters
    and backslashes, which URL parsers strip, keep or treat as "/" each in their own way."""
    if not url.isascii() or "\\" in url or any(not char.isprintable() or char.isspace() for char in url):
        raise ValueError(
            "the URL must be plain ASCII without spaces, control characters or backslashes "
            "(write an international host name in its xn-- form)"
        )
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        expected = " or ".join(f"{name}://" for name in sorted(schemes))
        raise ValueError(f"expected a {expected} URL")
    if "@" in parts.netloc:
        raise ValueError("a user name or password (user@ or user:pass@) in the URL is refused")
    if not parts.hostname:
        raise ValueError("the URL names no host")
    if not _NETLOC.match(parts.netloc):
        raise ValueError("the URL's host and port are not host[:port]")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the URL's port is not a number from 0 to 65535") from None
    return Endpoint(scheme, check_host(parts.hostname), port)


def url_is_loopback(url: str) -> bool:
    """True when `url` points at this machine; False for any other URL, or one that cannot be judged."""
    try:
        return is_loopback(parse_url(url, ("http", "https", "ws", "wss")).host)
    except ValueError:
        return False


def url_host(host: str) -> str:
    """`host` as it goes in a URL: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host
