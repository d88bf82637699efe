"""The `branchdoor` command line: one parser, one module per group of commands.

A new command goes in the module of its group (or a new one listed in `GROUPS`): its `register`
adds the parser and names the function that runs it. Heavy libraries (dlib, statsmodels, matplotlib,
fastapi) are imported by the function that runs a command, never while the parser is built.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from device.cli import customer, daemon, demo, doctor, field, outbox, privacy, report, state
from device.cli.args import config_option
from device.config_file import ConfigError
from device.state.files import StateError

# In the order `branchdoor --help` lists them.
GROUPS = (daemon, customer, field, outbox, state, report, doctor, demo, privacy)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="branchdoor", description="Edge daemon for a bank branch door: consented face check-in."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = config_option()
    for group in GROUPS:
        group.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "passes_on_arguments", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except StateError as exc:  # the state directory or database cannot be used: what, where, what to do
        print(f"branchdoor: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
