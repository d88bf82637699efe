"""A private Mosquitto on a free loopback port, for the demo and the tests (never the system broker)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType


class BrokerUnavailable(RuntimeError):
    pass


def find_mosquitto() -> str | None:
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class BrokerTls:
    """A TLS listener that requires a client certificate; its CN is the user name (for the ACL)."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    port: int = field(default_factory=free_port)

    def listener(self, host: str) -> str:
        return (
            f"listener {self.port} {host}\ncafile {self.ca_file}\ncertfile {self.cert_file}\n"
            f"keyfile {self.key_file}\nrequire_certificate true\nuse_identity_as_username true\n"
        )


class MosquittoBroker:
    def __init__(
        self,
        port: int | None = None,
        extra_config: str = "",
        users: dict[str, str] | None = None,
        *,
        tls: BrokerTls | None = None,
        websockets_port: int | None = None,
        acl_file: Path | None = None,
    ) -> None:
        """`users` (name -> password) turns anonymous access off, as a branch broker would.
        `websockets_port` adds an MQTT-over-WebSockets listener (Debian's Mosquitto binds it to every
        interface whatever the address says)."""
        self._users = users or {}
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.tls = tls
        self.websockets_port = websockets_port
        self._acl_file = acl_file
        self._extra = extra_config
        self._dir = Path(tempfile.mkdtemp(prefix="branchdoor-mosquitto-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self._dir / "mosquitto.log"

    def start(self, timeout_s: float = 10.0) -> MosquittoBroker:
        binary = find_mosquitto()
        if binary is None:
            raise BrokerUnavailable(
                "Mosquitto is not installed. Install it with: sudo apt-get install mosquitto"
            )
        config = self._dir / "mosquitto.conf"
        access = "allow_anonymous true\n"
        if self._users:
            passwords = self._dir / "passwords"
            passwords.write_text("".join(f"{user}:{password}\n" for user, password in self._users.items()))
            passwords.chmod(0o600)
            subprocess.run(["mosquitto_passwd", "-U", str(passwords)], check=True, capture_output=True)
            access = f"allow_anonymous false\npassword_file {passwords}\n"
        # Started as root, Mosquitto would switch to its own user, which cannot read this private
        # folder: a throwaway loopback broker stays as whoever started it.
        who = "user root\n" if os.geteuid() == 0 else ""
        listeners = f"listener {self.port} {self.host}\n"
        if self.tls is not None:
            listeners += self.tls.listener(self.host)
        if self.websockets_port is not None:
            listeners += f"listener {self.websockets_port} {self.host}\nprotocol websockets\n"
        if self._acl_file is not None:
            access += f"acl_file {self._acl_file}\n"
        config.write_text(
            f"{who}per_listener_settings false\n{listeners}"
            f"{access}"
            "persistence false\n"
            f"log_dest file {self.log_path}\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
            f"{self._extra}\n"
        )
        self._process = subprocess.Popen(
            [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode() if self._process.stderr else ""
                # The reason (a port in use, a bad certificate) is in its log file, not on stderr.
                logged = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
                raise BrokerUnavailable(f"mosquitto exited at start: {err.strip()} {logged.strip()[-500:]}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise BrokerUnavailable(f"mosquitto did not listen on {self.host}:{self.port} in {timeout_s}s")

    def add_user(self, name: str, password: str) -> None:
        """Let one more account in, live: Mosquitto rereads its password file on SIGHUP."""
        subprocess.run(
            ["mosquitto_passwd", "-b", str(self._dir / "passwords"), name, password],
            check=True,
            capture_output=True,
        )
        assert self._process is not None
        self._process.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process is not None and self._process.stderr:
            self._process.stderr.close()
        self._process = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> MosquittoBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
