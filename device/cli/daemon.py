"""`branchdoor run` (what systemd starts), `branchdoor config check` (its ExecStartPre=; also over a
folder of a fleet's configs) and `branchdoor config show` (the merged config and who set what)."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from device.cli.args import Subcommands, command, load
from device.config_file import config_path, located, read_layers, validate
from device.runtime import logs


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    command(commands, "run", _run, "run the daemon (what systemd starts)", [common])
    config = commands.add_parser("config", help="configuration tools")
    actions = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = command(
        actions,
        "check",
        _check,
        "check a config file and what `run` needs of this machine: keys, secrets, state, files",
        [common],
    )
    check.add_argument(
        "file",
        nargs="?",
        help="file to check, with its drop-ins (default: as for --config); or a folder of kiosk configs",
    )
    check.add_argument(
        "--file-only",
        action="store_true",
        help="check the file alone, not the files and keys it names (a config written for another machine)",
    )
    show = command(
        actions,
        "show",
        _show,
        "print the config as merged from the file and its drop-ins, defaults filled in, and who set what",
        [common],
    )
    show.add_argument("file", nargs="?", help="file to show, with its drop-ins (default: as for --config)")
    check.add_argument(
        "--template",
        metavar="FILE",
        help="with a folder: the bank's central template, each kiosk file in the folder merged over it",
    )
    check.add_argument(
        "--local",
        action="store_true",
        help="with a folder: also run the host-local checks (keys, secrets, state, files) on this machine",
    )


def _check(args: argparse.Namespace) -> int:
    from device.runtime.preflight import problems

    path = config_path(args.file or args.config)
    if path.is_dir():
        from device.cli.config_folder import check_folder

        return check_folder(path, Path(args.template) if args.template else None, args.local)
    if args.template or args.local:
        print("branchdoor: --template and --local go with a folder of kiosk configs", file=sys.stderr)
        return 2
    layers = read_layers(path)
    config = validate(layers, path)
    found = [] if args.file_only else problems(config)
    if found:
        for line in located(layers, [(problem.key, problem.what) for problem in found]):
            print(line, file=sys.stderr)
        return 1
    branch = config.branch
    merged = "".join(f", {layer.path.name}" for layer in layers[1:])
    dropins = f"; drop-ins: {merged[2:]}" if merged else ""
    print(f"{path}: OK (branch {branch.id}, device {branch.device_id}, camera {config.camera.type}{dropins})")
    return 0


def _show(args: argparse.Namespace) -> int:
    from device.cli.config_show import show

    path = config_path(args.file or args.config)
    layers = read_layers(path)
    print(show(validate(layers, path), layers), end="")
    return 0


def _run(args: argparse.Namespace) -> int:
    from common.secret_files import CredentialError
    from device.runtime.daemon import install_signal_handlers, run  # heavy imports (dlib) only when running
    from device.runtime.instance_lock import AlreadyRunning, InstanceLock
    from device.runtime.preflight import branch_problem
    from device.state.files import StateError
    from device.state.sealing import TemplateKeyError
    from drivers.camera.scene import SceneScriptError

    config = load(args)
    placeholder = branch_problem(config)
    if placeholder is not None:  # the only refusal of preflight.py that nothing below would make
        print(f"branchdoor: refusing to start: branch.id: {placeholder.what}", file=sys.stderr)
        return 1
    logs.configure(config.logging.level, config.logging.format)
    stop = threading.Event()
    install_signal_handlers(stop)
    try:
        with InstanceLock(config.storage.state_dir, "branchdoor run"):
            return run(config, stop)
    except (CredentialError, TemplateKeyError, AlreadyRunning, StateError, SceneScriptError) as exc:
        print(f"branchdoor: refusing to start: {exc}", file=sys.stderr)
        return 1
