"""`branchdoor run` (what systemd starts) and `branchdoor config check` (its ExecStartPre=)."""

from __future__ import annotations

import argparse
import sys
import threading

from device.cli.args import Subcommands, command, load
from device.config_file import config_path, load_config
from device.runtime import logs


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    command(commands, "run", _run, "run the daemon (what systemd starts)", [common])
    config = commands.add_parser("config", help="configuration tools")
    actions = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = command(actions, "check", _check, "validate a config file", [common])
    check.add_argument("file", nargs="?", help="file to check (default: as for --config)")


def _check(args: argparse.Namespace) -> int:
    path = config_path(args.file or args.config)
    config = load_config(path)
    branch = config.branch
    print(f"{path}: OK (branch {branch.id}, device {branch.device_id}, camera {config.camera.type})")
    return 0


def _run(args: argparse.Namespace) -> int:
    from common.secret_files import CredentialError
    from device.runtime.daemon import install_signal_handlers, run  # heavy imports (dlib) only when running
    from device.runtime.instance_lock import AlreadyRunning, InstanceLock
    from device.state.files import StateError
    from device.state.sealing import TemplateKeyError

    config = load(args)
    logs.configure(config.logging.level, config.logging.format)
    stop = threading.Event()
    install_signal_handlers(stop)
    try:
        with InstanceLock(config.storage.state_dir, "branchdoor run"):
            return run(config, stop)
    except (CredentialError, TemplateKeyError, AlreadyRunning, StateError) as exc:
        print(f"branchdoor: refusing to start: {exc}", file=sys.stderr)
        return 1
