"""`[staffing]`: the alert is quicker to raise than to clear, or the screens would flap."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from device.staffing.config import StaffingConfig


def test_an_alert_that_clears_faster_than_it_rises_is_refused() -> None:
    with pytest.raises(ValidationError, match="alert_clear_after_s"):
        StaffingConfig(alert_raise_after_s=120, alert_clear_after_s=60)
    assert StaffingConfig().target_share == 0.8
