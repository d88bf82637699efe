"""The durable outbox: records bound for the central service, written in the same SQLite transaction
as the event they carry, so a power cut can lose neither one without the other.

Records leave in batches. A batch gets its key (the HTTP Idempotency-Key) when first taken, and is
handed out again, same key, same records, until the central service acknowledges it: a retry after
an outage or a crash can never become a second, different upload.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from device.domain import AuditRecord
from device.state.part import StorePart

Kind = Literal["checkin", "audit", "aggregate", "deletion_ack"]

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
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_by_kind ON outbox(kind, batch_key, id);
CREATE INDEX IF NOT EXISTS outbox_by_customer ON outbox(customer_ref);
"""


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


class Outbox(StorePart):
    """Shares the store's connection, lock and transactions (see Store.outbox)."""

    SCHEMA = SCHEMA

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
                    "UPDATE outbox SET batch_key = ? WHERE id IN "
                    "(SELECT id FROM outbox WHERE kind = ? AND batch_key IS NULL ORDER BY id LIMIT ?)",
                    [key, kind, limit],
                )
            rows = self._db.execute(
                "SELECT payload, attempts FROM outbox WHERE batch_key = ? ORDER BY id", [key]
            ).fetchall()
        if not rows:
            return None
        return Batch(key, kind, [json.loads(r[0]) for r in rows], max(int(r[1]) for r in rows))

    def failed(self, batch: Batch, error: str) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE batch_key = ?",
                [error, batch.key],
            )

    def rekey(self, batch: Batch) -> None:
        """The server saw this key with another body (a record was forgotten meanwhile): start afresh."""
        with self._transaction():
            self._db.execute("UPDATE outbox SET batch_key = NULL WHERE batch_key = ?", [batch.key])

    def quarantine(self, batch: Batch, error: str) -> None:
        """Set a batch the central service keeps refusing aside: kept (kind 'quarantined:<kind>') for an
        engineer, out of the way of the records behind it."""
        with self._transaction():
            self._db.execute(
                "UPDATE outbox SET kind = 'quarantined:' || kind, batch_key = NULL, last_error = ? "
                "WHERE batch_key = ?",
                [error, batch.key],
            )

    def acknowledged(self, batch: Batch) -> int:
        """The central service has the batch: the records leave the device."""
        with self._transaction():
            return int(self._db.execute("DELETE FROM outbox WHERE batch_key = ?", [batch.key]).rowcount)

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
        with self._lock:
            rows = self._db.execute("SELECT kind, COUNT(*) FROM outbox GROUP BY kind").fetchall()
        return {str(kind): int(count) for kind, count in rows}

    def oldest_age_s(self, now: float) -> float | None:
        with self._lock:
            row = self._db.execute("SELECT MIN(created_at) FROM outbox").fetchone()
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
