"""Visit claims over the branch broker: each check-in is claimed for every kiosk of the branch, and the
claims of the others are received, refused when hostile, and acted on (device/checkin/claims.py decides).

Publishing only queues on the link (the recognition thread never waits on the network): a claim made
while the broker is away waits in the link's queue with the rest of its life and goes out on reconnect,
and the other kiosk, or this one, reconciles the duplicate then. Receiving runs on the mqtt thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

from common.faults import Faults
from device.checkin.claims import Claim, ClaimBook, Duplicate, Won, claim_key
from device.cues.board import CueBoard
from device.domain import CheckIn
from device.mqtt.contract.models import VisitClaim
from device.mqtt.link import MqttLink, Outgoing
from device.mqtt.topics import Topics

log = logging.getLogger(__name__)

RETRY_S = 1.0
MAX_PENDING = 10_000


@dataclass
class ClaimStats:
    published: int = 0
    received: int = 0
    rejected: int = 0  # malformed, or on another customer's topic


class BranchClaims:
    def __init__(
        self,
        book: ClaimBook,
        link: MqttLink,
        topics: Topics,
        board: CueBoard,
        clock: Callable[[], float] = time.time,
        faults: Faults | None = None,
    ) -> None:
        self.book = book
        self._clock = clock
        self.faults = faults or Faults()
        self.stats = ClaimStats()
        # Claims received but not yet acted on (the database refused): retried, never dropped. Bounded;
        # a claim waiting past the dedup window has nothing left to reconcile.
        self._pending: deque[Claim] = deque(maxlen=MAX_PENDING)
        self._retry_at = 0.0
        self._lock = threading.Lock()
        # Our live claims, by customer ref: claimed again on every reconnect, since the shipped broker
        # keeps no retained message across its own restart (persistence false).
        self._ours: dict[str, Claim] = {}
        self._was_connected = False
        self._link = link
        self._topics = topics
        self._board = board
        link.subscribe(topics.every_claim, self.received)
        link.every_tick(self._tick)

    def duplicates(self) -> dict[str, int]:
        return {str(cause): count for cause, count in self.book.duplicates.items()}

    def claim(self, checkin: CheckIn) -> None:
        """Any thread: queue this kiosk's claim on the visit, retained until the dedup window ends."""
        self._send(Claim.of(checkin))

    def _send(self, claim: Claim) -> None:
        payload = VisitClaim(
            visit_id=claim.visit_id, customer_ref=claim.customer_ref, device_id=claim.device_id, at=claim.at
        ).to_json()
        topic = self._topics.claim(claim_key(claim.customer_ref))
        # customer_ref: forgetting the customer drops the claim while it waits (device/mqtt/link.py).
        self._link.send(
            Outgoing(topic, payload, 1, self._expiry(claim), retain=True, customer_ref=claim.customer_ref)
        )
        self.stats.published += 1
        with self._lock:
            self._ours = self._live(self._ours)
            self._ours[claim.customer_ref] = claim

    def _expiry(self, claim: Claim) -> float:
        return claim.at + self.book.window_s

    def _live(self, claims: dict[str, Claim]) -> dict[str, Claim]:
        now = self._clock()
        return {ref: claim for ref, claim in claims.items() if self._expiry(claim) > now}

    def _tick(self, now: float) -> None:
        connected = self._link.connected
        if connected and not self._was_connected:
            with self._lock:
                self._ours = self._live(self._ours)
                again = list(self._ours.values())
            for claim in again:  # the broker may have restarted and lost them; twice does no harm
                self._send(claim)
        self._was_connected = connected
        if self._pending and now >= self._retry_at:
            self._settle()

    def drop_pending_cues(self, still_held: Callable[[str], bool]) -> int:
        """device.privacy.forgetting.PendingCues, for the board and for the claims: a forgotten
        customer's claim retained on the broker is cleared there (an empty retained message), so no
        trace of them waits for its expiry; the link drops one not yet sent."""
        with self._lock:
            live = self._live(self._ours)
            gone = [ref for ref in live if not still_held(ref)]
            self._ours = {ref: claim for ref, claim in live.items() if ref not in gone}
        dropped = self._board.drop_pending_cues(still_held)
        for ref in gone:
            self._link.send(
                Outgoing(self._topics.claim(claim_key(ref)), b"", 1, retain=True, content_type=None)
            )
        return dropped

    def received(self, topic: str, payload: bytes) -> None:
        if not payload:
            return  # a retained claim cleared
        try:
            message = VisitClaim.model_validate_json(payload)
        except ValidationError as exc:
            self._reject(topic, f"malformed claim: {exc.errors()[0]['msg']}")
            return
        if topic.rsplit("/", 1)[-1] != claim_key(message.customer_ref):
            self._reject(topic, "claim on another customer's topic")
            return
        self.stats.received += 1
        self._pending.append(Claim(message.visit_id, message.customer_ref, message.device_id, message.at))
        self._settle()

    def _settle(self) -> None:
        """On the mqtt thread: act on the claims received, in order, until the database refuses."""
        while self._pending:
            if not self.faults.attempt("claims", "reconcile visit claims", self._act_on_first):
                self._retry_at = self._clock() + RETRY_S
                return
            self._pending.popleft()

    def _act_on_first(self) -> bool:
        claim = self._pending[0]
        outcome = self.book.receive(claim, self._clock())
        if isinstance(outcome, Won):
            log.info("visit %s is ours, not %s's: claimed again", outcome.ours.visit_id, claim.device_id)
            self._send(outcome.ours)
        elif isinstance(outcome, Duplicate):
            with self._lock:  # ours lost: never claimed again
                if self._ours.get(claim.customer_ref) == outcome.loser:
                    del self._ours[claim.customer_ref]
            withdrawn = self._board.withdraw_visit(outcome.loser.visit_id, "duplicate_visit")
            log.warning(
                "duplicate visit reconciled into %s's visit %s (%s): visit %s merged, cue %s, check-in %s",
                outcome.won.device_id,
                outcome.won.visit_id,
                outcome.cause,
                outcome.loser.visit_id,
                "withdrawn" if withdrawn else "not shown",
                "marked as merged (already uploaded)" if outcome.already_uploaded else "not uploaded",
            )
        return True

    def _reject(self, topic: str, why: str) -> None:
        self.stats.rejected += 1
        log.warning("rejected message on %s: %s", topic, why)
