"""The teller cue: the minimum a teller needs to greet a customer, and nothing that identifies them."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from device.cues.config import ALL_CUE_FIELDS, CueField, CueRoute
from device.domain import CheckIn
from device.mqtt.contract.models import CUE_SCHEMA, CuePayload

__all__ = ["CUE_SCHEMA", "Cue", "VisitHistory", "iso_utc", "route_for"]


def iso_utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class VisitHistory:
    count: int  # this visit included
    last_at: float | None  # the previous visit


@dataclass(frozen=True, slots=True)
class Cue:
    cue_id: str
    checkin: CheckIn
    issued_at: float
    expires_at: float
    zone: str | None = None
    history: VisitHistory | None = None
    fields: frozenset[CueField] = frozenset(ALL_CUE_FIELDS)

    @classmethod
    def for_checkin(
        cls,
        checkin: CheckIn,
        issued_at: float,
        expiry_s: float,
        *,
        zone: str | None = None,
        history: VisitHistory | None = None,
        fields: Collection[CueField] = ALL_CUE_FIELDS,
    ) -> Cue:
        return cls(
            str(uuid.uuid4()), checkin, issued_at, issued_at + expiry_s, zone, history, frozenset(fields)
        )

    def remaining_s(self, now: float) -> int:
        return max(0, int(self.expires_at - now))

    def model(self) -> CuePayload:
        """The payload with only the fields the branch allows; the model refuses anything else."""
        profile = self.checkin.profile
        history = self.history
        optional: dict[CueField, Any] = {
            "customer_ref": profile.customer_ref,
            "greeting_name": profile.greeting_name,
            "language": profile.language,
            "interests": list(profile.interests),
            "service_hints": list(profile.service_hints),
            "visit_count": history.count if history else None,
            "last_visit": iso_utc(history.last_at) if history and history.last_at else None,
            # A token matched exactly: a recognition confidence on it would mislead the teller.
            "confidence": self.checkin.score_band if self.checkin.channel == "face" else None,
        }
        return CuePayload(
            cue_id=self.cue_id,
            visit_id=self.checkin.visit_id,
            branch_id=self.checkin.branch_id,
            device_id=self.checkin.device_id,
            zone=self.zone,
            checkin_channel=self.checkin.channel,
            # A safeguard for the teller, not customer data: on any cue that needs it, whatever `fields` says.
            verify_before_greeting=True if self.checkin.verify_before_greeting else None,
            issued_at=iso_utc(self.issued_at),
            expires_at=iso_utc(self.expires_at),
            **{name: value for name, value in optional.items() if name in self.fields},
        )

    def payload(self) -> dict[str, Any]:
        return self.model().model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_json(self) -> bytes:
        return self.model().to_json()


def route_for(checkin: CheckIn, routes: Collection[CueRoute]) -> str | None:
    """The zone of the first route the customer's preferences match; None: every screen."""
    profile = checkin.profile
    for route in routes:
        if (
            set(route.interests) & set(profile.interests)
            or set(route.service_hints) & set(profile.service_hints)
            or (profile.language is not None and profile.language in route.languages)
        ):
            return route.zone
    return None
