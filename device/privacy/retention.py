"""The retention policy, applied by a periodic housekeeping pass of the daemon (`[privacy]`).

Check-ins leave the device once uploaded (their outbox record acknowledged) and older than
`checkin_retention_days` (never sooner than the dedup window, which needs them); anonymous counts
after `aggregate_retention_days`. Audit records and check-ins waiting in the outbox leave it when the
central service acknowledges them; a kiosk without [central] uploads nothing and deletes them after
`unsent_retention_days` instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from common.backoff import Backoff
from device.privacy.config import PrivacyConfig
from device.state.store import Store

log = logging.getLogger(__name__)
DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class PurgeReport:
    checkins: int
    counts: int
    unsent: int


def purge(
    store: Store, policy: PrivacyConfig, dedup_window_s: float, uploads: bool, now: float
) -> PurgeReport:
    keep_checkins_s = max(policy.checkin_retention_days * DAY_S, dedup_window_s)
    unsent = 0
    if not uploads:
        unsent = store.outbox.expire(
            ("checkin", "audit", "aggregate"), now - policy.unsent_retention_days * DAY_S
        )
    checkins, counts = store.visit_counts.retire_checkins(
        now - keep_checkins_s, now - policy.aggregate_retention_days * DAY_S
    )
    return PurgeReport(checkins, counts, unsent)


class Housekeeper:
    def __init__(
        self,
        store: Store,
        policy: PrivacyConfig,
        dedup_window_s: float,
        uploads: bool,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._policy = policy
        self._dedup_window_s = dedup_window_s
        self._uploads = uploads
        self._clock = clock
        self._next = 0.0
        # A pass that failed (a full disk refuses even deletes) is tried again soon, not an interval later.
        self._retry = Backoff(5.0, min(600.0, policy.housekeeping_interval_s))
        self.last: PurgeReport | None = None

    def tick(self) -> None:
        """Purges when a pass is due; raises what the store raised, and tries again after a backoff."""
        now = self._clock()
        if now < self._next:
            return
        try:
            self.last = purge(self._store, self._policy, self._dedup_window_s, self._uploads, now)
        except Exception:
            self._next = now + self._retry.next_delay()
            raise
        self._retry.reset()
        self._next = now + self._policy.housekeeping_interval_s
        if self.last.checkins or self.last.counts or self.last.unsent:
            log.info(
                "retention: deleted %d uploaded check-in(s), %d count bin(s), %d never-uploaded record(s)",
                self.last.checkins,
                self.last.counts,
                self.last.unsent,
            )
