"""Draining the device's outbox to the central service, batch by batch, exactly once.

The outbox (the device's, injected) hands out a batch under a key it keeps until the batch is
acknowledged, so every retry carries the same Idempotency-Key and body: the server stores each record
once however often the device crashed or the network dropped in between.

Only the central service can say a record is malformed, and it says so by naming it (a 422 whose
`rejected` lists its record_id): exactly those records are set aside. Any other refusal, however
often repeated (a proxy's 302, a 401 while a secret is rotated, a 5xx, no answer, an answer outside
the contract), says nothing about the records: the batch stays queued and is retried.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from sync.client import CentralClient, CentralError, KeyConflict, RecordsRejected

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
    def quarantine(self, batch: B, rejected: Mapping[str, str]) -> int: ...


@dataclass
class DrainReport:
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    error: CentralError | None = None  # the failure that stopped this drain, if any
    quarantined: int = 0  # records the central service refused for their own content, set aside


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
            except CentralError as refusal:
                exc = refusal.without(record.get("customer_ref") for record in batch.records)
                if isinstance(exc, RecordsRejected) and _set_aside(outbox, kind, batch, exc, report):
                    continue
                # Not about any one record: the batch waits, whole and under its key, for the next try.
                outbox.failed(batch, str(exc))
                report.error = exc
                return report
            outbox.acknowledged(batch)
            report.sent += len(batch.records)
    return report


def _set_aside(
    outbox: Outbox[B], kind: OutboxKind, batch: B, refusal: RecordsRejected, report: DrainReport
) -> bool:
    """The named records of the batch leave the queue, the rest are sent again under a new key. False
    when the answer names no record of this batch: then it is a refusal like any other."""
    in_batch = {record.get("record_id") for record in batch.records}  # as the outbox will match them
    named = {record_id: reason for record_id, reason in refusal.rejected.items() if record_id in in_batch}
    if not named:
        log.warning("outbox %s batch %s: a 422 naming none of its records; retrying", kind, batch.key)
        return False
    set_aside = outbox.quarantine(batch, named)
    report.quarantined += set_aside
    log.error(
        "ALARM: the central service refused %d outbox %s record(s) as malformed: set aside on the device, "
        "not deleted, for an engineer (`branchdoor outbox show`); the other %d go on. %s",
        set_aside,
        kind,
        len(batch.records) - set_aside,
        "; ".join(f"{record_id}: {reason}" for record_id, reason in list(named.items())[:5]),
    )
    return True
