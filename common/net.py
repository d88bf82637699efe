"""Where a configured address points: this machine, or the network."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


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


def url_is_loopback(url: str) -> bool:
    return is_loopback(urlsplit(url).hostname or "")
