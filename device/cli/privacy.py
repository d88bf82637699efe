"""`branchdoor keys new|rotate` and `branchdoor token issue [--qr FILE]`: the privacy tools of the command
line."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from device.cli.args import Subcommands, command, load
from device.cli.customer import add_customer_arguments, customer_from
from device.state.sealing import TemplateKeyError

QR_KINDS = {".png": "png", ".svg": "svg"}
MODULE_MM = 0.5  # printed size of one module: roomy for a hand-held code, small enough for a card


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    keys = commands.add_parser("keys", help="the key that seals face templates at rest")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    new = command(key_commands, "new", _new_key, "write a new random key to a new 0600 file")
    new.add_argument("file", type=Path, help="where to write it, e.g. /etc/branchdoor/template-key")
    command(
        key_commands,
        "rotate",
        _rotate,
        "re-seal every template under a new key (stop the daemon first)",
        [common],
    )

    token = commands.add_parser("token", help="check-in tokens for the QR/card scanner (no face needed)")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    issue = command(
        token_commands,
        "issue",
        _issue,
        "issue a consented customer a token to print as a QR code or card",
        [common],
    )
    add_customer_arguments(issue, channel="kiosk-token")
    issue.add_argument(
        "--qr",
        type=_qr_file,
        metavar="FILE",
        help="also write the token as a QR code to print: FILE.png or FILE.svg (mode 0600)",
    )


def _qr_file(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in QR_KINDS:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a file name ending in .png or .svg")
    return path


def _new_key(args: argparse.Namespace) -> int:
    from device.privacy.keys import write_new_key

    try:
        cipher = write_new_key(args.file)
    except TemplateKeyError as exc:
        print(f"branchdoor: {exc}", file=sys.stderr)
        return 1
    print(f"wrote a new template key to {args.file} (mode 0600, key id {cipher.key_id})")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    from device.privacy.keys import rotate
    from device.runtime.instance_lock import AlreadyRunning, InstanceLock

    config = load(args)
    try:
        with InstanceLock(config.storage.state_dir, "branchdoor keys rotate"):
            count, key_id = rotate(config.storage.database, config.privacy.template_key_file)
    except AlreadyRunning as exc:
        # A daemon would keep matching with the old key and fail at its next gallery reload.
        print(f"branchdoor: not rotating: {exc}; stop it first (systemctl stop branchdoor)", file=sys.stderr)
        return 1
    except TemplateKeyError as exc:
        print(f"branchdoor: {exc}", file=sys.stderr)
        return 1
    print(
        f"re-sealed {count} template(s) under key {key_id}, now in {config.privacy.template_key_file}; "
        "start the daemon again (systemd hands it the new key)"
    )
    return 0


def _issue(args: argparse.Namespace) -> int:
    from device.enrollment.enroll import consent_audits
    from device.state.store import Store

    config = load(args)
    if args.qr is not None and not args.qr.parent.is_dir():  # known before a token is issued for nothing
        print(f"branchdoor: --qr {args.qr}: no such directory {args.qr.parent}", file=sys.stderr)
        return 1
    if args.qr is not None and os.path.lexists(args.qr):  # another's file or a link: never write through it
        taken = f"branchdoor: --qr {args.qr}: already exists; delete it first or name a new file"
        print(taken, file=sys.stderr)
        return 1
    profile, consent = customer_from(args)
    store = Store(config.storage.database)
    try:
        token = store.issue_token(profile, consent, consent_audits(args.customer, consent, "enrollment"))
    finally:
        store.close()
    print(f"check-in token for {args.customer} (print it as a QR code or on a card; it is shown only once):")
    print(token, flush=True)
    if args.qr is None:
        return 0
    try:
        print(write_qr(token, args.qr))
    except OSError as exc:
        print(
            f"branchdoor: could not write {args.qr}: {exc.strerror or exc}; the token above is valid",
            file=sys.stderr,
        )
        return 1
    return 0


def write_qr(token: str, path: Path) -> str:
    """The token as a QR code (PNG or SVG by the file's extension), readable only by its owner: a copy of
    the token, which the kiosk keeps only as a hash. Returns what to tell the operator."""
    import segno

    code = segno.make(token, error="m")  # 15 % of a worn or smudged card may be lost
    # A new file only, not through a link: one already there (another user's, in a shared print folder)
    # would keep its owner and hand them the token.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    os.fchmod(descriptor, 0o600)  # O_CREAT's mode is filtered through the umask
    with os.fdopen(descriptor, "wb") as out:
        # 4 modules of quiet zone, as ISO/IEC 18004 asks; 10 pixels a module keep edges sharp scaled to print.
        code.save(out, kind=QR_KINDS[path.suffix.lower()], scale=10, border=4)
    modules = code.symbol_size(scale=1, border=0)[0]
    width_mm = code.symbol_size(scale=1, border=4)[0] * MODULE_MM
    return (
        f"wrote the QR code to {path} (version {code.version}, {modules} x {modules} modules, error "
        f"correction {code.error}): print it at least {width_mm:.0f} mm wide, then delete the file"
    )
