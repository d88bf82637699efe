"""The `branchdoor` command line."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from device.analytics.cli import add_report_parser
from device.cli import privacy as cli_privacy
from device.cli.customer import add_customer_arguments, customer_from
from device.cli.field import SENSOR_TYPES
from device.config import Config
from device.config_file import ConfigError, config_path, load_config
from device.runtime import logs

log = logging.getLogger("branchdoor")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        help="config file (default: $BRANCHDOOR_CONFIG, else /etc/branchdoor/branchdoor.toml)",
    )
    parser = argparse.ArgumentParser(
        prog="branchdoor", description="Edge daemon for a bank branch door: consented face check-in."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("run", parents=[common], help="run the daemon (what systemd starts)")

    config = commands.add_parser("config", help="configuration tools")
    config_commands = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = config_commands.add_parser("check", parents=[common], help="validate a config file")
    check.add_argument("file", nargs="?", help="file to check (default: as for --config)")

    enroll = commands.add_parser(
        "enroll", parents=[common], help="enroll a consented customer from photos (photos are not kept)"
    )
    add_customer_arguments(enroll, channel="kiosk-enrollment")
    enroll.add_argument("photos", nargs="+", type=Path, metavar="PHOTO")

    forget = commands.add_parser("forget", parents=[common], help="delete everything held about a customer")
    forget.add_argument("customer", metavar="REF")

    sensors = commands.add_parser("sensors", help="serial sensor tools for field engineers")
    sensor_commands = sensors.add_subparsers(dest="sensors_command", required=True, metavar="ACTION")
    read = sensor_commands.add_parser("read", help="print decoded readings from one sensor")
    read.add_argument("--type", required=True, choices=sorted(SENSOR_TYPES), help="sensor protocol")
    read.add_argument("--port", required=True, help="serial device, e.g. /dev/ttyUSB0")
    read.add_argument("--baud", type=int, help="baud rate (default: the device's factory default)")
    read.add_argument("--count", type=int, default=10, help="readings to print (default 10)")
    read.add_argument("--timeout", type=float, default=10.0, help="give up after this many seconds")
    read.add_argument("--json", action="store_true", help="one JSON object per line")

    heatmap = commands.add_parser("heatmap", parents=[common], help="render the floor heat map to a PNG")
    heatmap.add_argument("--since", required=True, help="start, ISO date or time (local), e.g. 2026-11-02")
    heatmap.add_argument("--until", required=True, help="end (exclusive), e.g. 2026-11-03T12:00")
    heatmap.add_argument("--out", required=True, type=Path, help="PNG file to write")

    add_report_parser(commands, common)
    commands.add_parser(
        "doctor", parents=[common], help="check camera, sensors, broker, central service, disk and clock"
    )

    sim = commands.add_parser(
        "central-sim",
        help="run the reference central account service on loopback (for tests and demos)",
        add_help=False,
    )
    sim.add_argument("sim_args", nargs=argparse.REMAINDER, help="see `branchdoor central-sim --help`")

    cli_privacy.add_commands(commands, common)

    demo = commands.add_parser("demo", help="run the daemon end to end on a scripted door scene")
    demo.add_argument(
        "--workdir", type=Path, default=Path(".demo"), help="state for the demo (default .demo)"
    )
    return parser


def _load(args: argparse.Namespace, explicit: str | None = None) -> Config:
    return load_config(config_path(explicit or args.config))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    handled = cli_privacy.dispatch(args, lambda: _load(args))
    if handled is not None:
        return handled
    if args.command == "config":
        path = config_path(args.file or args.config)
        config = load_config(path)
        print(
            f"{path}: OK (branch {config.branch.id}, device {config.branch.device_id}, "
            f"camera {config.camera.type})"
        )
        return 0
    if args.command == "run":
        return _run(_load(args))
    if args.command == "enroll":
        return _enroll(_load(args), args)
    if args.command == "forget":
        return _forget(_load(args), args.customer)
    if args.command == "sensors":
        from device.cli.field import read_sensor_command

        return read_sensor_command(args.type, args.port, args.baud, args.count, args.timeout, args.json)
    if args.command == "heatmap":
        from device.cli.field import heatmap_command

        return heatmap_command(_load(args), args.since, args.until, args.out)
    if args.command == "report":
        from device.analytics.command import report_command

        return report_command(_load(args), args.month, args.out)
    if args.command == "doctor":
        from device.cli.doctor import run_checks

        logging.disable(logging.WARNING)  # the drivers' retry chatter: each check says it in one line
        failed = 0
        for check in run_checks(_load(args)):
            print(check.line(), flush=True)
            failed += not check.passed
        return 1 if failed else 0
    if args.command == "central-sim":
        from sync.central_sim.__main__ import main as central_sim

        return central_sim(args.sim_args)
    if args.command == "demo":
        from device.demo.run import run_demo  # the demo's extras are not needed by a kiosk

        return run_demo(args.workdir)
    raise AssertionError(args.command)


def _run(config: Config) -> int:
    from common.secret_files import CredentialError
    from device.runtime.daemon import install_signal_handlers, run  # heavy imports (dlib) only when running
    from device.runtime.instance_lock import AlreadyRunning, InstanceLock
    from device.state.sealing import TemplateKeyError

    logs.configure(config.logging.level, config.logging.format)
    stop = threading.Event()
    install_signal_handlers(stop)
    try:
        with InstanceLock(config.storage.state_dir, "branchdoor run"):
            return run(config, stop)
    except (CredentialError, TemplateKeyError, AlreadyRunning) as exc:
        print(f"branchdoor: refusing to start: {exc}", file=sys.stderr)
        return 1


def _enroll(config: Config, args: argparse.Namespace) -> int:
    from device.enrollment.enroll import EnrollmentError, enroll
    from device.privacy.keys import load_cipher
    from device.state.sealing import TemplateKeyError
    from device.state.store import Store

    profile, consent = customer_from(args)
    try:
        store = Store(config.storage.database, load_cipher(config.privacy))
    except TemplateKeyError as exc:
        print(f"enrollment refused, nothing was stored: {exc}", file=sys.stderr)
        return 1
    tolerance = config.recognition.tolerance
    try:
        result = enroll(store, profile, consent, args.photos, tolerance=tolerance)
    except EnrollmentError as exc:
        print("enrollment refused, nothing was stored:", file=sys.stderr)
        for problem in str(exc).splitlines():
            print(f"  {problem}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(
        f"enrolled {result.customer_ref}: {result.photos_used} photo(s) used, "
        f"{result.templates_total} template(s) now held; the photos were not stored"
    )
    if result.max_pairwise_distance is None:
        print("self-consistency: one template, nothing to compare it with")
    else:
        print(
            f"self-consistency: largest distance between this customer's templates "
            f"{result.max_pairwise_distance:.2f} (limit {tolerance:.2f})"
        )
    for warning in result.warnings:
        print(f"warning: {warning}")
    for recommendation in result.recommendations:
        print(f"recommendation: {recommendation}")
    return 0


def _forget(config: Config, customer_ref: str) -> int:
    from device.privacy.forgetting import kiosk_withdrawal
    from device.state.store import Store

    store = Store(config.storage.database)  # no key needed: forgetting deletes, it never reads a template
    try:
        report = store.forget(customer_ref, kiosk_withdrawal(customer_ref, "operator", "branchdoor forget"))
    finally:
        store.close()
    if not report.found:
        print(f"nothing held about {customer_ref}")
        return 0
    print(
        f"forgot {customer_ref}: profile and consent, {report.encodings} template(s), "
        f"{report.checkins} check-in(s) deleted; the withdrawal is queued for the central service"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
