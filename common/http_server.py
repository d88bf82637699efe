"""A small threaded HTTP server for the kiosk's LAN-facing pages that idle clients cannot wear down.

Each connection gets a thread (the standard library's way), but no connection lives for ever: a socket
silent for `idle_timeout_s` is closed, and at most `max_connections` are open at once. When that many
are open, the one that has waited longest without sending a request line makes way for the newcomer
(so a probe holding many idle connections delays no health check); only when every open connection
is busy with a request is a newcomer turned away.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)

IDLE_TIMEOUT_S = 10.0
MAX_CONNECTIONS = 32


class QuietHandler(BaseHTTPRequestHandler):
    """The handler base these servers need: it says when a request line has arrived (the connection
    is then busy, no longer idle) and keeps the per-request log lines out of the journal."""

    server: BoundedHTTPServer

    def parse_request(self) -> bool:
        self.server.busy(self.connection)
        return super().parse_request()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class BoundedHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # The kernel's queue of connections not yet accepted (socketserver's default is 5): a burst
    # beyond it has its SYNs dropped and retried seconds later, health checks included.
    request_queue_size = 64

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[QuietHandler],
        *,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        # The family follows the configured address (an IPv6 one cannot be bound as AF_INET).
        host = address[0]
        if host.lower() != "localhost" and ipaddress.ip_address(host).version == 6:
            self.address_family = socket.AF_INET6
        self.idle_timeout_s = idle_timeout_s
        self.max_connections = max_connections
        self.refused = 0  # turned away: every open connection was busy
        self.evicted = 0  # idle connections closed to make way
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._idle: dict[socket.socket, None] = {}  # insertion order: the longest waiting first
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, client = super().get_request()
        connection.settimeout(self.idle_timeout_s)  # each read and write; the handler reads no more
        return connection, client

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self._lock:
            if len(self._open) >= self.max_connections:
                if not self._idle:
                    self.refused += 1
                    return False
                oldest = next(iter(self._idle))
                self._forget(oldest)
                self.evicted += 1
                # Its thread, blocked reading, sees the end of the stream and finishes.
                with contextlib.suppress(OSError):
                    oldest.shutdown(socket.SHUT_RDWR)
            self._open.add(request)
            self._idle[request] = None
        return True

    def busy(self, connection: socket.socket) -> None:
        with self._lock:
            self._idle.pop(connection, None)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._forget(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver prints the traceback to stderr, outside the JSON log. A client that hung up
        # mid-answer (or was closed to make way) is not news; a failing handler is an error.
        if isinstance(sys.exc_info()[1], OSError):
            log.debug("connection from %s ended abruptly", client_address, exc_info=True)
        else:
            log.exception("request from %s failed", client_address)

    def _forget(self, connection: socket.socket) -> None:
        self._open.discard(connection)
        self._idle.pop(connection, None)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._open)

    @property
    def idle_connections(self) -> int:
        with self._lock:
            return len(self._idle)
