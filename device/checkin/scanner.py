"""The check-in path without a face: a QR code or card under the kiosk's scanner.

A scanned check-in token of a consented customer makes the same check-in, and so the same teller
cue, as the face path. Anything else is counted and refused; the scanned text is never logged or
stored (a token is a bearer credential). To withdraw consent at the kiosk, a customer scans the
printed withdrawal code, then their token, then the withdrawal code again to confirm, each within
`WITHDRAW_WINDOW_S` of the last: everything held about them is deleted at once and the withdrawal is
queued for the central service. The confirmation is what keeps a customer who walks away halfway from
deleting the next one, who scans only a token: that token is at most held for confirmation (no
check-in, nothing deleted); any other scan, or the window passing, cancels what is under way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from device.checkin.desk import CheckinDesk
from device.domain import CheckIn
from device.privacy.forgetting import kiosk_withdrawal
from device.state.store import Store
from device.state.tokens import well_formed
from drivers.serial.readings import Reading, ScanReading

log = logging.getLogger(__name__)

WITHDRAW_CODE = "BRANCHDOOR-WITHDRAW"
WITHDRAW_WINDOW_S = 15.0
Outcome = Literal[
    "checked_in", "same_visit", "unknown", "malformed", "withdraw_armed", "withdraw_pending", "withdrawn"
]


class CodeSource(Protocol):
    def readings(self, stop: threading.Event) -> Iterator[Reading]: ...


@dataclass
class ScannerStats:
    checked_in: int = 0
    same_visit: int = 0
    unknown: int = 0
    malformed: int = 0
    withdraw_armed: int = 0
    withdraw_pending: int = 0
    withdrawn: int = 0


class ScannerCheckins:
    def __init__(self, store: Store, desk: CheckinDesk, on_checkin: Callable[[CheckIn], object]) -> None:
        self._store = store
        self._desk = desk
        self._on_checkin = on_checkin
        self._withdraw_until = 0.0  # the withdrawal code was read; the next step is due before this
        self._pending: str | None = None  # whose token followed it, awaiting the confirming code
        self.stats = ScannerStats()

    def handle(self, text: str, now: float) -> Outcome:
        outcome = self._decide(text.strip(), now)
        setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
        return outcome

    def _decide(self, text: str, now: float) -> Outcome:
        armed, pending = now < self._withdraw_until, self._pending if now < self._withdraw_until else None
        self._withdraw_until, self._pending = 0.0, None  # any scan ends what was under way
        if text == WITHDRAW_CODE:
            if pending is not None:
                self._store.forget(pending, kiosk_withdrawal(pending, "customer", "scanner withdrawal code"))
                log.info("scanner: a customer withdrew consent at the kiosk: forgotten")
                return "withdrawn"
            self._withdraw_until = now + WITHDRAW_WINDOW_S
            log.info("scanner: withdrawal code read; waiting %.0fs for a token", WITHDRAW_WINDOW_S)
            return "withdraw_armed"
        if not well_formed(text):
            log.warning("scanner: code refused (not a check-in token)")
            return "malformed"
        customer_ref = self._store.tokens.holder(text)
        if customer_ref is None:
            log.warning("scanner: check-in token refused (unknown, revoked or without consent)")
            return "unknown"
        if armed and pending is None:
            self._withdraw_until, self._pending = now + WITHDRAW_WINDOW_S, customer_ref
            log.info("scanner: token read after the withdrawal code; scan the code again to confirm")
            return "withdraw_pending"
        checkin = self._desk.admit_token(customer_ref, now)
        if checkin is None:
            return "same_visit"
        log.info("check-in visit=%s by token", checkin.visit_id)
        self._on_checkin(checkin)
        return "checked_in"

    def run(self, source: CodeSource, stop: threading.Event, clock: Callable[[], float]) -> None:
        for reading in source.readings(stop):
            if isinstance(reading, ScanReading):
                try:
                    self.handle(reading.text, clock())
                except Exception:  # one bad scan must not silence the scanner for the day
                    log.exception("scanner: handling a code failed")
