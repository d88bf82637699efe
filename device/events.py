"""Typed events passed between the parts of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ScoreBand = Literal["high", "medium"]


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


@dataclass(frozen=True, slots=True)
class UnidentifiedVisit:
    """Someone was in view and not recognised. Nothing about their face is kept."""

    at: float
