"""Run an emulated sensor on a pty for manual testing: `python -m drivers.emulators ld2450`.

Prints the port path to configure (e.g. for the field tool), plays the canned minute of door
traffic once from when a host opens that port, then reports an empty floor until interrupted.
"""

from __future__ import annotations

import argparse
import threading

from drivers.emulators.registry import EMULATORS, emulator_for
from drivers.emulators.scenario import door_traffic
from drivers.serial.geometry import Placement


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m drivers.emulators", description=__doc__)
    parser.add_argument("type", choices=sorted(EMULATORS))
    parser.add_argument("--speed", type=float, default=1.0, help="scenario seconds per wall second")
    parser.add_argument("--heading", type=float, default=0.0, help="degrees, counter-clockwise from +y")
    args = parser.parse_args(argv)
    emulator = emulator_for(args.type, door_traffic(), Placement(3.0, 0.0, args.heading), speed=args.speed)
    print(emulator.start(), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
