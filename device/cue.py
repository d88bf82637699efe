"""The teller cue: the minimum a teller needs to greet a customer, and nothing that identifies them."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from device.events import CheckIn

CUE_SCHEMA = "branchdoor/cue/1"


def iso_utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Cue:
    cue_id: str
    checkin: CheckIn
    issued_at: float
    expires_at: float

    @classmethod
    def for_checkin(cls, checkin: CheckIn, issued_at: float, expiry_s: int) -> Cue:
        return cls(str(uuid.uuid4()), checkin, issued_at, issued_at + expiry_s)

    def remaining_s(self, now: float) -> int:
        return max(0, int(self.expires_at - now))

    def payload(self) -> dict[str, Any]:
        profile = self.checkin.profile
        return {
            "schema": CUE_SCHEMA,
            "cue_id": self.cue_id,
            "visit_id": self.checkin.visit_id,
            "branch_id": self.checkin.branch_id,
            "device_id": self.checkin.device_id,
            "customer_ref": profile.customer_ref,
            "greeting_name": profile.greeting_name,
            "language": profile.language,
            "interests": list(profile.interests),
            "service_hints": list(profile.service_hints),
            "confidence": self.checkin.score_band,
            "issued_at": iso_utc(self.issued_at),
            "expires_at": iso_utc(self.expires_at),
        }

    def to_json(self) -> bytes:
        return json.dumps(self.payload(), separators=(",", ":"), ensure_ascii=False).encode()
