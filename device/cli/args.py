"""What every command module shares: the `--config` option, the config it names, and how a command
is registered (its parser names the function that runs it)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TypeAlias

from device.config import Config
from device.config_file import config_path, load_config

# A string: argparse's action class is not subscriptable at run time.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Handler = Callable[[argparse.Namespace], int]


def config_option() -> argparse.ArgumentParser:
    """The parent parser of every command that reads the kiosk's config."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        help="config file, the *.toml of <name>.d/ beside it merged over it (default: $BRANCHDOOR_CONFIG, "
        "else /etc/branchdoor/branchdoor.toml)",
    )
    return common


def command(
    commands: Subcommands,
    name: str,
    handler: Handler,
    help: str,
    parents: Sequence[argparse.ArgumentParser] = (),
    **options: object,
) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=help, parents=list(parents), **options)  # type: ignore[arg-type]
    parser.set_defaults(handler=handler)
    return parser


def load(args: argparse.Namespace) -> Config:
    """The config `--config` names (default: $BRANCHDOOR_CONFIG, else /etc/branchdoor/branchdoor.toml),
    with its drop-ins."""
    return load_config(config_path(args.config))
