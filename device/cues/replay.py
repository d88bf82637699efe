"""Who gets the active cues replayed, and when: a screen that says hello late (a reboot, a broker
restart) gets what it missed, but hellos cannot be turned into a flood.

A hello costs the kiosk one message and one audit record per active cue, so an unbounded stream of them
(5,000 hellos from invented screen ids made 43,829 replays and delayed live cues by 15 s) is bounded
three ways:
- one replay per screen per `HELLO_INTERVAL_S`: a hello inside it is deferred to its end, not dropped
  (a screen that reconnects twice still gets one replay, after the second);
- screens the branch does not list in `[cues] screens` draw on one shared allowance (a burst for
  every screen at a broker restart, then a slow refill); a hello beyond it is refused and counted, and
  the screen still receives every new cue live;
- at most `REPLAYS_PER_TICK` replay messages per tick (the mqtt thread ticks every ~100 ms), soonest
  expiry first across all screens, so a live cue queued meanwhile waits behind at most that many.
Only cue ids and screen ids are held here: nothing of a customer.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass

HELLO_INTERVAL_S = 10.0
UNLISTED_BURST = 50
UNLISTED_PER_S = 0.5
REPLAYS_PER_TICK = 50


@dataclass
class HelloStats:
    replayed: int = 0  # hellos honoured with a replay
    deferred: int = 0  # hellos inside a screen's interval, honoured at its end
    refused: int = 0  # hellos of unlisted screens beyond the shared allowance


@dataclass(frozen=True, slots=True)
class Pending:
    """One replay to do: the cue (by id, with its expiry for ordering) to one screen."""

    expires_at: float
    cue_id: str
    screen_id: str


class ReplayPlan:
    """Not thread-safe: the cue board calls it under its own lock."""

    def __init__(self) -> None:
        self._honoured: dict[str, float] = {}  # screen -> when its last replay was planned
        self._deferred: dict[str, str | None] = {}  # screen -> zone, for a hello inside its interval
        self._allowance = float(UNLISTED_BURST)
        self._refilled_at: float | None = None
        self._queue: list[tuple[float, str, str]] = []  # heap of (expires_at, cue_id, screen_id)
        self.stats = HelloStats()

    def hello(self, screen_id: str, zone: str | None, listed: bool, now: float) -> bool:
        """Whether this hello is honoured now (then `plan` it); False when deferred or refused."""
        self._refill(now)
        last = self._honoured.get(screen_id)
        if last is not None and now - last < HELLO_INTERVAL_S:
            self._deferred[screen_id] = zone
            self.stats.deferred += 1
            return False
        if not listed:
            if self._allowance < 1:
                self.stats.refused += 1
                return False
            self._allowance -= 1
        self._honoured[screen_id] = now
        self.stats.replayed += 1
        return True

    def plan(self, screen_id: str, zone: str | None, cues: Iterable[tuple[str, float, str | None]]) -> None:
        """Queue the replay of `cues` (cue id, expiry, zone) that a screen of `zone` may see."""
        for cue_id, expires_at, cue_zone in cues:
            if cue_zone is None or cue_zone == zone:
                heapq.heappush(self._queue, (expires_at, cue_id, screen_id))

    def due_deferred(self, now: float) -> list[tuple[str, str | None]]:
        """Deferred hellos whose interval has passed: (screen, zone) to honour now."""
        ready = [
            (screen, zone)
            for screen, zone in self._deferred.items()
            if now - self._honoured.get(screen, -HELLO_INTERVAL_S) >= HELLO_INTERVAL_S
        ]
        for screen, _ in ready:
            del self._deferred[screen]
            self._honoured[screen] = now
            self.stats.replayed += 1
        return ready

    def take(self, budget: int = REPLAYS_PER_TICK) -> list[Pending]:
        """The next replays to send, soonest expiry first."""
        taken: list[Pending] = []
        while self._queue and len(taken) < budget:
            expires_at, cue_id, screen_id = heapq.heappop(self._queue)
            taken.append(Pending(expires_at, cue_id, screen_id))
        return taken

    def drop_expired(self, now: float) -> None:
        """Let go of what can no longer be sent, and of screens' intervals long past."""
        if self._queue and self._queue[0][0] <= now:
            self._queue = [item for item in self._queue if item[0] > now]
            heapq.heapify(self._queue)
        if len(self._honoured) > len(self._deferred):
            self._honoured = {
                screen: at
                for screen, at in self._honoured.items()
                if now - at < HELLO_INTERVAL_S or screen in self._deferred
            }

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def _refill(self, now: float) -> None:
        if self._refilled_at is not None:
            gained = (now - self._refilled_at) * UNLISTED_PER_S
            self._allowance = min(float(UNLISTED_BURST), self._allowance + gained)
        self._refilled_at = now
