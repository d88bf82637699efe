"""The check-in path without a face: a QR code or card under the kiosk's scanner.

A scanned check-in token of a consented customer makes the same check-in, and so the same teller
cue, as the face path. Anything else is counted and refused; the scanned text is never logged or
stored (a token is a bearer credential). To withdraw consent at the kiosk, a customer scans the
printed withdrawal code and then their token within `WITHDRAW_WINDOW_S`: everything held about them
is deleted at once and the withdrawal is queued for the central service.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from device.checkin import CheckinDesk
from device.checkin_tokens import well_formed
from device.events import CheckIn
from device.forgetting import kiosk_withdrawal
from device.store import Store
from drivers.serial.readings import Reading, ScanReading

log = logging.getLogger(__name__)

WITHDRAW_CODE = "BRANCHDOOR-WITHDRAW"
WITHDRAW_WINDOW_S = 30.0
Outcome = Literal["checked_in", "same_visit", "unknown", "malformed", "withdraw_armed", "withdrawn"]


class CodeSource(Protocol):
    def readings(self, stop: threading.Event) -> Iterator[Reading]: ...


@dataclass
class ScannerStats:
    checked_in: int = 0
    same_visit: int = 0
    unknown: int = 0
    malformed: int = 0
    withdraw_armed: int = 0
    withdrawn: int = 0


class ScannerCheckins:
    def __init__(self, store: Store, desk: CheckinDesk, on_checkin: Callable[[CheckIn], object]) -> None:
        self._store = store
        self._desk = desk
        self._on_checkin = on_checkin
        self._withdraw_until = 0.0
        self.stats = ScannerStats()

    def handle(self, text: str, now: float) -> Outcome:
        outcome = self._decide(text.strip(), now)
        setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
        return outcome

    def _decide(self, text: str, now: float) -> Outcome:
        if text == WITHDRAW_CODE:
            self._withdraw_until = now + WITHDRAW_WINDOW_S
            log.info(
                "scanner: withdrawal code read; waiting %.0fs for the customer's token", WITHDRAW_WINDOW_S
            )
            return "withdraw_armed"
        if not well_formed(text):
            log.warning("scanner: code refused (not a check-in token)")
            return "malformed"
        customer_ref = self._store.tokens.holder(text)
        if customer_ref is None:
            log.warning("scanner: check-in token refused (unknown, revoked or without consent)")
            return "unknown"
        if now < self._withdraw_until:
            self._withdraw_until = 0.0
            self._store.forget(
                customer_ref, kiosk_withdrawal(customer_ref, "customer", "scanner withdrawal code")
            )
            log.info("scanner: customer %s withdrew consent at the kiosk: forgotten", customer_ref)
            return "withdrawn"
        checkin = self._desk.admit_token(customer_ref, now)
        if checkin is None:
            return "same_visit"
        log.info("check-in visit=%s customer=%s by token", checkin.visit_id, customer_ref)
        self._on_checkin(checkin)
        return "checked_in"

    def run(self, source: CodeSource, stop: threading.Event, clock: Callable[[], float]) -> None:
        for reading in source.readings(stop):
            if isinstance(reading, ScanReading):
                try:
                    self.handle(reading.text, clock())
                except Exception:  # one bad scan must not silence the scanner for the day
                    log.exception("scanner: handling a code failed")
