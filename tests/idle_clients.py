"""Clients that connect and then say nothing, as a LAN-side probe does, and how long the server keeps them."""

from __future__ import annotations

import contextlib
import socket
import time


def open_idle(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` connections that never send a byte (a generous client-side timeout for later reads)."""
    return [socket.create_connection((host, port), timeout=60) for _ in range(count)]


def seconds_until_closed(connection: socket.socket, limit_s: float) -> float | None:
    """How long until the server closed `connection` (end of stream or reset), or None if it was
    still open after `limit_s`."""
    started = time.monotonic()
    connection.settimeout(limit_s)
    try:
        data = connection.recv(1)
    except TimeoutError:
        return None
    except ConnectionResetError:
        data = b""
    assert data == b"", f"the server sent {data!r} to a client that asked nothing"
    return time.monotonic() - started


def seconds_until_all_closed(connections: list[socket.socket], limit_s: float) -> list[float | None]:
    """`seconds_until_closed` for each, all within one `limit_s` from now (None: still open then)."""
    started = time.monotonic()
    waited: list[float | None] = []
    for connection in connections:
        left = started + limit_s - time.monotonic()
        took = seconds_until_closed(connection, max(0.01, left))
        waited.append(None if took is None else time.monotonic() - started)
    return waited


def close_all(connections: list[socket.socket]) -> None:
    for connection in connections:
        with contextlib.suppress(OSError):
            connection.close()
