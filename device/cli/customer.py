"""`branchdoor enroll`, `forget` and `customers list|show`, and the customer arguments `enroll` and
`token issue` share: who, what a teller may see, what was agreed."""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from device.cli.args import Subcommands, command, load
from device.domain import Consent, Profile, Role

if TYPE_CHECKING:
    from device.state.roster import CustomerRecord
    from device.state.store import Store

_DECADE = re.compile(r"^(19|20)\d0-(19|20)\d9$")


def _birth_year_band(text: str) -> str:
    start, _, end = text.partition("-")
    if not _DECADE.match(text) or int(end) != int(start) + 9:
        raise argparse.ArgumentTypeError(f"{text!r}: expected one decade, e.g. 1980-1989")
    return text


def add_customer_arguments(parser: argparse.ArgumentParser, channel: str) -> None:
    parser.add_argument("--customer", required=True, metavar="REF", help="pseudonymous customer reference")
    parser.add_argument("--name", required=True, help="greeting name shown to tellers")
    parser.add_argument(
        "--consent-version", required=True, metavar="V", help="version of the notice the customer agreed to"
    )
    parser.add_argument("--consent-channel", default=channel, metavar="CHANNEL")
    parser.add_argument("--language", help="preferred language, e.g. en, zh-CN")
    parser.add_argument("--interest", action="append", default=[], help="product interest (repeatable)")
    parser.add_argument("--hint", action="append", default=[], help="service hint for tellers (repeatable)")
    parser.add_argument(
        "--birth-year-band",
        type=_birth_year_band,
        metavar="DECADE",
        help="e.g. 1980-1989, for the branch's age statistics (never estimated from a face)",
    )


def customer_from(args: argparse.Namespace) -> tuple[Profile, Consent]:
    profile = Profile(
        customer_ref=args.customer,
        greeting_name=args.name,
        language=args.language,
        interests=tuple(args.interest),
        service_hints=tuple(args.hint),
        birth_year_band=args.birth_year_band,
    )
    consent = Consent(
        notice_version=args.consent_version, channel=args.consent_channel, granted_at=time.time()
    )
    return profile, consent


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    enroll = command(
        commands, "enroll", _enroll, "enroll a consented customer from photos (photos are not kept)", [common]
    )
    add_customer_arguments(enroll, channel="kiosk-enrollment")
    enroll.add_argument(
        "--staff",
        action="store_true",
        help="a consenting member of staff: recognised only to be left alone (no cue, no check-in, no visit)",
    )
    enroll.add_argument("photos", nargs="+", type=Path, metavar="PHOTO")
    forget = command(commands, "forget", _forget, "delete everything held about a customer", [common])
    forget.add_argument("customer", metavar="REF")
    customers = commands.add_parser(
        "customers", help="what the kiosk holds about enrolled customers (never their biometrics)"
    )
    actions = customers.add_subparsers(dest="customers_command", required=True, metavar="ACTION")
    command(actions, "list", _list, "one line per customer: consent, templates, tokens, check-ins", [common])
    show = command(actions, "show", _show, "everything held about one customer but their templates", [common])
    show.add_argument("customer", metavar="REF")


def _enroll(args: argparse.Namespace) -> int:
    from device.enrollment.enroll import EnrollmentError, enroll
    from device.privacy.keys import load_cipher
    from device.state.sealing import TemplateKeyError
    from device.state.store import Store

    config = load(args)
    profile, consent = customer_from(args)
    try:
        store = Store(config.storage.database, load_cipher(config.privacy))
    except TemplateKeyError as exc:
        print(f"enrollment refused, nothing was stored: {exc}", file=sys.stderr)
        return 1
    tolerance = config.recognition.tolerance
    try:
        role: Role = "staff" if args.staff else "customer"
        result = enroll(store, profile, consent, args.photos, tolerance=tolerance, role=role)
    except EnrollmentError as exc:
        print("enrollment refused, nothing was stored:", file=sys.stderr)
        for problem in str(exc).splitlines():
            print(f"  {problem}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(
        f"enrolled {result.customer_ref}{' as staff' if args.staff else ''}: "
        f"{result.photos_used} photo(s) used, "
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


def _forget(args: argparse.Namespace) -> int:
    from device.privacy.forgetting import kiosk_withdrawal
    from device.state.store import Store

    config, customer_ref = load(args), args.customer
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
    if report.backup_problem is not None:  # the deletion stands; the store logged which copy remains
        return 1
    return 0


NOT_SHOWN = "Face templates are counted, never shown; tokens are held only as hashes. Times are local."


def _open_store(args: argparse.Namespace) -> Store | None:
    from device.state.store import Store

    database = load(args).storage.database
    if not database.exists():  # opening it would create an empty one, and hide a wrong --config
        print(
            f"branchdoor: no database at {database}: nothing held (is this the kiosk's config?)",
            file=sys.stderr,
        )
        return None
    return Store(database)  # no template key: counting templates never opens one


def _list(args: argparse.Namespace) -> int:
    store = _open_store(args)
    if store is None:
        return 1
    try:
        records = store.roster.all()
    finally:
        store.close()
    rows = [("ref", "name", "consent", "templates", "tokens", "enrolled", "last check-in")]
    rows += [
        (
            r.customer_ref,
            r.greeting_name,
            "none on record"
            if r.consent is None
            else f"{r.consent.notice_version}, {_day(r.consent.granted_at)}",
            str(r.templates),
            str(r.tokens),
            _day(r.enrolled_at),
            _minute(r.last_checkin_at),
        )
        for r in records
    ]
    shown = [[_shown(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in shown) for i in range(len(shown[0]))]
    for row in shown:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print(f"{len(records)} customer(s). {NOT_SHOWN}")
    return 0


def _show(args: argparse.Namespace) -> int:
    store = _open_store(args)
    if store is None:
        return 1
    try:
        record = store.roster.one(args.customer)
    finally:
        store.close()
    if record is None:
        print(f"nothing held about {args.customer}")
        return 1
    for label, value in _held(record):
        print(f"{label:<17}{_shown(value)}")
    print(NOT_SHOWN)
    return 0


def _shown(text: str) -> str:
    """Stored text as a terminal should show it. Profiles come from the central service: an escape
    sequence in a name would otherwise rewrite the engineer's screen. Control characters become escapes."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _held(r: CustomerRecord) -> list[tuple[str, str]]:
    consent = "none on record: never recognised"
    if r.consent is not None:
        c = r.consent
        consent = (
            f"given {_minute(c.granted_at)} to notice {c.notice_version} "
            f"(purpose {c.purpose}, scope {c.scope}, channel {c.channel})"
        )
    faces = "none: not recognised by face"
    if r.templates:
        faces = (
            f"{r.templates} (sealed; {'in the gallery' if r.recognised_by_face else 'no consent: unused'})"
        )
    last = "" if r.last_checkin_at is None else f", the last {_minute(r.last_checkin_at)}"
    return [
        ("customer", r.customer_ref),
        ("greeting name", r.greeting_name),
        ("language", r.language or "-"),
        ("interests", ", ".join(r.interests) or "-"),
        ("service hints", ", ".join(r.service_hints) or "-"),
        ("birth-year band", r.birth_year_band or "-"),
        ("consent", consent),
        ("face templates", faces),
        ("check-in tokens", str(r.tokens)),
        ("enrolled", f"{_minute(r.enrolled_at)} (last changed {_minute(r.updated_at)})"),
        ("check-ins held", f"{r.checkins}{last}"),
        ("uploads waiting", f"{r.uploads_waiting} record(s) naming them in the outbox"),
    ]


def _day(at: float) -> str:
    return datetime.fromtimestamp(at).strftime("%Y-%m-%d")


def _minute(at: float | None) -> str:
    return "-" if at is None else datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M")
