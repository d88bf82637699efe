"""The shipped Mosquitto configurations run for real on loopback: a central broker (central.conf and
its ACL) and a branch broker (mosquitto.conf and its ACL) bridged to it by the shipped bridge.conf, its
per-branch placeholders filled the way an install fills them, its paths pointed at test certificates."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from device.demo.broker import find_mosquitto, free_port
from tests.certs import BranchCA
from tests.conftest import REPO
from tests.waiting import PATIENCE_S, eventually

SHIPPED = REPO / "config" / "mosquitto"
REGION, BRANCH = "eu-west", "0427"
BRIDGE_ID = f"bridge-{REGION}-{BRANCH}"


def tls_context(ca: BranchCA, name: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca.ca_file))
    context.load_cert_chain(ca.folder / f"{name}.pem", ca.folder / f"{name}.key")
    return context


class Process:
    """One Mosquitto running a rendered configuration, listening once `port` accepts."""

    def __init__(self, config: Path, port: int, log: Path) -> None:
        binary = find_mosquitto()
        assert binary is not None, "Mosquitto is required: apt-get install mosquitto"
        self.log = log
        self.process = subprocess.Popen([binary, "-c", str(config)], stderr=subprocess.PIPE)
        deadline = time.monotonic() + PATIENCE_S
        while True:
            assert self.process.poll() is None, f"{config} did not start: {self.log_text()[-2000:]}"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                assert time.monotonic() < deadline, f"{config} did not listen on {port}"
                time.sleep(0.05)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no clean disconnect, as when the branch's power or line goes."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(PATIENCE_S)
        if self.process.stderr is not None:
            self.process.stderr.close()


def _render(text: str, replacements: dict[str, str], log: Path) -> str:
    for old, new in replacements.items():
        assert old in text, f"the shipped configuration no longer says {old!r}"
        text = text.replace(old, new)
    text = text.replace("log_dest syslog", f"log_dest file {log}")
    # Root would make Mosquitto switch to its own user, which cannot read the test's private folders.
    return ("user root\n" if os.geteuid() == 0 else "") + text


def start_central(fleet_ca: BranchCA) -> tuple[Process, int]:
    """config/mosquitto/central.conf; it logs every PUBLISH it receives (debug), for the test to read."""
    folder, port = fleet_ca.folder, free_port()
    (folder / "central.acl").write_text((SHIPPED / "central.acl").read_text())
    log = folder / "central.log"
    text = _render(
        (SHIPPED / "central.conf").read_text(),
        {"/etc/mosquitto/central/": f"{folder}/", "listener 8883": f"listener {port} 127.0.0.1"},
        log,
    )
    config = folder / "central.conf"
    config.write_text(text + "log_type debug\n")
    return Process(config, port, log), port


def render_bridge(central_port: int, fleet_folder: Path) -> str:
    """What the header's `envsubst` writes with the branch's fleet.env: those three, and no other
    placeholder left behind."""
    values = {
        "BRANCHDOOR_REGION": REGION,
        "BRANCHDOOR_BRANCH": BRANCH,
        "BRANCHDOOR_CENTRAL": f"127.0.0.1:{central_port}",
    }
    text = (SHIPPED / "bridge.conf").read_text()
    for name, value in values.items():
        text = text.replace(f"${{{name}}}", value)
    assert "${" not in text, "bridge.conf has a placeholder its header does not document"
    return text.replace("/etc/mosquitto/branchdoor/fleet/", f"{fleet_folder}/")


@dataclass
class Branch:
    process: Process
    tls_port: int


def start_branch(branch_ca: BranchCA, bridge_conf: str) -> Branch:
    """config/mosquitto/mosquitto.conf with the rendered bridge in its conf.d."""
    folder, tls_port, ws_port = branch_ca.folder, free_port(), free_port()
    subprocess.run(
        ["mosquitto_passwd", "-c", "-b", str(folder / "passwords"), "screen-0427-counter-1", "pw"], check=True
    )
    (folder / "branchdoor.acl").write_text((SHIPPED / "branchdoor.acl").read_text())
    conf_d = folder / "conf.d"
    conf_d.mkdir()
    (conf_d / "branchdoor-bridge.conf").write_text(bridge_conf)
    log = folder / "branch.log"
    text = _render(
        (SHIPPED / "mosquitto.conf").read_text(),
        {
            "/etc/mosquitto/branchdoor/": f"{folder}/",
            "/etc/mosquitto/conf.d": str(conf_d),
            "listener 8883": f"listener {tls_port} 127.0.0.1",
            "listener 8884": f"listener {ws_port} 127.0.0.1",
        },
        log,
    )
    config = folder / "mosquitto.conf"
    config.write_text(text)
    return Branch(Process(config, tls_port, log), tls_port)


@dataclass(frozen=True)
class Heard:
    topic: str
    payload: bytes
    retain: bool
    at: float


@dataclass
class CentralCapture:
    """Head office's view: everything (`#`) and the bridges' link states (`$SYS/...`, which `#` does
    not match), over TLS as the fleet-monitor account."""

    port: int
    tls: ssl.SSLContext
    heard: list[Heard] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        subscribed = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self._client.tls_set_context(self.tls)
        self._client.on_connect = lambda c, _u, _f, _rc, _p: c.subscribe(
            [("#", 1), ("$SYS/broker/connection/#", 1)]
        )

        def on_subscribe(
            _c: mqtt.Client, _u: object, _mid: int, _rc: list[ReasonCode], _p: Properties | None
        ) -> None:
            subscribed.set()

        self._client.on_subscribe = on_subscribe
        self._client.on_message = self._on_message
        self._client.connect("127.0.0.1", self.port)
        self._client.loop_start()
        assert subscribed.wait(PATIENCE_S), "the central monitor could not subscribe"

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.heard.append(Heard(message.topic, bytes(message.payload), bool(message.retain), time.time()))

    def on(self, topic: str) -> list[Heard]:
        with self._lock:
            return [h for h in self.heard if h.topic == topic]

    def wait(self, predicate: Callable[[], bool], timeout_s: float = PATIENCE_S) -> bool:
        return eventually(predicate, timeout_s)

    def everything(self) -> list[Heard]:
        with self._lock:
            return list(self.heard)

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()
