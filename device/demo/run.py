"""`branchdoor demo`: the real daemon, end to end, on a scripted door scene.

It starts a private Mosquitto, enrolls the demo customer with `branchdoor enroll`, runs
`branchdoor run` as a subprocess on a scene camera, and listens as a teller screen would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from device.demo import faceset
from device.demo.broker import BrokerUnavailable, MosquittoBroker
from device.demo.cast import Cast, CastUnavailable, labeled_cast, public_domain_cast, scene_toml
from device.demo.central import central_config, enroll_centrally, start_central
from device.demo.floor import door_radar, floor_config
from device.demo.promises import Seen, shortfalls
from device.privacy.keys import write_new_key
from sync.central_sim import CentralSim

BRANCH = "demo-branch"
DAEMON_TIMEOUT_S = 120.0
OFFLINE_WAIT_S = 30.0  # for the kiosk's last word to reach the screen once the daemon has exited


def demo_key(workdir: Path) -> Path:
    """The demo kiosk's template key: a fresh 0600 file, as `make install` makes for a real one."""
    path = workdir / "template-key"
    if not path.exists():
        write_new_key(path)
    return path


def demo_config(workdir: Path, port: int, radar_port: str) -> str:
    return (
        "# Written by `branchdoor demo`. Every other setting keeps its embedded default.\n"
        f'[branch]\nid = "{BRANCH}"\ndevice_id = "door-1"\n\n'
        f'[camera]\ntype = "scene"\nscript = "{workdir / "scene.toml"}"\n\n'
        f'[mqtt]\nhost = "127.0.0.1"\nport = {port}\ncue_expiry_s = 120\n\n'
        f'[storage]\nstate_dir = "{workdir / "state"}"\n\n'
        f'[privacy]\ntemplate_key_file = "{demo_key(workdir)}"\n\n'
        '[logging]\nformat = "text"\n\n' + floor_config(radar_port)
    )


class TellerScreen:
    """Subscribes to the branch's topics the way a teller dashboard does, and prints what arrives."""

    def __init__(self, port: int) -> None:
        self.cues: list[dict[str, Any]] = []
        self.floor: list[dict[str, Any]] = []
        self.availability: list[str] = []
        self.offline = threading.Event()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="demo-teller-screen", protocol=mqtt.MQTTv5
        )
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = lambda *_: self._subscribed.set()
        self._client.on_message = self._on_message
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()
        if not self._subscribed.wait(10):
            raise RuntimeError("teller screen could not subscribe")

    def _on_connect(
        self, client: mqtt.Client, _u: object, _f: mqtt.ConnectFlags, _rc: ReasonCode, _p: Properties | None
    ) -> None:
        client.subscribe(f"branchdoor/{BRANCH}/#", qos=1)

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        if message.topic.endswith("/availability"):
            state = message.payload.decode()
            self.availability.append(state)
            print(f"  [teller screen] kiosk door-1 is {state}", flush=True)
            if state == "offline":
                self.offline.set()
            return
        if message.topic.endswith("/floor"):
            floor = json.loads(message.payload)
            self.floor.append(floor)
            ins, outs = door_counts(floor)
            print(
                f"  [branch floor]  {floor['occupancy']} on the floor, door in {ins} / out {outs}, "
                f"queue {floor['queue_length']}",
                flush=True,
            )
            return
        if message.topic.endswith("/cues"):
            cue = json.loads(message.payload)
            self.cues.append(cue)
            extras = ", ".join(cue["interests"] + cue["service_hints"]) or "no preferences on file"
            # A token check-in (QR code or card) carries no recognition confidence.
            how = "card/QR" if cue["checkin_channel"] == "token" else f"face, {cue['confidence']} confidence"
            print(
                f"  [teller screen] CUE  Please greet {cue['greeting_name']} "
                f"(ref {cue['customer_ref']}, {how}, language {cue['language']}) "
                f"- {extras}; expires {cue['expires_at']}",
                flush=True,
            )

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


def door_counts(snapshot: dict[str, Any]) -> tuple[int, int]:
    lines = snapshot["lines"].values()
    return sum(line["in"] for line in lines), sum(line["out"] for line in lines)


def _cast() -> Cast:
    root = faceset.face_data_dir(explicit_only=True)
    return labeled_cast(root) if root else public_domain_cast()


def _branchdoor(*args: str) -> list[str]:
    return [sys.executable, "-m", "device", *args]


def run_demo(workdir: Path) -> int:
    started = time.monotonic()
    workdir = workdir.resolve()
    shutil.rmtree(workdir / "state", ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        cast = _cast()
    except CastUnavailable as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    print(f"branchdoor demo - faces: {cast.source}")
    try:
        broker = MosquittoBroker().start()
    except BrokerUnavailable as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    try:
        return _run(workdir, cast, broker, started)
    finally:
        broker.stop()


def _run(workdir: Path, cast: Cast, broker: MosquittoBroker, started: float) -> int:
    print(f"  broker: Mosquitto on 127.0.0.1:{broker.port}")
    (workdir / "scene.toml").write_text(scene_toml(cast))
    radar = door_radar()
    radar_port = radar.start()
    print(f"  door radar: emulated HLK-LD2450 on {radar_port} (its walkers set off when the daemon opens it)")
    try:
        return _run_with_radar(workdir, cast, broker, started, radar_port)
    finally:
        radar.stop()


def _run_with_radar(
    workdir: Path, cast: Cast, broker: MosquittoBroker, started: float, radar_port: str
) -> int:
    central, secret_file = start_central(workdir)
    try:
        return _run_with_central(workdir, cast, broker, started, radar_port, central, secret_file)
    finally:
        central.stop()


def _run_with_central(
    workdir: Path,
    cast: Cast,
    broker: MosquittoBroker,
    started: float,
    radar_port: str,
    central: CentralSim,
    secret_file: Path,
) -> int:
    config = workdir / "branchdoor.toml"
    config.write_text(demo_config(workdir, broker.port, radar_port) + central_config(central, secret_file))
    subprocess.run(_branchdoor("config", "check", str(config)), check=True)

    customer = cast.customer
    templates = enroll_centrally(central, customer)
    print(
        f"  central service on {central.base_url}: {customer.name} enrolled there as "
        f"{customer.customer_ref} ({templates} template(s)); the kiosk gets her by sync"
    )
    print(f"  scene: {customer.name} walks in, then {cast.stranger.name} (not enrolled)\n")

    screen = TellerScreen(broker.port)
    log_path = workdir / "daemon.log"
    with log_path.open("wb") as log_file:
        daemon = subprocess.Popen(
            _branchdoor("run", "--config", str(config)), stdout=log_file, stderr=subprocess.STDOUT
        )
        try:
            code = daemon.wait(DAEMON_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(10)
    screen.offline.wait(OFFLINE_WAIT_S)  # the last floor snapshot comes before it
    screen.close()
    uploaded = len(central.db.records("checkins"))
    return _summary(cast, screen, code, log_path, started, uploaded)


def _summary(
    cast: Cast, screen: TellerScreen, code: int, log_path: Path, started: float, uploaded: int
) -> int:
    named = tuple(cue["greeting_name"] for cue in screen.cues)
    door = door_counts(screen.floor[-1]) if screen.floor else None
    stopped_line = next((ln for ln in log_path.read_text().splitlines() if "stopped:" in ln), "")
    print("\nsummary")
    print(
        f"  cues received by the teller screen: {len(named)} "
        f"({named.count(cast.customer.name)} for {cast.customer.name})"
    )
    print(f"  cues naming the stranger: {named.count(cast.stranger.name)}")
    print(f"  availability seen: {' -> '.join(screen.availability) or 'none'}")
    shown = "no floor snapshot" if door is None else f"in {door[0]}, out {door[1]}"
    print(f"  door counts from the emulated radar: {shown}")
    print(f"  check-ins received by the central service: {uploaded}")
    print(f"  daemon exit code: {code}; {stopped_line.split('stopped: ')[-1]}")
    print(f"  daemon log: {log_path}")
    print(f"  took {time.monotonic() - started:.1f}s")
    seen = Seen(
        cast.customer.name, cast.stranger.name, named, door, uploaded, tuple(screen.availability), code
    )
    broken = shortfalls(seen)
    for line in broken:
        print(f"demo FAILED: {line}")
    if not broken:
        print("demo OK")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(run_demo(Path(os.environ.get("BRANCHDOOR_DEMO_DIR", ".demo"))))
