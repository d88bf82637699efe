"""`python -m drivers.emulators`: one emulated device on a pty, for a test bench or a look by hand.

A floor sensor prints, first thing, what a field engineer copies into the kiosk's config (its
`[[sensors]]` entry with the pty, its `[floor.placements]` entry) and the scenario it plays, as a
walkers file; everything printed is valid TOML, the scenario in comments. It plays the scenario once
from when a host opens the port, then reports an empty floor until stopped (Ctrl-C or SIGTERM).
The scanner prints its `[scanner]` entry and scans each line typed on its standard input.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from drivers.emulators.registry import EMULATORS, SCANNER_EMULATORS, emulator_for
from drivers.emulators.scanner import ScannerEmulator
from drivers.emulators.scenario import Scenario, door_traffic
from drivers.emulators.walkers_file import WalkersFileError, load_walkers, to_toml
from drivers.serial.geometry import Placement

DEFAULT_PLACEMENT = Placement(3.0, 0.0, 0.0)  # at the door's middle, looking into the branch (+y)
# pyserial empties its input right after opening a port: a code sent at that moment would be lost.
HOST_SETTLE_S = 0.5
POLL_S = 0.05


def placement(text: str) -> Placement:
    """`x,y` or `x,y,heading`: floor metres, and degrees counter-clockwise from the plan's +y."""
    parts = text.split(",")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (2, 3) or not all(abs(n) <= 1000 for n in numbers):
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected x,y or x,y,heading in floor metres and degrees, e.g. 3,0,0"
        )
    if len(numbers) == 3 and abs(numbers[2]) > 360:
        raise argparse.ArgumentTypeError(f"{text!r}: the heading is in degrees, -360 to 360")
    return Placement(numbers[0], numbers[1], numbers[2] if len(numbers) == 3 else 0.0)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 1000:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number above 0 (1 is real time)")
    return value


def _sensor_id(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", text):
        raise argparse.ArgumentTypeError(f"{text!r}: expected letters, digits, _ and - (a sensor id)")
    return text


def _summary(factory: object) -> str:
    """The first line of the emulator module's docstring: what the device is."""
    module = sys.modules[getattr(factory, "__module__", "")]
    return (module.__doc__ or "").strip().splitlines()[0]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m drivers.emulators",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    devices = parser.add_subparsers(dest="device", required=True, metavar="DEVICE")
    for sensor_type, factory in EMULATORS.items():
        sensor = devices.add_parser(sensor_type, help=_summary(factory), description=_summary(factory))
        sensor.add_argument(
            "--placement",
            type=placement,
            default=DEFAULT_PLACEMENT,
            metavar="X,Y[,HEADING]",
            help="where the sensor sits on the plan, floor metres, and which way it looks "
            "(degrees, 0 = along +y, counter-clockwise); default 3,0,0: at the door, looking in",
        )
        sensor.add_argument(
            "--walkers",
            type=Path,
            metavar="FILE",
            help="a walkers file (TOML, see drivers/emulators/walkers_file.py; what the emulator prints "
            "at start is an example); default: a built-in minute of door traffic",
        )
        sensor.add_argument("--speed", type=_positive, default=1.0, help="scenario seconds per wall second")
        sensor.add_argument(
            "--id",
            type=_sensor_id,
            default=f"emulated-{sensor_type}",
            help="the sensor id in the printed config entries",
        )
    scanner = devices.add_parser(
        "scanner",
        help="QR/card scanner (the check-in without a face): each line on stdin is scanned",
        description="Each line read on standard input is scanned as a code once a host has the port "
        "open (lines typed or piped earlier wait for it).",
    )
    scanner.add_argument("--protocol", choices=sorted(SCANNER_EMULATORS), default="ascii_lines")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # systemd, a test or `kill` stop it with SIGTERM: the pty and its directory go as with Ctrl-C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if args.device == "scanner":
            return run_scanner(SCANNER_EMULATORS[args.protocol](), args.protocol)
        return run_sensor(args.device, args.id, args.placement, args.walkers, args.speed)
    except KeyboardInterrupt:
        return 0


def run_sensor(sensor_type: str, sensor_id: str, where: Placement, walkers: Path | None, speed: float) -> int:
    if walkers is None:
        scenario, source = door_traffic(), "the built-in minute of door traffic"
    else:
        try:
            scenario, source = load_walkers(walkers), str(walkers)
        except WalkersFileError as exc:
            print("\n".join(exc.problems), file=sys.stderr)
            return 1
    emulator = emulator_for(sensor_type, scenario, where, speed=speed)
    port = emulator.start()
    try:
        say(sensor_entry(sensor_type, sensor_id, port, where))
        say(scenario_comment(scenario, source, speed))
        say("# Waiting for a host to open the port (Ctrl-C to stop).")
        while not emulator.first_reader.wait(POLL_S * 10):
            pass
        say("# A host opened the port: scenario time 0.")
        time.sleep(scenario.duration_s / speed)
        say(f"# Scenario over ({scenario.duration_s:g} s): an empty floor from now on.")
        threading.Event().wait()
    finally:
        emulator.stop()
    return 0


def sensor_entry(sensor_type: str, sensor_id: str, port: str, where: Placement) -> str:
    return "\n".join(
        [
            f"# {_summary(EMULATORS[sensor_type])}",
            "# For the kiosk's config (the placement goes with your [floor] plan):",
            "[[sensors]]",
            f"id = {json.dumps(sensor_id)}",
            f"type = {json.dumps(sensor_type)}",
            f"port = {json.dumps(port)}",
            "",
            f"[floor.placements.{sensor_id}]",
            f"x_m = {where.x_m!r}",
            f"y_m = {where.y_m!r}",
            f"heading_deg = {where.heading_deg!r}",
            "",
        ]
    )


def scenario_comment(scenario: Scenario, source: str, speed: float) -> str:
    pace = "real time" if speed == 1 else f"{speed:g}x real time"
    lines = [
        f"# It plays {source}: {len(scenario.walkers)} walker(s) over {scenario.duration_s:g} s, at {pace},",
        "# once, from when a host opens the port. As a walkers file (edit it, give it with --walkers):",
        *(f"#   {line}" if line else "#" for line in to_toml(scenario).splitlines()),
        "",
    ]
    return "\n".join(lines)


def say(text: str) -> None:
    print(text, flush=True)


def run_scanner(scanner: ScannerEmulator, protocol: str) -> int:
    try:
        say(f"# scanner emulator ({protocol}: one code per line). For the kiosk's config:")
        say(f"[scanner]\nport = {json.dumps(scanner.path)}\n")
        say("# Type a code and press Enter to scan it (Ctrl-C to stop).")
        settled = False  # the host has had the port open a moment
        for code in _lines(sys.stdin):
            if not scanner.port.reader_present():
                say(f"# {code} waits for a host to open the port")
            while not scanner.port.reader_present():
                settled = False
                time.sleep(POLL_S)
            if not settled:
                time.sleep(HOST_SETTLE_S)
                settled = True
            try:
                scanner.scan(code)
            except UnicodeEncodeError:
                say(f"# not scanned, a scanner sends ASCII only: {code!r}")
                continue
            say(f"# scanned: {code}")
        threading.Event().wait()  # stdin ended: the port stays plugged in until stopped
    finally:
        scanner.close()
    return 0


def _lines(stream: Iterator[str]) -> Iterator[str]:
    for line in stream:
        code = line.rstrip("\r\n")
        if code:
            yield code
