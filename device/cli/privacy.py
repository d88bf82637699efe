"""`branchdoor keys new|rotate` and `branchdoor token issue`: the privacy tools of the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from device.cli.args import Subcommands, command, load
from device.cli.customer import add_customer_arguments, customer_from
from device.state.sealing import TemplateKeyError


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
    profile, consent = customer_from(args)
    store = Store(config.storage.database)
    try:
        token = store.issue_token(profile, consent, consent_audits(args.customer, consent, "enrollment"))
    finally:
        store.close()
    print(f"check-in token for {args.customer} (print it as a QR code or on a card; it is shown only once):")
    print(token)
    return 0
