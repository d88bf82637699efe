"""Running the sim in this process: uvicorn in a thread on a free loopback port, for tests and the demo."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from sync.central_sim.app import create_app
from sync.central_sim.db import CentralDb
from sync.central_sim.device_keys import DeviceSecrets
from sync.central_sim.faults import Faults


class CentralSim:
    def __init__(
        self,
        db_path: Path,
        port: int = 0,
        *,
        secrets: DeviceSecrets,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.app = create_app(db_path, faults, secrets=secrets)
        self._host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def db(self) -> CentralDb:
        """The sim's store: `enroll` and `withdraw` seed the gallery; `records` shows what arrived."""
        db: CentralDb = self.app.state.db
        return db

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self._port}"

    def start(self, timeout_s: float = 10.0) -> CentralSim:
        # Binding here, not in uvicorn, is how port 0 becomes a known free port before serving starts.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self._host, self._port))
        self._port = listener.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [listener]}, name="central-sim", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the central sim did not start on {self.base_url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None
        self.db.close()

    def __enter__(self) -> CentralSim:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
