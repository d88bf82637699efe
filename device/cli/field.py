"""`branchdoor sensors read` and `branchdoor heatmap`: a field engineer on site reads a sensor and
renders the floor heat map."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import TextIO

from pydantic import TypeAdapter, ValidationError

from device.cli.args import Subcommands, command, load
from device.config import Config
from drivers.serial.field import (
    FrameRate,
    in_words,
    port_problem,
    rate_lines,
    read_sensor,
    reading_to_dict,
    sensor_kind,
)
from drivers.serial.registry import SENSOR_TYPES, AnySensorConfig, SensorConfig, open_sensor


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    sensors = commands.add_parser("sensors", help="serial sensor tools for field engineers")
    actions = sensors.add_subparsers(dest="sensors_command", required=True, metavar="ACTION")
    read = command(actions, "read", _read, "print decoded readings from one sensor")
    read.add_argument("--type", required=True, choices=sorted(SENSOR_TYPES), help="sensor protocol")
    read.add_argument("--port", required=True, help="serial device, e.g. /dev/ttyUSB0")
    read.add_argument("--baud", type=int, help="baud rate (default: the device's factory default)")
    read.add_argument("--count", type=int, default=10, help="readings to print (default 10)")
    read.add_argument("--timeout", type=float, default=10.0, help="give up after this many seconds")
    read.add_argument("--json", action="store_true", help="one JSON object per line")

    heatmap = command(commands, "heatmap", _heatmap, "render the floor heat map to a PNG", [common])
    heatmap.add_argument("--since", required=True, help="start, ISO date or time (local), e.g. 2026-11-02")
    heatmap.add_argument("--until", required=True, help="end (exclusive), e.g. 2026-11-03T12:00")
    heatmap.add_argument("--out", required=True, type=Path, help="PNG file to write")


def _read(args: argparse.Namespace) -> int:
    return read_sensor_command(args.type, args.port, args.baud, args.count, args.timeout, args.json)


def _heatmap(args: argparse.Namespace) -> int:
    return heatmap_command(load(args), args.since, args.until, args.out)


def read_sensor_command(
    sensor_type: str, port: str, baud: int | None, count: int, timeout_s: float, as_json: bool
) -> int:
    """Prints up to `count` decoded readings, a rate and bad-frame line each second and one for the
    whole run (on stderr with --json, so stdout stays one reading per line); exit 1 at once for a port
    that cannot be one, and when the sensor said nothing valid in time."""
    fields: dict[str, object] = {"id": "field", "type": sensor_type, "port": port}
    if baud is not None:
        fields["baud"] = baud
    try:
        config: AnySensorConfig = TypeAdapter(SensorConfig).validate_python(fields)
    except ValidationError as exc:
        print(f"bad sensor settings: {exc}", file=sys.stderr)
        return 2
    problem = port_problem(port)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    kind, reader = sensor_kind(sensor_type), open_sensor(config)
    printing = threading.Lock()  # a rate line never lands inside a reading's line

    def say(line: str, stream: TextIO = sys.stdout) -> None:
        with printing:
            print(line, file=stream, flush=True)

    def rate(line: str) -> None:
        say(f"{kind}: {line}", sys.stderr if as_json else sys.stdout)

    whole_run, seen = FrameRate(reader.parser), 0
    with rate_lines(reader.parser, rate):
        for reading in read_sensor(config, count, timeout_s, reader=reader):
            seen += 1
            say(json.dumps(reading_to_dict(reading)) if as_json else f"{kind}: {in_words(reading)}")
    rate(f"{seen} reading(s) in all, {whole_run.sample()}")
    if seen == 0:
        print(
            f"no valid readings from {sensor_type} on {port} in {timeout_s:.0f}s: check wiring, power, "
            f"port and baud ({config.baud})",
            file=sys.stderr,
        )
        return 1
    return 0


def _when(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()  # naive = the kiosk's local time


def heatmap_command(config: Config, since: str, until: str, out: Path, now: float | None = None) -> int:
    import time

    from device.cli.floor_map import draw_heatmap
    from device.state.backups import Backups
    from device.state.check import require_usable
    from device.state.files import prepare_state_dir

    if config.floor is None:
        print("no [floor] plan in the config: nothing to draw", file=sys.stderr)
        return 1
    try:
        start, end = _when(since), _when(until)
    except ValueError as exc:
        print(f"--since/--until: {exc} (use e.g. 2026-11-02 or 2026-11-02T09:00)", file=sys.stderr)
        return 2
    prepare_state_dir(config.storage.state_dir)  # the floor's tables share the store's file and its checks
    require_usable(config.storage.database, Backups(config.storage.database).newest())
    return draw_heatmap(config, config.floor, start, end, out, time.time() if now is None else now)
