"""Audit records: who did what to whose data, when, and by which rule. Never biometric content.

Every part that identifies, cues, enrolls, deletes or changes consent builds an `AuditRecord` and hands
it to `Store.record_audit` (or to the store method making the change, so both land in one transaction).
The wire form is `sync.models.AuditRecord`; `tests/device/test_audit.py` keeps the two in step.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from device.events import ScoreBand


@dataclass(frozen=True, slots=True)
class AuditRecord:
    event: str  # one of sync.models.AuditEvent
    customer_ref: str | None = None
    actor: str = "device"
    score_band: ScoreBand | None = None
    screen: str | None = None
    rule: str | None = None
    detail: str | None = None
    record_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def payload(self) -> dict[str, object]:
        """The JSON-ready wire form, with the record's own id for idempotent upload."""
        return {
            "record_id": self.record_id,
            "at": self.at.isoformat(),
            "event": self.event,
            "customer_ref": self.customer_ref,
            "actor": self.actor,
            "score_band": self.score_band,
            "screen": self.screen,
            "rule": self.rule,
            "detail": None if self.detail is None else self.detail[:500],
        }
