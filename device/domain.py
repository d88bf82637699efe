"""The records every package passes around: who a customer is and what they agreed to, an
identification, a check-in, and the audit record of anything done to a customer's data.

Audit records say who did what to whose data, when, and by which rule; never biometric content. Every
part that identifies, cues, enrolls, deletes or changes consent builds an `AuditRecord` and hands it to
`Store.record_audit` (or to the store method making the change, so both land in one transaction). The
wire form is `sync.models.AuditRecord`; `tests/device/test_domain.py` keeps the two in step.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

ScoreBand = Literal["high", "medium"]
# How a customer checked in: recognised by the door camera, or their check-in token (QR code or card)
# under the scanner. A token matches exactly: its score band is no recognition confidence.
CheckinChannel = Literal["face", "token"]
# Staff are enrolled (with their consent) so the door can tell them from customers: a named member of
# staff is never cued, checked in or counted as a visit, only as an anonymous staff pass.
Role = Literal["customer", "staff"]


@dataclass(frozen=True, slots=True)
class Consent:
    notice_version: str
    purpose: str = "branch-check-in"
    scope: str = "branch-devices"
    channel: str = "kiosk-enrollment"
    granted_at: float = 0.0


@dataclass(frozen=True, slots=True)
class Profile:
    """What a teller may see about a customer: a pseudonymous reference and service preferences."""

    customer_ref: str
    greeting_name: str
    language: str | None = None
    interests: tuple[str, ...] = ()
    service_hints: tuple[str, ...] = ()
    # From the consented central profile (e.g. "1980-1989"), for anonymous statistics; never shown on cues.
    birth_year_band: str | None = None


@dataclass(frozen=True, slots=True)
class Identification:
    customer_ref: str
    distance: float
    second_distance: float | None
    track_id: int
    # "unsure": the camera saw neither a person approaching nor a held picture: the teller verifies first.
    liveness: Literal["live", "unsure"] = "live"

    @property
    def score_band(self) -> ScoreBand:
        return "high" if self.distance < 0.4 else "medium"


@dataclass(frozen=True, slots=True)
class CheckIn:
    visit_id: str
    customer_ref: str
    branch_id: str
    device_id: str
    at: float
    score_band: ScoreBand
    profile: Profile = field(compare=False)
    channel: CheckinChannel = "face"
    verify_before_greeting: bool = False  # the camera could not tell a person from a held picture


@dataclass(frozen=True, slots=True)
class UnidentifiedVisit:
    """Someone was in view and not recognised. Nothing about their face is kept."""

    at: float


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
