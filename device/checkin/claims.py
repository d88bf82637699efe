"""One visit per branch, whatever the door: the kiosks of a branch claim the visits they check in.

Every check-in becomes a claim that the other kiosks of the branch receive (the runtime carries claims
over the branch broker, device/runtime/branch_claims.py); a kiosk holding a live claim of another
treats the customer as checked in (`CheckinDesk`). Two kiosks can still check one customer in: in the
same second, before either claim arrived, or while one was cut off from the broker and could not know.
Then the tie-break below picks the same winner at every kiosk, and the loser merges its check-in into
the winner's visit: this module decides, the store records, the runtime withdraws the loser's cue.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from device.domain import AuditRecord, CheckIn
from device.state.store import Store

log = logging.getLogger(__name__)

Cause = Literal["same_second", "partition"]
CAUSES: tuple[Cause, ...] = ("same_second", "partition")
# A claim stamped this far ahead of our clock is a kiosk whose clock is wrong (or a forgery): its claim
# would win every tie-break for the whole window, so it is refused instead.
MAX_AHEAD_S = 60.0


def claim_key(customer_ref: str) -> str:
    """The claim topic's last level: the same at every kiosk, and no customer reference in a topic name."""
    return hashlib.sha256(f"claim:{customer_ref}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Claim:
    visit_id: str
    customer_ref: str
    device_id: str
    at: float

    @classmethod
    def of(cls, checkin: CheckIn) -> Claim:
        return cls(checkin.visit_id, checkin.customer_ref, checkin.device_id, checkin.at)

    def rank(self) -> tuple[int, str, str]:
        """Lower wins: the earlier whole second (kiosk clocks agree to about a second, not better), then
        the lower device id; the visit id only orders two claims no honest pair of kiosks would make."""
        return int(self.at), self.device_id, self.visit_id


def winner(a: Claim, b: Claim) -> Claim:
    return min(a, b, key=Claim.rank)


def cause_of(loser: Claim, won: Claim) -> Cause:
    """Within one second two doors may name a customer before either hears of the other; later than
    that, the loser could not hear the winner's claim: it was cut off from the broker."""
    return "same_second" if int(loser.at) == int(won.at) else "partition"


@dataclass(frozen=True, slots=True)
class Duplicate:
    """This kiosk's check-in `loser` merged into another kiosk's visit `won`."""

    loser: Claim
    won: Claim
    cause: Cause
    already_uploaded: bool


@dataclass(frozen=True, slots=True)
class Won:
    """Another kiosk claimed a visit this kiosk had first: it must hear our claim again."""

    ours: Claim


Outcome = Literal["ours", "stale", "noted", "unknown_customer"] | Won | Duplicate


class ClaimBook:
    """Runs on the mqtt thread; reads and writes the store like the cue board does."""

    def __init__(self, store: Store, device_id: str, dedup_window_s: float) -> None:
        self._store = store
        self._device_id = device_id
        self._window_s = dedup_window_s
        self.duplicates: Counter[Cause] = Counter({cause: 0 for cause in CAUSES})

    @property
    def window_s(self) -> float:
        return self._window_s

    def receive(self, claim: Claim, now: float) -> Outcome:
        if claim.device_id == self._device_id:
            return "ours"  # our own claim back from the broker
        if now - claim.at >= self._window_s or claim.at - now > MAX_AHEAD_S:
            return "stale"
        local = self._store.checkins.latest(claim.customer_ref)
        if local is not None and abs(local[1] - claim.at) < self._window_s:
            ours = Claim(local[0], claim.customer_ref, self._device_id, local[1])
            if winner(ours, claim) is ours:
                return Won(ours)
            # Noted first: if the merge fails, the claim is received again and both are simply redone.
            self._note(claim, now)
            return self._merge(ours, claim, now)
        return "noted" if self._note(claim, now) else "unknown_customer"

    def _note(self, claim: Claim, now: float) -> bool:
        return self._store.claims.note(
            claim.visit_id, claim.customer_ref, claim.device_id, claim.at, forget_before=now - self._window_s
        )

    def _merge(self, ours: Claim, won: Claim, now: float) -> Duplicate:
        cause = cause_of(ours, won)
        audit = AuditRecord(
            event="identification",
            customer_ref=ours.customer_ref,
            rule=f"one visit per branch; duplicate visit reconciled into {won.visit_id}",
            detail=f"visit {ours.visit_id} at {self._device_id} merged into {won.device_id}'s visit "
            f"{won.visit_id} ({cause})",
        )
        uploaded = self._store.claims.merge_duplicate(ours.visit_id, audit, now)
        self.duplicates[cause] += 1
        return Duplicate(ours, won, cause, uploaded)
