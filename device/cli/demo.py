"""`branchdoor demo` and `branchdoor central-sim`: the developer's end-to-end run and the reference
central service. Their extras (fastapi, uvicorn, scikit-image) come with `make demo` and `make test`,
not with a kiosk's `make install`: on a kiosk these commands say so instead of failing on an import."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from device.cli.args import Subcommands, command

DEV_ONLY = (
    "needs the developer extras, which a kiosk install leaves out: run it from a checkout (`make demo`)"
)


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    sim = command(
        commands,
        "central-sim",
        _central_sim,
        "run the reference central account service on loopback (for tests and demos)",
        add_help=False,  # its own options, --help included, are the service's (see its --help)
    )
    sim.set_defaults(passes_on_arguments=True)
    demo = command(commands, "demo", _demo, "run the daemon end to end on a scripted door scene")
    demo.add_argument(
        "--workdir", type=Path, default=Path(".demo"), help="state for the demo (default .demo)"
    )


def _central_sim(args: argparse.Namespace) -> int:
    try:
        from sync.central_sim.__main__ import main as central_sim
    except ModuleNotFoundError as exc:
        print(f"branchdoor central-sim {DEV_ONLY} ({exc.name} is not installed)", file=sys.stderr)
        return 1
    return central_sim(args.extra)


def _demo(args: argparse.Namespace) -> int:
    try:
        from device.demo.run import run_demo
    except ModuleNotFoundError as exc:
        print(f"branchdoor demo {DEV_ONLY} ({exc.name} is not installed)", file=sys.stderr)
        return 1
    return run_demo(args.workdir)
