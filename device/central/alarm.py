"""The central sync's alarm: raised once when sync starts failing, cleared once when it works again,
never once per retry; what health and metrics read (device/runtime/observability.py).

Whatever the failure, records stay queued and are retried with backoff (sync/uploader.py): the alarm
is how a person learns that they are waiting, and since when.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from sync.client import CentralError, NotContract

log = logging.getLogger(__name__)

Stage = Literal["gallery pulls", "uploads"]


def failure_label(error: BaseException) -> str:
    """The metric label of a failure: its HTTP status, or what kind of failure it was."""
    if isinstance(error, NotContract):
        return "not_contract"
    if isinstance(error, CentralError):
        return str(error.status) if error.status else "unreachable"
    return "unexpected"


def failure_summary(error: BaseException) -> str:
    """What health may say about a failure: the status and its phrase, never what the server wrote
    (a proxy's page or a server's error may echo the records it was sent)."""
    if isinstance(error, CentralError):
        return error.summary
    return f"unexpected {type(error).__name__}, see the log"


@dataclass
class SyncAlarm:
    """Whether central sync is failing, since when and why, for /healthz and /metrics."""

    since: float | None = None  # wall-clock time of the first failure in a row; None while syncing
    stage: Stage | None = None  # what failed last
    reason: str | None = None  # the last failure's summary
    unreachable: bool = False
    attempts_failed: int = 0  # in the current run of failures
    failures: Counter[str] = field(default_factory=Counter)  # every failure since start, by label

    def failed(self, error: BaseException, stage: Stage, now: float | None = None) -> None:
        now = time.time() if now is None else now
        summary, label = failure_summary(error), failure_label(error)
        self.failures[label] += 1
        self.attempts_failed += 1
        if self.since is None:
            self.since = now
            what = (
                f"is unreachable ({stage} fail)" if label == "unreachable" else f"refuses {stage} ({summary})"
            )
            log.error(
                "ALARM: the central service %s: every record stays queued and is retried with backoff, "
                "none is set aside; this clears by itself once the service accepts them",
                what,
            )
        elif (stage, summary) != (self.stage, self.reason):
            log.warning("central %s still failing, now with %s", stage, summary)
        self.stage, self.reason, self.unreachable = stage, summary, label == "unreachable"

    def cleared(self, now: float | None = None) -> None:
        if self.since is None:
            return
        now = time.time() if now is None else now
        log.warning(
            "ALARM cleared: central sync works again after %d failed attempt(s) over %.0f s; the queued "
            "records are going up",
            self.attempts_failed,
            now - self.since,
        )
        self.since = self.stage = self.reason = None
        self.unreachable = False
        self.attempts_failed = 0
