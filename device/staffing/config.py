"""`[staffing]`: the service level the branch plans for, and the live queue alert. Pure data."""

from __future__ import annotations

from pydantic import Field, model_validator

from common.sections import Section


class StaffingConfig(Section):
    target_wait_s: float = Field(
        300.0, gt=0, le=7200, description="The wait the branch promises: at most this long in the line."
    )
    target_share: float = Field(
        0.8, gt=0, lt=1, description="The share of customers who must wait at most target_wait_s."
    )
    max_counters: int = Field(8, ge=1, le=50, description="Counters in the branch: the plan never asks more.")
    alert: bool = Field(True, description="Tell the teller screens when another counter should open.")
    alert_raise_after_s: float = Field(
        60.0, ge=0, le=3600, description="The target missed this long before the alert is raised."
    )
    alert_clear_after_s: float = Field(
        300.0, ge=0, le=7200, description="Back within the target this long before the alert clears."
    )

    @model_validator(mode="after")
    def _clear_slower_than_raise(self) -> StaffingConfig:
        # Hysteresis: quick to ask for help, slow to call it off, or the screens flap.
        if self.alert_clear_after_s < self.alert_raise_after_s:
            raise ValueError("alert_clear_after_s must be >= alert_raise_after_s")
        return self
