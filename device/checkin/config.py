"""`[checkin]`: how long one visit lasts, so that a customer gets one cue per visit."""

from __future__ import annotations

from pydantic import Field

from common.sections import Section


class CheckinConfig(Section):
    dedup_window_s: float = Field(
        1800.0,
        ge=0,
        le=7 * 86_400,
        description="A customer seen again within this window is the same visit: no new cue.",
    )
    branch_claims: bool = Field(
        True,
        description="Claim every visit for the other kiosks of the branch over the broker, and honour "
        "theirs: one visit per branch, whatever the door.",
    )
