"""The durable outbox: records bound for the central service, written in the same SQLite transaction
as the event they carry, so a power cut can lose neither one without the other.

Records leave in batches. A batch gets its key (the HTTP Idempotency-Key) when first taken, and is
handed out again, same key, same records, until the central service acknowledges it: a retry after
an outage or a crash can never become a second, different upload.

A record the central service refuses for its own content is set aside (quarantined_at, with the
service's reason) and waits for an engineer (`branchdoor outbox show`, `requeue`); nothing else ever
sets a record aside, so every other refusal only delays it.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from common.redaction import redact
from device.domain import AuditRecord
from device.state.part import SharedConnection, StorePart

log = logging.getLogger(__name__)

Kind = Literal["checkin", "audit", "aggregate", "deletion_ack"]
KINDS: tuple[Kind, ...] = ("deletion_ack", "checkin", "audit", "aggregate")
# How versions before issue #14 marked a batch set aside after three refusals of any kind.
LEGACY_QUARANTINE = "quarantined:"

# Audit records that outlive the customer they name: the proof that they were forgotten.
KEPT_AFTER_FORGET = frozenset({"customer_forgotten", "consent_withdrawn"})

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    record_id TEXT NOT NULL UNIQUE,
    customer_ref TEXT,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    batch_key TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    quarantined_at REAL,
    quarantine_reason TEXT
);
CREATE INDEX IF NOT EXISTS outbox_by_kind ON outbox(kind, batch_key, id);
CREATE INDEX IF NOT EXISTS outbox_by_customer ON outbox(customer_ref);
"""
# After the columns it indexes exist in an older kiosk's table: health counts these every few seconds.
QUARANTINE_INDEX = (
    "CREATE INDEX IF NOT EXISTS outbox_quarantined ON outbox(kind) WHERE quarantined_at IS NOT NULL"
)


@dataclass(frozen=True, slots=True)
class BudgetReport:
    queued_bytes: int
    budget_bytes: int
    aggregates_dropped: int
    over_budget: bool  # still over after compaction: raise the alarm, drop nothing else


@dataclass(frozen=True, slots=True)
class Batch:
    key: str  # the Idempotency-Key: the same on every retry of this batch
    kind: Kind
    records: list[dict[str, Any]]
    attempts: int


@dataclass(frozen=True, slots=True)
class KindReport:
    """What a field engineer sees of one kind of record (`branchdoor outbox show`): counts, ages and
    errors, never a customer ref or a payload."""

    kind: str
    queued: int  # waiting for the central service, the batch in flight included
    in_flight: int
    attempts: int  # of the batch in flight
    oldest_age_s: float | None  # of the records queued
    last_error: str | None
    set_aside: dict[str, int]  # the central service's reason -> how many records it refused for it


def without_refs(text: str, refs: Iterable[object]) -> str:
    """An error the central service (or a proxy) wrote may echo the records it was sent: the customer
    refs go before it is stored, so that a forgotten customer leaves no trace in another record's row,
    and `branchdoor outbox show` never prints one."""
    return redact(text, refs, "<customer_ref>")


class Outbox(StorePart):
    """Shares the store's connection, lock and transactions (see Store.outbox)."""

    SCHEMA = SCHEMA
    ADDED_COLUMNS: ClassVar[Mapping[str, Mapping[str, type]]] = {
        "outbox": {"quarantined_at": float, "quarantine_reason": str}
    }

    def __init__(self, shared: SharedConnection) -> None:
        super().__init__(shared)
        shared.db.execute(QUARANTINE_INDEX)
        self._release_legacy_quarantine()

    def _release_legacy_quarantine(self) -> None:
        """Older versions set whole batches aside after three refusals of any kind (a proxy's 302, a
        401 while a secret rotated), for ever. They go back in the queue, in their place; a record the
        central service refuses for its own content will be named and set aside alone."""
        # Every kind starting with the prefix, as an index range (';' follows ':'): a cheap look at
        # every start, and a write only on the one start that has something to release.
        legacy = [LEGACY_QUARANTINE, LEGACY_QUARANTINE[:-1] + ";"]
        with self._lock:
            found = self._db.execute("SELECT 1 FROM outbox WHERE kind >= ? AND kind < ? LIMIT 1", legacy)
            if found.fetchone() is None:
                return
        with self._transaction():
            rows = self._db.execute(
                "SELECT last_error FROM outbox WHERE kind >= ? AND kind < ?", legacy
            ).fetchall()
            self._db.execute(
                "UPDATE outbox SET kind = substr(kind, ?), batch_key = NULL, attempts = 0, last_error = NULL "
                "WHERE kind >= ? AND kind < ?",
                [len(LEGACY_QUARANTINE) + 1, *legacy],
            )
        statuses = Counter(str(row[0] or "?").split(":", 1)[0] for row in rows)
        log.warning(
            "outbox: %d record(s) an older version had set aside are queued again (they had been refused "
            "with %s); the central service names any malformed one, which alone is set aside",
            len(rows),
            ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items())),
        )

    def enqueue(
        self, kind: Kind, record_id: str, payload: dict[str, Any], now: float, customer_ref: str | None = None
    ) -> None:
        """Call inside the transaction that stores the event itself."""
        self._db.execute(
            "INSERT INTO outbox (kind, record_id, customer_ref, payload, created_at) VALUES (?, ?, ?, ?, ?)",
            [kind, record_id, customer_ref, json.dumps({"record_id": record_id, **payload}), now],
        )

    def enqueue_audit(self, audit: AuditRecord, now: float) -> None:
        """Inside the transaction of the change it records. Filed under the customer's ref, so that
        forgetting them drops it too, unless it is the record of that forgetting."""
        ref = None if audit.event in KEPT_AFTER_FORGET else audit.customer_ref
        self.enqueue("audit", audit.record_id, audit.payload(), now, customer_ref=ref)

    def next_batch(self, kind: Kind, limit: int) -> Batch | None:
        """The batch in flight for `kind` if there is one, else a new one of the oldest records."""
        with self._transaction():
            row = self._db.execute(
                "SELECT batch_key FROM outbox WHERE kind = ? AND batch_key IS NOT NULL ORDER BY id LIMIT 1",
                [kind],
            ).fetchone()
            key = row[0] if row else str(uuid.uuid4())
            if row is None:
                self._db.execute(
                    "UPDATE outbox SET batch_key = ? WHERE id IN (SELECT id FROM outbox WHERE kind = ? "
                    "AND batch_key IS NULL AND quarantined_at IS NULL ORDER BY id LIMIT ?)",
                    [key, kind, limit],
                )
            rows = self._db.execute(
                "SELECT payload, attempts FROM outbox WHERE batch_key = ? ORDER BY id", [key]
            ).fetchall()
        if not rows:
            return None
        return Batch(key, kind, [json.loads(r[0]) for r in rows], max(int(r[1]) for r in rows))

    def failed(self, batch: Batch, error: str) -> None:
        """Refused or unanswered: the batch stays, same key, for the next attempt."""
        refs = (record.get("customer_ref") for record in batch.records)
        with self._transaction():
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE batch_key = ?",
                [without_refs(error, refs)[:500], batch.key],
            )

    def rekey(self, batch: Batch) -> None:
        """The server saw this key with another body (a record was forgotten meanwhile): start afresh."""
        with self._transaction():
            self._db.execute("UPDATE outbox SET batch_key = NULL WHERE batch_key = ?", [batch.key])

    def quarantine(self, batch: Batch, rejected: Mapping[str, str]) -> int:
        """The central service refused these records of the batch (record_id -> its reason) for their
        own content: they are set aside for an engineer; the rest of the batch goes back in the queue,
        to leave under a new key (its body changed). Returns how many were set aside."""
        named = [record for record in batch.records if record.get("record_id") in rejected]
        now, set_aside = time.time(), 0
        with self._transaction():
            for record in named:  # one forgotten since the batch was taken is simply no longer there
                reason = without_refs(rejected[record["record_id"]], [record.get("customer_ref")])
                set_aside += self._db.execute(
                    "UPDATE outbox SET quarantined_at = ?, quarantine_reason = ?, batch_key = NULL "
                    "WHERE batch_key = ? AND record_id = ?",
                    [now, reason[:500], batch.key, record["record_id"]],
                ).rowcount
            self._db.execute("UPDATE outbox SET batch_key = NULL WHERE batch_key = ?", [batch.key])
        return set_aside

    def requeue(self, kind: Kind | None = None) -> int:
        """An engineer's decision: records set aside (of `kind`, or all) go back in the queue."""
        with self._transaction():
            return int(
                self._db.execute(
                    "UPDATE outbox SET quarantined_at = NULL, quarantine_reason = NULL, attempts = 0, "
                    "last_error = NULL WHERE quarantined_at IS NOT NULL AND (? IS NULL OR kind = ?)",
                    [kind, kind],
                ).rowcount
            )

    def report(self, now: float) -> list[KindReport]:
        """Per kind, the four the device sends first, then any other found in the table."""
        with self._lock:
            counts = self._db.execute(
                "SELECT kind, SUM(quarantined_at IS NULL), SUM(batch_key IS NOT NULL), "
                "MAX(CASE WHEN batch_key IS NOT NULL THEN attempts END), "
                "MIN(CASE WHEN quarantined_at IS NULL THEN created_at END) FROM outbox GROUP BY kind"
            ).fetchall()
            # In this order the last row of a kind is its batch in flight, whose error is the latest.
            errors = self._db.execute(
                "SELECT kind, last_error FROM outbox WHERE quarantined_at IS NULL AND last_error IS NOT NULL "
                "ORDER BY batch_key IS NULL DESC, id DESC"
            ).fetchall()
            reasons = self._db.execute(
                "SELECT kind, quarantine_reason, COUNT(*) FROM outbox WHERE quarantined_at IS NOT NULL "
                "GROUP BY kind, quarantine_reason ORDER BY COUNT(*) DESC"
            ).fetchall()
        last_error = {str(kind): str(error) for kind, error in errors}
        set_aside: dict[str, dict[str, int]] = {}
        for kind, reason, count in reasons:
            set_aside.setdefault(str(kind), {})[str(reason)] = int(count)
        found = {str(row[0]): row[1:] for row in counts}
        reports = []
        for kind in [*KINDS, *sorted(set(found) - set(KINDS))]:
            queued, in_flight, attempts, oldest = found.get(kind, (0, 0, 0, None))
            age = None if oldest is None else max(0.0, now - float(oldest))
            reports.append(
                KindReport(
                    kind,
                    int(queued or 0),
                    int(in_flight or 0),
                    int(attempts or 0),
                    age,
                    last_error.get(kind),
                    set_aside.get(kind, {}),
                )
            )
        return reports

    def quarantined(self) -> dict[str, int]:
        """Records set aside, per kind: they keep health degraded until an engineer acts."""
        with self._lock:
            rows = self._db.execute(
                "SELECT kind, COUNT(*) FROM outbox WHERE quarantined_at IS NOT NULL GROUP BY kind"
            ).fetchall()
        return {str(kind): int(count) for kind, count in rows}

    def acknowledged(self, batch: Batch) -> int:
        """The central service has the batch: the records leave the device."""
        with self._transaction():
            return int(self._db.execute("DELETE FROM outbox WHERE batch_key = ?", [batch.key]).rowcount)

    def withdraw(self, kind: Kind, record_id: str) -> bool:
        """Inside the caller's transaction: a record not yet in a batch is deleted unsent. False when
        there is none (acknowledged already) or its batch is on its way (it may arrive)."""
        sql = "DELETE FROM outbox WHERE kind = ? AND record_id = ? AND batch_key IS NULL"
        return int(self._db.execute(sql, [kind, record_id]).rowcount) > 0

    def forget_customer(self, customer_ref: str) -> int:
        """Call inside the transaction that forgets the customer."""
        return int(self._db.execute("DELETE FROM outbox WHERE customer_ref = ?", [customer_ref]).rowcount)

    def expire(self, kinds: tuple[Kind, ...], before: float) -> int:
        """Retention without a central service (device/privacy/retention.py): records of `kinds` queued before
        `before` are deleted unsent. Never called while uploads are configured."""
        marks = ",".join("?" * len(kinds))
        sql = f"DELETE FROM outbox WHERE kind IN ({marks}) AND created_at < ?"  # noqa: S608 - placeholders
        with self._transaction():
            return int(self._db.execute(sql, [*kinds, before]).rowcount)

    def depth(self) -> dict[str, int]:
        """Records waiting for the central service, per kind (those set aside wait for an engineer)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT kind, COUNT(*) FROM outbox WHERE quarantined_at IS NULL GROUP BY kind"
            ).fetchall()
        return {str(kind): int(count) for kind, count in rows}

    def oldest_age_s(self, now: float) -> float | None:
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(created_at) FROM outbox WHERE quarantined_at IS NULL"
            ).fetchone()
        return None if row is None or row[0] is None else max(0.0, now - float(row[0]))

    def records(self) -> Iterator[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT payload FROM outbox ORDER BY id").fetchall()
        for row in rows:
            yield json.loads(row[0])

    def queued_bytes(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT COALESCE(SUM(LENGTH(payload)), 0) FROM outbox").fetchone()
        return int(row[0])

    def enforce_budget(self, budget_bytes: int) -> BudgetReport:
        """The disk budget policy. Over budget, the oldest aggregates go first: they are anonymous
        counts, and the newest carry the same story. Check-ins, audit records and deletion
        acknowledgements are never dropped: the device raises an alarm instead and keeps them."""
        dropped = 0
        with self._transaction():
            queued = int(
                self._db.execute("SELECT COALESCE(SUM(LENGTH(payload)), 0) FROM outbox").fetchone()[0]
            )
            rows = self._db.execute(
                "SELECT id, LENGTH(payload) FROM outbox "
                "WHERE kind = 'aggregate' AND batch_key IS NULL ORDER BY id"
            ).fetchall()
            doomed: list[int] = []
            for row_id, size in rows:
                if queued <= budget_bytes:
                    break
                doomed.append(int(row_id))
                queued -= int(size)
            for start in range(0, len(doomed), 500):
                chunk = doomed[start : start + 500]
                self._db.execute(
                    f"DELETE FROM outbox WHERE id IN ({','.join('?' * len(chunk))})",  # noqa: S608 - placeholders
                    chunk,
                )
            dropped = len(doomed)
        return BudgetReport(queued, budget_bytes, dropped, queued > budget_bytes)
