"""Serves the reference teller dashboard: static files, and the few settings the page needs.

The page holds no secret: each teller signs in to the broker with their screen's own account.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import threading
from pathlib import Path

from common.http_server import IDLE_TIMEOUT_S, BoundedHTTPServer, QuietHandler
from common.net import parse_url, url_host
from device.dashboard.config import DashboardConfig

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"


def content_policy(broker_ws_url: str) -> str:
    """Where the page may connect: with a wss:// broker, never to a plain ws:// one (the page sends
    the screen's broker password). mqtt.js runs its keepalive timer in a worker made from a blob."""
    sockets = "wss:" if parse_url(broker_ws_url, ("ws", "wss")).scheme == "wss" else "ws: wss:"
    return f"default-src 'self'; connect-src 'self' {sockets}; worker-src blob:"


FILES = {
    "/": "index.html",
    "/index.html": "index.html",
    "/app.js": "app.js",
    "/cards.js": "cards.js",
    "/queue.js": "queue.js",
    "/sound.js": "sound.js",
    "/strings.js": "strings.js",
    "/app.css": "app.css",
    "/favicon.ico": "favicon.svg",
    "/vendor/mqtt.min.js": "vendor/mqtt.min.js",
}


class DashboardServer:
    def __init__(
        self,
        config: DashboardConfig,
        branch_id: str,
        topic_prefix: str,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
    ) -> None:
        settings = json.dumps(
            {"branch_id": branch_id, "topic_prefix": topic_prefix, "broker_ws_url": config.broker_ws_url}
        ).encode()
        policy = content_policy(config.broker_ws_url)

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/config.json":
                    self._reply(200, "application/json", settings)
                    return
                name = FILES.get(path)
                if name is None:
                    self._reply(404, "text/plain", b"not found\n")
                    return
                kind = "image/svg+xml" if name.endswith(".svg") else mimetypes.guess_type(name)[0]
                self._reply(200, kind or "application/octet-stream", (STATIC / name).read_bytes())

            def _reply(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Security-Policy", policy)
                self.end_headers()
                self.wfile.write(body)

        self._server = BoundedHTTPServer((config.host, config.port), Handler, idle_timeout_s=idle_timeout_s)
        self._thread = threading.Thread(target=self._server.serve_forever, name="dashboard", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{url_host(str(host))}:{port}/"

    def start(self) -> None:
        self._thread.start()
        log.info("teller dashboard on %s", self.url)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
