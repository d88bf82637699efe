"""`branchdoor doctor`: one PASS or FAIL line per part of a kiosk, each FAIL with the fix to try.

For a field engineer at the branch, with the kiosk's own config, live: camera (frames arrive), serial
sensors and scanner (their ports open), broker (reachable, credentials accepted), central service
(reachable, signature accepted), the listening ports of health and dashboard (free, or the running
daemon's), disk, clock. What can be told from files alone is `config check`'s (device/runtime/
preflight.py). A check that fails in a way nobody foresaw is a FAIL line naming it, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from common.http_server import BoundedHTTPServer, QuietHandler
from common.secret_files import CredentialError, credential_source
from device.cli.args import Subcommands, command, load
from device.config import Config
from device.mqtt.credentials import read_password, tls_context
from device.runtime.instance_lock import held
from drivers.camera import open_camera
from drivers.camera.opencv_source import OpenCVCameraConfig
from drivers.camera.recording import file_problem
from drivers.serial.field import port_problem, read_sensor
from drivers.serial.port import open_pyserial
from drivers.serial.registry import AnySensorConfig
from drivers.serial.scanner import ScannerConfig
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


def camera_name(config: Config) -> str:
    return f"camera {getattr(config.camera, 'source', getattr(config.camera, 'script', ''))}"


def check_camera(config: Config, timeout_s: float = 8.0) -> Check:
    name = camera_name(config)
    camera_config = config.camera
    if isinstance(camera_config, OpenCVCameraConfig) and camera_config.video_file is not None:
        problem = file_problem(camera_config.video_file)
        if problem is not None:
            return Check(name, False, f"{problem}; check camera.source")
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


def sensor_name(sensor: AnySensorConfig) -> str:
    return f"sensor {sensor.id} ({sensor.type} on {sensor.port})"


def check_sensor(sensor: AnySensorConfig, timeout_s: float = 5.0) -> Check:
    name = sensor_name(sensor)
    if (problem := _port_problem(sensor.port)) is not None:
        return Check(name, False, problem)
    readings = list(read_sensor(sensor, count=3, timeout_s=timeout_s))
    if not readings:
        return Check(
            name,
            False,
            f"no valid frames in {timeout_s:.0f}s; check power, wiring (TX/RX), the port and "
            f"baud {sensor.baud}, and try "
            f"`branchdoor sensors read --type {sensor.type} --port {sensor.port}`",
        )
    return Check(name, True, f"{len(readings)} valid readings")


def scanner_name(scanner: ScannerConfig) -> str:
    return f"scanner ({scanner.type} on {scanner.port})"


def check_scanner(scanner: ScannerConfig) -> Check:
    """The port opens. Whether codes arrive takes a person at the kiosk: show it a token's QR code."""
    name = scanner_name(scanner)
    if (problem := _port_problem(scanner.port)) is not None:
        return Check(name, False, problem)
    try:
        open_pyserial(scanner.port, scanner.baud).close()
    except (OSError, ValueError) as exc:  # pyserial's SerialException is an OSError
        return Check(
            name, False, f"cannot be opened ({exc}); the branchdoor user must be in the dialout group"
        )
    return Check(name, True, "the port opens; scan a check-in token at the kiosk to see codes arrive")


def _port_problem(port: str) -> str | None:
    """Known at once, without waiting out a silent port: missing, not a serial port, no permission."""
    if not os.path.lexists(port):
        return f"no such device; {_find_serial_port()}"
    return port_problem(port)


def _find_serial_port() -> str:
    return "check the cable and the port in the config: `ls -l /dev/serial/by-id/ /dev/ttyUSB* /dev/ttyACM*`"


def running_daemon_health(config: Config) -> dict[str, Any] | None:
    """The /healthz of the daemon running on this config's state directory, or None."""
    settings = config.observability
    if not settings.enabled or not held(config.storage.state_dir):
        return None
    try:
        body = httpx.get(f"http://{_loopback_for(settings.host)}:{settings.port}/healthz", timeout=2.0).json()
    except (httpx.HTTPError, ValueError):
        return None
    return body if isinstance(body, dict) and isinstance(body.get("problems"), list) else None


def _loopback_for(host: str) -> str:
    """The URL authority to reach a server listening on `host` from this machine."""
    # Listening on every address means listening on loopback too.
    anywhere = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104 (to ask, not to bind)
    host = anywhere.get(host, host)
    return f"[{host}]" if ":" in host else host


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


def check_central(config: Config) -> Check:
    central = config.central
    if central is None:
        raise ValueError("no [central] section to check")  # planned only for a config with one
    name = f"central service {central.url}"
    try:
        secret = read_device_secret(credential_source(central.device_secret_file))
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


def check_listener(name: str, host: str, port: int, section: str, daemon_serves: Callable[[], bool]) -> Check:
    """The address is this machine's and the port free, as the daemon needs them at start (taken, it
    starts without that server); or the running daemon already listens there."""
    if port == 0:
        return Check(name, True, "a free port is picked at start")
    try:
        BoundedHTTPServer((host, port), QuietHandler).server_close()  # as the daemon binds it
    except OSError as exc:
        if exc.errno == errno.EADDRNOTAVAIL:
            return Check(
                name,
                False,
                f"{host} is not an address of this machine (`ip -brief address`); change {section}.host",
            )
        if daemon_serves():
            return Check(name, True, "the running daemon listens here")
        return Check(
            name,
            False,
            f"cannot listen ({exc.strerror or exc}); stop what uses it (`ss -ltnp 'sport = :{port}'`) "
            f"or change {section}.host / {section}.port",
        )
    return Check(name, True, "free")


def check_disk(config: Config) -> Check:
    folder = config.storage.state_dir
    # The daemon creates the state directory and any folder above it that is missing: measure the
    # file system they will be made on.
    probe = next((path for path in (folder, *folder.parents) if path.is_dir()), Path("/"))
    free_mb = shutil.disk_usage(probe).free / 2**20
    passed = free_mb >= MIN_FREE_MB
    detail = f"{free_mb:,.0f} MB free in {probe}"
    return Check("disk", passed, detail if passed else f"{detail}; free space (at least {MIN_FREE_MB} MB)")


def check_clock(now: Callable[[], float] = time.time) -> Check:
    current = datetime.fromtimestamp(now(), UTC)
    if current < EARLIEST_PLAUSIBLE:
        return Check("clock", False, f"{current:%Y-%m-%d %H:%M} UTC is in the past; enable NTP (timedatectl)")
    return Check("clock", True, f"{current:%Y-%m-%d %H:%M} UTC")


# (the name a check goes by if it fails unforeseen, the check)
Planned = tuple[str, Callable[[], Check]]


def planned_checks(config: Config) -> list[Planned]:
    """Every check for this config, in the order they are printed."""
    planned: list[Planned] = [(camera_name(config), partial(check_camera, config))]
    planned += [(sensor_name(sensor), partial(check_sensor, sensor)) for sensor in config.sensors]
    if config.scanner is not None:
        planned.append((scanner_name(config.scanner), partial(check_scanner, config.scanner)))
    planned.append((f"broker {config.mqtt.host}:{config.mqtt.port}", partial(check_broker, config)))
    if config.central is not None:
        planned.append((f"central service {config.central.url}", partial(check_central, config)))
    planned += listener_checks(config)
    planned += [("disk", partial(check_disk, config)), ("clock", check_clock)]
    return planned


def listener_checks(config: Config) -> list[Planned]:
    planned: list[Planned] = []
    health, dashboard = config.observability, config.dashboard
    if health.enabled:
        name = f"health and metrics {health.host}:{health.port}"
        serves = partial(_daemon_serves_health, config)
        planned.append(
            (name, partial(check_listener, name, health.host, health.port, "observability", serves))
        )
    if dashboard.enabled:
        name = f"dashboard {dashboard.host}:{dashboard.port}"
        serves = partial(_daemon_serves_http, config, dashboard.host, dashboard.port)
        planned.append(
            (name, partial(check_listener, name, dashboard.host, dashboard.port, "dashboard", serves))
        )
    return planned


def _daemon_serves_health(config: Config) -> bool:
    return running_daemon_health(config) is not None


def _daemon_serves_http(config: Config, host: str, port: int) -> bool:
    if not held(config.storage.state_dir):
        return False
    try:
        httpx.get(f"http://{_loopback_for(host)}:{port}/", timeout=2.0)
    except httpx.HTTPError:
        return False
    return True


def run_checks(config: Config, planned: list[Planned] | None = None) -> Iterator[Check]:
    for name, check in planned_checks(config) if planned is None else planned:
        try:
            result = check()
        except Exception as exc:  # a failure nobody foresaw is a FAIL of that check, not a traceback
            result = Check(name, False, f"the check failed: {type(exc).__name__}: {exc}")
        yield result


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
