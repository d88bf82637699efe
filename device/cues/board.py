"""The cues still alive, and everything that happens to them: issue, route, replay, withdraw, feedback.

`issue` runs on the recognition thread; `hello`, `feedback` and `tick` run on the mqtt thread; one lock
keeps the board consistent. Everything leaves through the link's queue.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from pydantic import ValidationError

from device.cues.config import CuesConfig
from device.cues.cue import Cue, VisitHistory, iso_utc, route_for
from device.cues.replay import HelloStats, ReplayPlan
from device.domain import AuditRecord, CheckIn
from device.mqtt.contract.models import CueFeedback, CueWithdrawal, ScreenHello, VisitEvent, WithdrawalReason
from device.mqtt.link import MqttLink
from device.mqtt.topics import Topics
from device.state.store import Store

log = logging.getLogger(__name__)

# Feedback may arrive a little after a cue ended (a teller clicks as the card fades): ended cues are
# remembered this long, and at most this many.
ENDED_KEEP_S = 3600.0
ENDED_KEEP_MAX = 1000


@dataclass
class FeedbackStats:
    """Teller verdicts: a recognition-quality signal (`not_this_customer` is a wrong name)."""

    verdicts: Counter[str]
    rejected: int = 0
    zone_refused: int = 0  # hellos naming a zone other than the one `[cues] screens` gives
    replays: int = 0
    withdrawn: int = 0


FromScreen = TypeVar("FromScreen", ScreenHello, CueFeedback)


class CueBoard:
    def __init__(
        self,
        link: MqttLink,
        topics: Topics,
        config: CuesConfig,
        expiry_s: float,
        store: Store,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._link = link
        self._topics = topics
        self._config = config
        self._expiry_s = expiry_s
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._active: dict[str, Cue] = {}
        # Ended cues -> when (never one whose customer withdrew consent): late feedback still counts.
        self._ended: OrderedDict[str, tuple[Cue, float]] = OrderedDict()
        self._judged: set[str] = set()  # cues a teller gave their one verdict on
        self._forgotten: set[str] = set()  # digests of customer refs forgotten during this run
        self._merged: OrderedDict[str, None] = OrderedDict()  # visits merged into another kiosk's
        self._replays = ReplayPlan()  # who gets active cues replayed, and when (bounded)
        self._refusals_logged_at = 0.0
        self.stats = FeedbackStats(Counter())
        link.subscribe(topics.every_screen("hello"), self.hello)
        link.subscribe(topics.every_screen("feedback"), self.feedback)
        link.every_tick(self.tick)

    @property
    def hello_stats(self) -> HelloStats:
        return self._replays.stats

    def active(self) -> list[Cue]:
        with self._lock:
            return list(self._active.values())

    def remembers(self, customer_ref: str) -> bool:
        """Whether any cue of this customer is still in memory, active or recently ended."""
        with self._lock:
            cues = [*self._active.values(), *(cue for cue, _ in self._ended.values())]
        return any(cue.checkin.customer_ref == customer_ref for cue in cues)

    def issue(self, checkin: CheckIn, seen_at: float | None = None) -> Cue | None:
        """Build the cue the branch allows, route it, publish it, and say the visit arrived. With
        `seen_at` the cue's life runs from when the customer was seen: a check-in recorded late (the
        database refused it for a while) gets what is left of it, and no cue once nothing is."""
        now = self._clock()
        issued_at = now if seen_at is None else min(seen_at, now)
        if now - issued_at >= self._expiry_s:
            log.info("no cue for visit %s: recorded after its cue's life was over", checkin.visit_id)
            return None
        count, previous = self._store.checkins.history(checkin.customer_ref, checkin.at)
        cue = Cue.for_checkin(
            checkin,
            issued_at,
            self._expiry_s,
            zone=route_for(checkin, self._config.routes),
            history=VisitHistory(max(count, 1), previous),
            fields=self._config.fields,
        )
        try:
            cue.model()
        except ValidationError as exc:  # a profile the contract cannot carry: no cue, and say why
            log.error("no cue for visit %s: %s", checkin.visit_id, _first_error(exc))
            return None
        topic = self._topics.cues if cue.zone is None else self._topics.zone_cues(cue.zone)
        with self._lock:  # queueing never blocks; under the lock a forget cannot slip in between
            if _digest(checkin.customer_ref) in self._forgotten:
                log.warning("no cue for visit %s: the customer was forgotten", checkin.visit_id)
                return None
            if checkin.visit_id in self._merged:  # lost to another door before its cue was out
                return None
            self._active[cue.cue_id] = cue
            published = self._publish(cue, topic, now)
        if published:
            self._store.record_audit(cue_shown(checkin, topic, int(self._expiry_s)))
        self._visit(checkin, "arrived", "checked_in", now)
        return cue

    def _publish(self, cue: Cue, topic: str, now: float) -> bool:
        """Queued on the link, which drops it unsent once its life is over; False if it already is."""
        if cue.remaining_s(now) <= 0:
            return False
        return self._link.publish_expiring(
            topic, cue.to_json(), cue.expires_at, cue.checkin.customer_ref, now
        )

    def drop_pending_cues(self, still_held: Callable[[str], bool]) -> int:
        """device.privacy.forgetting.PendingCues: a customer forgotten while their cue is active has it
        withdrawn from every screen and never replayed; one not yet sent never leaves the kiosk."""
        now = self._clock()
        with self._lock:
            gone = [cue for cue in self._active.values() if not still_held(cue.checkin.customer_ref)]
            ended = [cue for cue, _ in self._ended.values() if not still_held(cue.checkin.customer_ref)]
            for cue in ended:
                del self._ended[cue.cue_id]
            self._judged.difference_update(cue.cue_id for cue in gone + ended)
            self._forgotten.update(_digest(cue.checkin.customer_ref) for cue in gone + ended)
        for cue in gone:
            if self._end(cue, "consent_withdrawn", now):
                self._visit(cue.checkin, "left", "consent_withdrawn", now)
        # After the board let go: a replay queued before this is caught in the link's queue.
        return self._link.drop_pending_cues(still_held) + len(gone)

    def withdraw_visit(self, visit_id: str, reason: WithdrawalReason) -> bool:
        """Another kiosk of the branch had this visit first: its cue leaves every screen, or never goes
        out if it was not issued yet. True when an active cue was withdrawn."""
        now = self._clock()
        with self._lock:
            self._merged[visit_id] = None
            while len(self._merged) > ENDED_KEEP_MAX:
                self._merged.popitem(last=False)
            cue = next((cue for cue in self._active.values() if cue.checkin.visit_id == visit_id), None)
        if cue is None or not self._end(cue, reason, now):
            return False
        self._visit(cue.checkin, "left", reason, now)
        return True

    def tick(self, now: float) -> None:
        self._replay(now)
        with self._lock:
            expired = [cue for cue in self._active.values() if cue.expires_at <= now]
        for cue in expired:
            if self._end(cue, "expired", now):
                self._visit(cue.checkin, "left", "timeout", now)

    def _from_screen(self, topic: str, payload: bytes, model: type[FromScreen]) -> FromScreen | None:
        """A screen's message, valid and sent on that screen's own topic; otherwise refused and logged."""
        what = "hello" if model is ScreenHello else "feedback"
        try:
            message = model.model_validate_json(payload)
        except ValidationError as exc:
            self._reject(topic, f"malformed {what}: {_first_error(exc)}")
            return None
        if message.screen_id != Topics.screen_of(topic):
            self._reject(topic, f"{what} names screen {message.screen_id!r} on another screen's topic")
            return None
        return message

    def hello(self, topic: str, payload: bytes) -> None:
        hello = self._from_screen(topic, payload, ScreenHello)
        if hello is None:
            return
        screen_id = hello.screen_id
        zone = self._config.screens.get(screen_id)
        if hello.zone is not None and hello.zone != zone:
            # The daemon owns the screen -> zone mapping: a screen cannot read another zone's cues.
            with self._lock:
                self.stats.zone_refused += 1
            self._reject(topic, f"hello names zone {hello.zone!r}, configured: {zone!r}; no replay")
            return
        if not self._config.replay:
            return
        now = self._clock()
        with self._lock:
            listed = screen_id in self._config.screens
            if self._replays.hello(screen_id, zone, listed, now):
                self._replays.plan(screen_id, zone, self._replayable())
            refused = self._replays.stats.refused
        if refused and now - self._refusals_logged_at >= 60:
            self._refusals_logged_at = now
            log.warning(
                "%d hello(s) from screens not in [cues] screens refused so far (a flood?): they get new "
                "cues live, and no replay",
                refused,
            )

    def _replayable(self) -> list[tuple[str, float, str | None]]:
        """Under the lock: (cue id, expiry, zone) of every active cue."""
        return [(cue.cue_id, cue.expires_at, cue.zone) for cue in self._active.values()]

    def _replay(self, now: float) -> None:
        """Send the next planned replays, soonest expiry first across every screen: after a broker
        restart every screen says hello at once, and a cue with a second left must not wait behind
        another screen's long-lived ones. A bounded number per tick, so live cues keep flowing."""
        with self._lock:
            for screen_id, zone in self._replays.due_deferred(now):
                self._replays.plan(screen_id, zone, self._replayable())
            self._replays.drop_expired(now)
            due = self._replays.take()
        shown: list[AuditRecord] = []
        for item in due:
            with self._lock:  # a customer forgotten meanwhile: their cue is no longer active
                cue = self._active.get(item.cue_id)
                if cue is None or not self._publish(cue, self._topics.screen(item.screen_id, "cues"), now):
                    continue
                self.stats.replays += 1
            shown.append(cue_shown(cue.checkin, item.screen_id, int(self._expiry_s)))
        if shown:
            self._store.record_audit(*shown)
            log.info("%d cue(s) replayed to screens that said hello late", len(shown))

    def feedback(self, topic: str, payload: bytes) -> None:
        """A teller's verdict: validated, audited, counted; a malformed one is refused and logged."""
        verdict = self._from_screen(topic, payload, CueFeedback)
        if verdict is None:
            return
        screen_id = verdict.screen_id
        now = self._clock()
        with self._lock:
            cue = self._active.get(verdict.cue_id) or self._ended.get(verdict.cue_id, (None, 0.0))[0]
            why = self._refusal(cue, verdict, screen_id)
            if why is None:
                self._judged.add(verdict.cue_id)
        if why is not None:
            self._reject(topic, why)
            return
        assert cue is not None
        self._store.record_audit(
            AuditRecord(
                event="cue_feedback",
                customer_ref=cue.checkin.customer_ref,
                actor="teller",
                score_band=cue.checkin.score_band,
                screen=screen_id,
                rule="teller-feedback",
                detail=f"{verdict.verdict} cue={cue.cue_id} visit={cue.checkin.visit_id}",
            )
        )
        with self._lock:
            self.stats.verdicts[verdict.verdict] += 1
        log.info("teller at %s marked cue %s %s", screen_id, cue.cue_id, verdict.verdict)
        if self._end(cue, verdict.verdict, now):
            state = "served" if verdict.verdict == "served" else "left"
            self._visit(cue.checkin, state, "teller_served" if state == "served" else verdict.verdict, now)

    def _refusal(self, cue: Cue | None, verdict: CueFeedback, screen_id: str) -> str | None:
        """Why a verdict is refused (under the lock), None when it counts."""
        if cue is None or cue.checkin.visit_id != verdict.visit_id:
            return f"feedback for unknown cue {verdict.cue_id}"  # also one whose customer was forgotten
        if verdict.cue_id in self._judged:
            return f"feedback for cue {verdict.cue_id}: already ended with a verdict"
        if cue.zone is not None and cue.zone != self._config.screens.get(screen_id):
            return f"feedback for cue {verdict.cue_id} from screen {screen_id!r} outside its zone"
        return None

    def _end(self, cue: Cue, reason: WithdrawalReason, now: float) -> bool:
        """Withdraw a cue from every screen, once. False when it had already ended. A cue whose
        customer withdrew consent is not kept: nothing of a forgotten customer stays in memory."""
        with self._lock:
            if self._active.pop(cue.cue_id, None) is None:
                return False
            if reason != "consent_withdrawn":
                self._ended[cue.cue_id] = (cue, now)
            while self._ended and (
                len(self._ended) > ENDED_KEEP_MAX or next(iter(self._ended.values()))[1] < now - ENDED_KEEP_S
            ):
                self._judged.discard(self._ended.popitem(last=False)[0])
            self.stats.withdrawn += 1
        withdrawal = CueWithdrawal(
            cue_id=cue.cue_id, visit_id=cue.checkin.visit_id, reason=reason, at=iso_utc(now)
        )
        # Lives as long as a cue does: a screen back within that time still hears of it.
        self._link.publish_json(self._topics.withdrawals, withdrawal.to_json(), 1, self._expiry_s)
        return True

    def _visit(self, checkin: CheckIn, state: str, reason: str, now: float) -> None:
        event = VisitEvent.model_validate(
            {
                "visit_id": checkin.visit_id,
                "branch_id": checkin.branch_id,
                "device_id": checkin.device_id,
                "state": state,
                "reason": reason,
                "at": iso_utc(now),
            }
        )
        self._link.publish_json(self._topics.visits, event.to_json(), 1, self._expiry_s)

    def _reject(self, topic: str, why: str) -> None:
        with self._lock:
            self.stats.rejected += 1
        log.warning("rejected message on %s: %s", topic, why)


def cue_shown(checkin: CheckIn, screen: str, expiry_s: int) -> AuditRecord:
    """The audit of a cue handed to the broker for the branch's teller screens."""
    return AuditRecord(
        event="cue_shown",
        customer_ref=checkin.customer_ref,
        score_band=checkin.score_band,
        screen=screen,
        rule=f"one cue per visit, expires after {expiry_s}s",
        detail=f"visit {checkin.visit_id}",
    )


def _digest(customer_ref: str) -> str:
    """What the board keeps of a forgotten customer: enough to refuse their check-in, not the ref."""
    return hashlib.sha256(customer_ref.encode()).hexdigest()


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "payload"
    return json.dumps(f"{where}: {error['msg']}")[1:-1]
