"""The customer arguments `enroll` and `token issue` share: who, what a teller may see, what was agreed."""

from __future__ import annotations

import argparse
import re
import time

from device.domain import Consent, Profile

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
