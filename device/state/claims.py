"""Visit claims of the other kiosks of the branch: who checked a customer in, at which door, and when.

A claim received over the branch broker (device/checkin/claims.py) is kept for the dedup window, so that
this kiosk treats it like a check-in of its own; only for a customer this kiosk holds, and gone with them
when they are forgotten (`Store.forget`). Merging a check-in that lost to another kiosk's claim is one
transaction: the check-in row, its outbox record if not yet on its way, and the audit saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

from device.domain import AuditRecord
from device.state.outbox import Outbox
from device.state.part import SharedConnection, StorePart

SCHEMA = """
CREATE TABLE IF NOT EXISTS visit_claims (
    visit_id TEXT PRIMARY KEY,
    customer_ref TEXT NOT NULL,
    device_id TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS visit_claims_by_customer ON visit_claims(customer_ref, at);
"""


@dataclass(frozen=True, slots=True)
class HeldClaim:
    visit_id: str
    device_id: str
    at: float


class VisitClaims(StorePart):
    SCHEMA = SCHEMA

    def __init__(self, shared: SharedConnection, outbox: Outbox) -> None:
        super().__init__(shared)
        self._outbox = outbox

    def note(self, visit_id: str, customer_ref: str, device_id: str, at: float, forget_before: float) -> bool:
        """Keep another kiosk's claim if the customer is held here; claims older than `forget_before` go."""
        with self._transaction():
            self._db.execute("DELETE FROM visit_claims WHERE at < ?", [forget_before])
            if not self._db.execute(
                "SELECT 1 FROM customers WHERE customer_ref = ?", [customer_ref]
            ).fetchone():
                return False
            self._db.execute(
                "INSERT OR IGNORE INTO visit_claims (visit_id, customer_ref, device_id, at) "
                "VALUES (?, ?, ?, ?)",
                [visit_id, customer_ref, device_id, at],
            )
        return True

    def holder(self, customer_ref: str, since: float) -> HeldClaim | None:
        """Another kiosk's claim on this customer's visit after `since`; of two (kiosks that named them
        in one second), the one the tie-break keeps (device/checkin/claims.py): earlier whole second,
        then lower device id."""
        with self._lock:
            row = self._db.execute(
                "SELECT visit_id, device_id, at FROM visit_claims WHERE customer_ref = ? AND at > ? "
                "ORDER BY CAST(at AS INTEGER), device_id, visit_id LIMIT 1",
                [customer_ref, since],
            ).fetchone()
        return None if row is None else HeldClaim(str(row[0]), str(row[1]), float(row[2]))

    def merge_duplicate(self, visit_id: str, audit: AuditRecord, now: float) -> bool:
        """The check-in `visit_id` of this kiosk is another kiosk's visit: its row goes (one check-in per
        visit, in the counts too), its upload too if it has not started, and `audit` records the merge.
        True when the check-in had already left (or is leaving) for the central service."""
        with self._transaction():
            self._db.execute("DELETE FROM checkins WHERE visit_id = ?", [visit_id])
            left = not self._outbox.withdraw("checkin", visit_id)
            self._outbox.enqueue_audit(audit, now)
        return left

    def forget_customer(self, customer_ref: str) -> None:
        """Inside the transaction that forgets the customer."""
        self._db.execute("DELETE FROM visit_claims WHERE customer_ref = ?", [customer_ref])
