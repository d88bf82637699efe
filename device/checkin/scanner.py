"""The check-in path without a face: a QR code or card under the kiosk's scanner.

A scanned check-in token of a consented customer makes the same check-in, and so the same teller
cue, as the face path. Anything else is counted and refused; the scanned text is never logged or
stored (a token is a bearer credential). To withdraw consent at the kiosk, a customer scans the
printed withdrawal code, then their token, then the withdrawal code again to confirm, each within
`WITHDRAW_WINDOW_S` of the last: everything held about them is deleted at once and the withdrawal is
queued for the central service. The confirmation is what keeps a customer who walks away halfway from
deleting the next one, who scans only a token: that token is at most held for confirmation (no
check-in, nothing deleted); any other scan, or the window passing, cancels what is under way.

The thread survives what fails: a reader that raises is opened again after a backoff, a code whose
handling fails is a `scanner` fault, and a check-in the database refuses (a full disk) waits and is
recorded by `retry`, its cue with it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Literal, Protocol

from common.backoff import Backoff
from common.faults import Faults, keep_running
from device.checkin.backlog import Backlog
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
    "checked_in",
    "waiting",  # the database refused the check-in for now: it is kept and recorded later
    "same_visit",
    "unknown",
    "malformed",
    "withdraw_armed",
    "withdraw_pending",
    "withdrawn",
]


class CodeSource(Protocol):
    def readings(self, stop: threading.Event) -> Iterator[Reading]: ...


@dataclass
class ScannerStats:
    checked_in: int = 0
    waiting: int = 0
    same_visit: int = 0
    unknown: int = 0
    malformed: int = 0
    withdraw_armed: int = 0
    withdraw_pending: int = 0
    withdrawn: int = 0


class ScannerCheckins:
    def __init__(
        self,
        store: Store,
        desk: CheckinDesk,
        on_checkin: Callable[[CheckIn], object],
        faults: Faults | None = None,
    ) -> None:
        self.faults = faults or Faults()
        self._waiting: Backlog[CheckIn] = Backlog(self.faults, "scanner", "record check-ins")
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
        admit = partial(self._desk.admit_token, customer_ref, now)
        try:
            checkin = admit()
        except Exception as exc:
            self._waiting.keep(admit, exc)
            return "waiting"
        if checkin is None:
            return "same_visit"
        self._checked_in(checkin)
        return "checked_in"

    def retry(self) -> None:
        """Check-ins the database refused, once their backoff is over; from the supervising loop."""
        for checkin in self._waiting.retry():
            self._checked_in(checkin)

    def _checked_in(self, checkin: CheckIn) -> None:
        log.info("check-in visit=%s by token", checkin.visit_id)
        self.faults.attempt("scanner", "issue cues", partial(self._on_checkin, checkin))

    def run(self, source: CodeSource, stop: threading.Event, clock: Callable[[], float]) -> None:
        step = partial(self._read, source, stop, clock)
        keep_running(self.faults, "scanner", "read codes", step, stop, Backoff(1.0, 30.0))

    def _read(self, source: CodeSource, stop: threading.Event, clock: Callable[[], float]) -> None:
        cleared = False
        for reading in source.readings(stop):
            if not cleared:  # reading again: a failure before this one is over
                self.faults.clear("scanner", "read codes")
                cleared = True
            if isinstance(reading, ScanReading):
                # One bad scan must not silence the scanner for the day.
                self.faults.attempt("scanner", "handle codes", partial(self.handle, reading.text, clock()))
