"""The kiosk's HTTP servers: idle connections are closed, and a bounded number are open at once."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from common.http_server import BoundedHTTPServer, QuietHandler
from tests.idle_clients import close_all, open_idle, seconds_until_all_closed, seconds_until_closed
from tests.waiting import eventually

RELEASE = threading.Event()


class Handler(QuietHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            RELEASE.wait(60)
        if self.path == "/broken":
            raise ZeroDivisionError("a bug in a handler")
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve(host: str = "127.0.0.1", **options: float) -> Iterator[BoundedHTTPServer]:
    server = BoundedHTTPServer((host, 0), Handler, **options)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        RELEASE.set()
        server.shutdown()
        server.server_close()
        thread.join(10)
        RELEASE.clear()


@pytest.fixture
def small() -> Iterator[BoundedHTTPServer]:
    """Room for 4 connections; idle ones would stay a minute, longer than any test here waits."""
    with serve(idle_timeout_s=60, max_connections=4) as server:
        yield server


def url(server: BoundedHTTPServer, path: str = "/") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_an_idle_connection_is_closed_after_the_timeout() -> None:
    with serve(idle_timeout_s=1.0) as server:
        idle = open_idle("127.0.0.1", server.server_address[1], 3)
        try:
            waited = seconds_until_all_closed(idle, 30)
        finally:
            close_all(idle)
        assert None not in waited, waited
        assert httpx.get(url(server), timeout=10).text == "ok\n"


def test_when_full_the_longest_idle_connection_makes_way(small: BoundedHTTPServer) -> None:
    idle = open_idle("127.0.0.1", small.server_address[1], 4)
    try:
        assert httpx.get(url(small), timeout=10).text == "ok\n"  # a fifth: the first idle one went
        assert seconds_until_closed(idle[0], 10) is not None
        assert small.evicted == 1 and small.refused == 0
    finally:
        close_all(idle)


def test_when_every_connection_is_busy_a_newcomer_is_turned_away(small: BoundedHTTPServer) -> None:
    def ask_slowly() -> None:
        httpx.get(url(small, "/slow"), timeout=60)

    busy = [threading.Thread(target=ask_slowly) for _ in range(4)]
    for thread in busy:
        thread.start()
    deadline = time.monotonic() + 30
    while small.open_connections < 4 or small.idle_connections:
        assert time.monotonic() < deadline, "the slow requests never arrived"
        time.sleep(0.05)
    newcomer = socket.create_connection(("127.0.0.1", small.server_address[1]), timeout=10)
    try:
        assert seconds_until_closed(newcomer, 10) is not None
        assert small.refused == 1 and small.evicted == 0
    finally:
        newcomer.close()
        RELEASE.set()
        for thread in busy:
            thread.join(30)
    assert eventually(lambda: small.open_connections == 0)


def test_an_ipv6_address_is_served() -> None:
    with socket.socket(socket.AF_INET6) as probe:
        try:
            probe.bind(("::1", 0))
        except OSError:
            pytest.skip("this machine has no IPv6 loopback")
    with serve("::1") as server:
        reply = httpx.get(f"http://[::1]:{server.server_address[1]}/", timeout=10)
        assert reply.text == "ok\n"


def test_a_failing_handler_is_logged_as_an_error_and_a_hang_up_is_not(
    small: BoundedHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="common.http_server")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(url(small, "/broken"), timeout=10)
    hung_up = socket.create_connection(("127.0.0.1", small.server_address[1]), timeout=10)
    hung_up.sendall(b"GET /slow HTTP/1.0\r\n\r\n")
    hung_up.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    hung_up.close()  # a reset: the answer to /slow will have nowhere to go
    RELEASE.set()
    assert eventually(lambda: small.open_connections == 0)
    errors = [record for record in caplog.records if record.levelname == "ERROR"]
    assert len(errors) == 1 and "failed" in errors[0].getMessage()
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is ZeroDivisionError
    assert eventually(lambda: "ended abruptly" in caplog.text)
