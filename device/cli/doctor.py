"""`branchdoor doctor`: one PASS or FAIL line per part of a kiosk, each FAIL with the fix to try.

For a field engineer at the branch, with the kiosk's own config: camera, serial sensors, broker
(reachable, credentials accepted), central service (reachable, signature accepted), disk, clock.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from common.secret_files import CredentialError
from device.cli.args import Subcommands, command, load
from device.config import Config
from device.mqtt.credentials import read_password, tls_context
from device.runtime.instance_lock import held
from drivers.camera import open_camera
from drivers.serial.field import read_sensor
from drivers.serial.registry import AnySensorConfig
from sync.client import CentralClient, CentralError
from sync.credentials import read_device_secret

MIN_FREE_MB = 500
EARLIEST_PLAUSIBLE = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    passed: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'}  {self.name}: {self.detail}"


def check_camera(config: Config, timeout_s: float = 8.0) -> Check:
    name = f"camera {getattr(config.camera, 'source', getattr(config.camera, 'script', ''))}"
    try:
        camera = open_camera(config.camera)
    except (OSError, ValueError) as exc:
        return Check(name, False, f"cannot be set up ({exc}); check the camera settings in the config")
    stop = threading.Event()
    timer = threading.Timer(timeout_s, stop.set)
    timer.start()
    try:
        frame = next(iter(camera.frames(stop)), None)
    finally:
        timer.cancel()
        stop.set()
    if frame is None:
        return Check(
            name,
            False,
            f"no frame in {timeout_s:.0f}s; check the cable or stream URL, `ls -l /dev/video*`, and that "
            "the branchdoor user is in the video group",
        )
    return Check(name, True, f"frames arrive ({frame.width}x{frame.height})")


def check_sensor(sensor: AnySensorConfig, timeout_s: float = 5.0) -> Check:
    readings = list(read_sensor(sensor, count=3, timeout_s=timeout_s))
    name = f"sensor {sensor.id} ({sensor.type} on {sensor.port})"
    if not readings:
        return Check(
            name,
            False,
            f"no valid frames in {timeout_s:.0f}s; check power, wiring (TX/RX), the port and "
            f"baud {sensor.baud}, and try "
            f"`branchdoor sensors read --type {sensor.type} --port {sensor.port}`",
        )
    return Check(name, True, f"{len(readings)} valid readings")


def running_daemon_health(config: Config) -> dict[str, Any] | None:
    """The /healthz of the daemon running on this config's state directory, or None."""
    settings = config.observability
    if not settings.enabled or not held(config.storage.state_dir):
        return None
    # Listening on every address means listening on loopback too.
    anywhere = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104 (to ask, not to bind)
    host = anywhere.get(settings.host, settings.host)
    authority = f"[{host}]" if ":" in host else host
    try:
        body = httpx.get(f"http://{authority}:{settings.port}/healthz", timeout=2.0).json()  # 503 too
    except (httpx.HTTPError, ValueError):
        return None
    return body if isinstance(body, dict) and isinstance(body.get("problems"), list) else None


def check_broker(config: Config, timeout_s: float = 5.0) -> Check:
    settings = config.mqtt
    name = f"broker {settings.host}:{settings.port}"
    health = running_daemon_health(config)
    if health is not None and not any(str(p).startswith("broker:") for p in health["problems"]):
        # A second connection with the daemon's identity would not be a second one: a broker binding
        # client ids to accounts (config/mosquitto/) would drop the daemon's, and screens would read
        # its Last Will, `offline`. A daemon not connected loses nothing: then we try ourselves, below.
        return Check(name, True, "the running daemon is connected, credentials accepted")
    answer: list[ReasonCode] = []
    done = threading.Event()

    def on_connect(
        _c: mqtt.Client, _u: object, _f: mqtt.ConnectFlags, code: ReasonCode, _p: Properties | None
    ) -> None:
        answer.append(code)
        done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="branchdoor-doctor", protocol=mqtt.MQTTv5)
    client.on_connect = on_connect
    if settings.username:
        try:
            client.username_pw_set(settings.username, read_password(settings.password_file))
        except CredentialError as exc:
            return Check(name, False, f"cannot read mqtt.password_file: {exc}")
    if settings.tls is not None:
        try:
            client.tls_set_context(tls_context(settings.tls))
        except CredentialError as exc:  # a missing, unreadable, unsafe or encrypted file
            return Check(name, False, f"cannot load the files in [mqtt.tls]: {exc}")
    try:
        client.connect(settings.host, settings.port, keepalive=10)
    except OSError as exc:
        return Check(
            name, False, f"unreachable ({exc}); check mqtt.host and mqtt.port, and the branch network"
        )
    client.loop_start()
    try:
        done.wait(timeout_s)
    finally:
        client.disconnect()
        client.loop_stop()
    if not answer:
        return Check(name, False, f"no answer to CONNECT in {timeout_s:.0f}s; is it an MQTT broker?")
    if answer[0].is_failure:
        return Check(
            name,
            False,
            f"refused the connection ({answer[0]}); "
            "check mqtt.username and the password in mqtt.password_file",
        )
    return Check(name, True, "connected, credentials accepted")


def check_central(config: Config) -> Check | None:
    if config.central is None:
        return None
    central = config.central
    name = f"central service {central.url}"
    try:
        secret = read_device_secret(central.device_secret_file)
    except CredentialError as exc:
        return Check(name, False, str(exc))
    device_id = central.device_id or f"{config.branch.id}-{config.branch.device_id}"
    client = CentralClient(central.url, device_id, secret, timeout_s=central.timeout_s)
    try:
        client.pull_gallery(None, limit=1)
    except CentralError as exc:
        fix = (
            "check central.device_secret_file and central.device_id"
            if exc.status == 401
            else "check central.url"
        )
        return Check(name, False, f"{exc}; {fix}")
    finally:
        client.close()
    return Check(name, True, "reachable, signature accepted")


def check_disk(config: Config) -> Check:
    folder = config.storage.state_dir
    probe = folder if folder.exists() else folder.parent
    free_mb = shutil.disk_usage(probe).free / 2**20
    passed = free_mb >= MIN_FREE_MB
    detail = f"{free_mb:,.0f} MB free in {probe}"
    return Check("disk", passed, detail if passed else f"{detail}; free space (at least {MIN_FREE_MB} MB)")


def check_clock(now: Callable[[], float] = time.time) -> Check:
    current = datetime.fromtimestamp(now(), UTC)
    if current < EARLIEST_PLAUSIBLE:
        return Check("clock", False, f"{current:%Y-%m-%d %H:%M} UTC is in the past; enable NTP (timedatectl)")
    return Check("clock", True, f"{current:%Y-%m-%d %H:%M} UTC")


def run_checks(config: Config) -> Iterator[Check]:
    yield check_camera(config)
    for sensor in config.sensors:
        yield check_sensor(sensor)
    yield check_broker(config)
    central = check_central(config)
    if central is not None:
        yield central
    yield check_disk(config)
    yield check_clock()


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    command(
        commands,
        "doctor",
        _doctor,
        "check camera, sensors, broker, central service, disk and clock",
        [common],
    )


def _doctor(args: argparse.Namespace) -> int:
    config = load(args)
    logging.disable(logging.WARNING)  # the drivers' retry chatter: each check says it in one line
    failed = 0
    for check in run_checks(config):
        print(check.line(), flush=True)
        failed += not check.passed
    return 1 if failed else 0
