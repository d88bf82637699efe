"""What the kiosk holds about each enrolled customer, for those answerable for it (a field engineer, the
privacy officer: `branchdoor customers list|show`).

Reads only. A template is counted here, never read: no statement of this part selects the `vector`
column, so nothing it returns can carry a face template, sealed or open; a token is counted too (the
kiosk holds only its hash). Shares the store's connection and lock, like every other part.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from device.domain import Consent
from device.state.part import StorePart

_SELECT = """
SELECT c.customer_ref, c.greeting_name, c.language, c.interests, c.service_hints, c.birth_year_band,
       c.enrolled_at, c.updated_at,
       k.notice_version, k.purpose, k.scope, k.channel, k.granted_at,
       (SELECT COUNT(*) FROM encodings e WHERE e.customer_ref = c.customer_ref),
       (SELECT COUNT(*) FROM checkin_tokens t WHERE t.customer_ref = c.customer_ref),
       (SELECT COUNT(*) FROM checkins v WHERE v.customer_ref = c.customer_ref),
       (SELECT MAX(at) FROM checkins v WHERE v.customer_ref = c.customer_ref),
       (SELECT COUNT(*) FROM outbox o WHERE o.customer_ref = c.customer_ref)
FROM customers c LEFT JOIN consents k ON k.customer_ref = c.customer_ref
"""


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """One customer as the kiosk holds them, biometrics left out (only how many templates)."""

    customer_ref: str
    greeting_name: str
    language: str | None
    interests: tuple[str, ...]
    service_hints: tuple[str, ...]
    birth_year_band: str | None
    enrolled_at: float
    updated_at: float
    consent: Consent | None  # None: not on record, so never recognised (the gallery joins on it)
    templates: int
    tokens: int
    checkins: int  # held: retention folds older ones into anonymous counts
    last_checkin_at: float | None
    uploads_waiting: int  # outbox records that still name the customer

    @property
    def recognised_by_face(self) -> bool:
        return self.consent is not None and self.templates > 0


def _record(row: Any) -> CustomerRecord:
    consent = None if row[8] is None else Consent(row[8], row[9], row[10], row[11], float(row[12]))
    return CustomerRecord(
        customer_ref=row[0],
        greeting_name=row[1],
        language=row[2],
        interests=tuple(json.loads(row[3])),
        service_hints=tuple(json.loads(row[4])),
        birth_year_band=row[5],
        enrolled_at=float(row[6]),
        updated_at=float(row[7]),
        consent=consent,
        templates=int(row[13]),
        tokens=int(row[14]),
        checkins=int(row[15]),
        last_checkin_at=None if row[16] is None else float(row[16]),
        uploads_waiting=int(row[17]),
    )


class Roster(StorePart):
    def all(self) -> list[CustomerRecord]:
        """Every customer held, by reference."""
        with self._lock:
            rows = self._db.execute(_SELECT + "ORDER BY c.customer_ref").fetchall()
        return [_record(row) for row in rows]

    def one(self, customer_ref: str) -> CustomerRecord | None:
        with self._lock:
            row = self._db.execute(_SELECT + "WHERE c.customer_ref = ?", [customer_ref]).fetchone()
        return None if row is None else _record(row)
