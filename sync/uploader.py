"""Draining the device's outbox to the central service, batch by batch, exactly once.

The outbox (the device's, injected) hands out a batch under a key it keeps until the batch is
acknowledged, so every retry carries the same Idempotency-Key and body: the server stores each record
once however often the device crashed or the network dropped in between.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from sync.client import CentralClient, CentralError, KeyConflict

log = logging.getLogger(__name__)

OutboxKind = Literal["checkin", "audit", "aggregate", "deletion_ack"]
UPLOAD_ORDER: tuple[OutboxKind, ...] = ("deletion_ack", "checkin", "audit", "aggregate")


class Batch(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def records(self) -> Sequence[dict[str, Any]]: ...
    @property
    def attempts(self) -> int: ...


B = TypeVar("B", bound=Batch)


class Outbox(Protocol[B]):
    def next_batch(self, kind: OutboxKind, limit: int) -> B | None: ...
    def acknowledged(self, batch: B) -> int: ...
    def failed(self, batch: B, error: str) -> None: ...
    def rekey(self, batch: B) -> None: ...
    def quarantine(self, batch: B, error: str) -> None: ...


# A batch the central service keeps refusing as invalid (not for being down) would block every later
# record of its kind: after this many refusals it is set aside, kept on the device, and an alarm raised.
MAX_REFUSALS = 3


@dataclass
class DrainReport:
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    error: CentralError | None = None  # the failure that stopped this drain, if any
    quarantined: int = 0


def drain(
    client: CentralClient, outbox: Outbox[B], batch_size: int = 500, max_batches: int = 1000
) -> DrainReport:
    """Send batches until the outbox is empty or the central service fails. Deletion
    acknowledgements go first: a withdrawal must be confirmed before anything else."""
    report = DrainReport()
    for kind in UPLOAD_ORDER:
        for _ in range(max_batches):
            batch = outbox.next_batch(kind, batch_size)
            if batch is None:
                break
            try:
                if kind == "deletion_ack":
                    client.acknowledge_deletions(sorted({str(r["customer_ref"]) for r in batch.records}))
                else:
                    result = client.upload(kind, batch.key, batch.records)
                    report.accepted += result.accepted
                    report.duplicates += result.duplicates
            except KeyConflict:
                # A record left the batch (its customer was forgotten) after a first attempt: the old
                # key now names a different body. The remaining records go under a new key.
                log.warning("outbox %s batch %s changed since first sent: new key", kind, batch.key)
                outbox.rekey(batch)
                continue
            except CentralError as exc:
                if not exc.retryable and batch.attempts + 1 >= MAX_REFUSALS:
                    log.error(
                        "ALARM: the central service refused outbox %s batch %s %d times (%s): %d records set "
                        "aside on the device, not deleted, for an engineer to inspect",
                        kind,
                        batch.key,
                        batch.attempts + 1,
                        exc,
                        len(batch.records),
                    )
                    outbox.quarantine(batch, str(exc))
                    report.quarantined += len(batch.records)
                    continue
                outbox.failed(batch, str(exc))
                report.error = exc
                return report
            outbox.acknowledged(batch)
            report.sent += len(batch.records)
    return report
