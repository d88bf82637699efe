"""The real daemon on a bench: `branchdoor run` reading a door stream, cueing a screen through Mosquitto.

Everything between the camera and the teller's screen is the product: the daemon as a subprocess
(its capture, recognition, check-in desk, cue board and MQTT link), a real Mosquitto, and a
subscriber standing in for a teller screen that stamps each cue as it arrives. Optionally the daemon,
and every process it starts, runs under a CPU quota (bench/cpu_cap.py); the scene, the broker and the
screen stay outside it, as a camera and a screen are other devices.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.cpu_cap import CpuCap
from bench.door_score import Arrival
from bench.door_stream import DoorStream
from device.demo.broker import MosquittoBroker
from device.domain import Consent, Profile, Role
from device.privacy.keys import write_new_key
from device.state.store import Store
from drivers.camera.scene import SceneScript

BRANCH = "bench-branch"
START_TIMEOUT_S = 120.0  # the daemon connects to the stream (models loaded) within this
AFTER_SCENE_S = 4.0  # a cue for the last visit may still be on its way
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Enrollee:
    ref: str
    vectors: np.ndarray
    role: Role = "customer"


@dataclass(frozen=True)
class ScreenCue:
    received: float  # monotonic, in this process
    customer_ref: str
    payload: dict[str, Any]


@dataclass
class RigResult:
    cues: list[ScreenCue]
    scene_start: float  # monotonic time scene frame 0 was sent
    stream: DoorStream
    cpu_s: float  # the daemon's processes, from scene start to scene end
    health: dict[str, Any] = field(default_factory=dict)  # the last health message
    exit_code: int | None = None
    throttled_s: float | None = None

    def arrivals(self) -> list[Arrival]:
        return [
            Arrival(
                c.received - self.scene_start,
                c.received,
                c.customer_ref,
                bool(c.payload.get("verify_before_greeting")),
            )
            for c in self.cues
        ]


class Screen:
    """A teller screen: subscribes to the branch's cues and health, stamps arrivals."""

    def __init__(self, port: int) -> None:
        self.cues: list[ScreenCue] = []
        self.health: dict[str, Any] = {}
        self.online = threading.Event()
        subscribed = threading.Event()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="bench-screen", protocol=mqtt.MQTTv5
        )
        self._client.on_connect = lambda c, *_: c.subscribe(f"branchdoor/{BRANCH}/#", qos=1)
        self._client.on_subscribe = lambda *_: subscribed.set()
        self._client.on_message = self._on_message
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()
        if not subscribed.wait(30):
            raise RuntimeError("the bench screen could not subscribe")

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        received = time.monotonic()
        if message.topic.endswith("/cues"):
            cue = json.loads(message.payload)
            self.cues.append(ScreenCue(received, cue["customer_ref"], cue))
        elif message.topic.endswith("/health"):
            self.health = json.loads(message.payload)
        elif message.topic.endswith("/availability") and message.payload == b"online":
            self.online.set()

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


def write_kiosk(workdir: Path, broker_port: int, stream_url: str, enrollees: Iterable[Enrollee]) -> Path:
    """A kiosk's config, key and state database with the gallery enrolled; returns the config path."""
    key = workdir / "template-key"
    cipher = write_new_key(key)
    state = workdir / "state"
    state.mkdir(mode=0o700)
    store = Store(state / "branchdoor.db", cipher)
    try:
        for person in enrollees:
            store.enroll(Profile(person.ref, person.ref), Consent("bench"), person.vectors, role=person.role)
    finally:
        store.close()
    config = workdir / "branchdoor.toml"
    config.write_text(
        f'[branch]\nid = "{BRANCH}"\ndevice_id = "door-1"\n\n'
        f'[camera]\ntype = "opencv"\nsource = "{stream_url}"\n\n'
        f'[mqtt]\nhost = "127.0.0.1"\nport = {broker_port}\ncue_expiry_s = 120\n\n'
        f'[storage]\nstate_dir = "{state}"\n\n'
        f'[privacy]\ntemplate_key_file = "{key}"\n\n'
        "[checkin]\ndedup_window_s = 1.0\n\n"  # the bench replays the same people: every visit is new
        "[observability]\nport = 0\nhealth_interval_s = 1\n\n"
        '[logging]\nformat = "text"\n'
    )
    return config


def _tree_cpu_s(root: int, seen: dict[int, float]) -> float:
    """CPU seconds of `root` and its descendants; `seen` keeps each process's last figure, so a
    worker that has exited still counts."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    stack = [root]
    while stack:
        pid = stack.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            seen[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK
        stack += children.get(pid, [])
    return sum(seen.values())


def _confine(cpu: int, cap: CpuCap | None) -> None:
    """In the daemon's process, before it runs: one core, and the quota if any."""
    os.sched_setaffinity(0, {cpu})
    if cap is not None:
        cap.add(os.getpid())


def run_kiosk(
    workdir: Path, script: SceneScript, enrollees: list[Enrollee], core: int, cap: CpuCap | None = None
) -> RigResult:
    broker = MosquittoBroker().start()
    stream = DoorStream(script).start()
    screen: Screen | None = None
    daemon: subprocess.Popen[bytes] | None = None
    try:
        screen = Screen(broker.port)
        config = write_kiosk(workdir, broker.port, stream.url, enrollees)
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
        with (workdir / "daemon.log").open("wb") as log:
            daemon = subprocess.Popen(
                [sys.executable, "-m", "device", "run", "--config", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
                # Born inside the quota: the encoder worker it starts later is too.
                preexec_fn=lambda: _confine(core, cap),
            )
        if not stream.scene_started.wait(START_TIMEOUT_S):
            raise RuntimeError(f"the daemon never read the door stream: see {workdir / 'daemon.log'}")
        seen: dict[int, float] = {}
        cpu_at_start = _tree_cpu_s(daemon.pid, seen)
        while not stream.finished.wait(0.5):
            _tree_cpu_s(daemon.pid, seen)
            if daemon.poll() is not None:
                raise RuntimeError(f"the daemon stopped: see {workdir / 'daemon.log'}")
        time.sleep(AFTER_SCENE_S)
        cpu = _tree_cpu_s(daemon.pid, seen) - cpu_at_start
        throttled = cap.throttled_s() if cap else None
        assert stream.scene_start is not None
        return RigResult(
            list(screen.cues), stream.scene_start, stream, cpu, dict(screen.health), None, throttled
        )
    finally:
        if daemon is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(daemon.pid, signal.SIGTERM)
            try:
                daemon.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait()
        if screen is not None:
            screen.close()
        stream.stop()
        broker.stop()
