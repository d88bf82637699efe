"""Check-ins: one row per visit of an identified customer, written with its outbox record.

Shares the store's connection, lock and transactions (see `Store.checkins`). Retention turns old
check-ins into anonymous counts (`visit_counts.py`); a forget deletes a customer's (`Store.forget`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import ClassVar

from device.domain import AuditRecord, CheckIn
from device.state.outbox import Outbox
from device.state.part import SharedConnection, StorePart

SCHEMA = """
CREATE TABLE IF NOT EXISTS checkins (
    visit_id TEXT PRIMARY KEY,
    customer_ref TEXT NOT NULL,
    branch_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    at REAL NOT NULL,
    score_band TEXT NOT NULL,
    channel TEXT               -- "face" or "token"; NULL: recorded before the channel was
);
CREATE INDEX IF NOT EXISTS checkins_by_customer ON checkins(customer_ref, at);
"""


class Checkins(StorePart):
    SCHEMA = SCHEMA
    ADDED_COLUMNS: ClassVar[Mapping[str, Mapping[str, type]]] = {"checkins": {"channel": str}}

    def __init__(self, shared: SharedConnection, outbox: Outbox) -> None:
        super().__init__(shared)
        self._outbox = outbox

    def last_at(self, customer_ref: str) -> float | None:
        with self._lock:
            row = self._db.execute(
                "SELECT MAX(at) FROM checkins WHERE customer_ref = ?", [customer_ref]
            ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def latest(self, customer_ref: str) -> tuple[str, float] | None:
        """(visit_id, at) of this customer's latest check-in here."""
        with self._lock:
            row = self._db.execute(
                "SELECT visit_id, at FROM checkins WHERE customer_ref = ? ORDER BY at DESC LIMIT 1",
                [customer_ref],
            ).fetchone()
        return None if row is None else (str(row[0]), float(row[1]))

    def history(self, customer_ref: str, before: float) -> tuple[int, float | None]:
        """Check-ins of this customer up to `before` (included), and the latest one before it."""
        with self._lock:
            count, previous = self._db.execute(
                "SELECT COUNT(*), MAX(CASE WHEN at < ? THEN at END) FROM checkins "
                "WHERE customer_ref = ? AND at <= ?",
                [before, customer_ref, before],
            ).fetchone()
        return int(count), None if previous is None else float(previous)

    def record(
        self, checkin: CheckIn, audits: Sequence[AuditRecord] = (), dedup_window_s: float | None = None
    ) -> bool:
        """The check-in and its outbox record, in one transaction: both survive a power cut, or neither.
        With `dedup_window_s`, only if the customer is still held and has no check-in that recent,
        decided inside the transaction: a forget or a second path (face, scanner) cannot slip between."""
        with self._transaction():
            if (
                dedup_window_s is not None
                and not self._db.execute(
                    "SELECT 1 FROM customers c WHERE customer_ref = ? AND NOT EXISTS "
                    "(SELECT 1 FROM checkins k WHERE k.customer_ref = c.customer_ref AND ? - k.at < ?)",
                    [checkin.customer_ref, checkin.at, dedup_window_s],
                ).fetchone()
            ):
                return False
            self._enqueue(checkin)
            for audit in audits:
                self._outbox.enqueue_audit(audit, checkin.at)
            who = (checkin.visit_id, checkin.customer_ref, checkin.branch_id, checkin.device_id)
            self._db.execute(
                "INSERT INTO checkins "
                "(visit_id, customer_ref, branch_id, device_id, at, score_band, channel) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [*who, checkin.at, checkin.score_band, checkin.channel],
            )
        return True

    def queue_for_upload(self, checkins: Sequence[CheckIn]) -> None:
        """Outbox records only, many in one transaction: for loading a benchmark, not for the daemon."""
        with self._transaction():
            for checkin in checkins:
                self._enqueue(checkin)

    def _enqueue(self, checkin: CheckIn) -> None:
        self._outbox.enqueue(
            "checkin",
            checkin.visit_id,
            # The central contract's CheckinRecord (sync/models.py): no biometric content.
            {
                "customer_ref": checkin.customer_ref,
                "branch_id": checkin.branch_id,
                "at": datetime.fromtimestamp(checkin.at, UTC).isoformat(),
                "score_band": checkin.score_band,
            },
            now=checkin.at,
            customer_ref=checkin.customer_ref,
        )

    def all(self) -> list[tuple[str, str, float]]:
        """(visit_id, customer_ref, at) of every check-in held, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT visit_id, customer_ref, at FROM checkins ORDER BY at").fetchall()
        return [(row[0], row[1], float(row[2])) for row in rows]
