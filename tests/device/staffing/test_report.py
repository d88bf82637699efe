"""The report's staffing section: the grid, what it assumed, and the hours that cannot be met."""

from __future__ import annotations

from device.staffing.config import StaffingConfig
from device.staffing.plan import plan_hours
from device.staffing.report import render_plan
from device.staffing.service_times import ObservedService
from tests.device.staffing.test_plan import local_epoch


def test_short_hours_are_red_and_listed_and_a_configured_service_time_says_so() -> None:
    settings = StaffingConfig(max_counters=2)
    starts = [local_epoch(2, hour) for hour in (9, 10, 11)]
    plan = plan_hours(starts, [9, 10, 11], [10.0, 60.0, 0.0], 0.0, ObservedService(), settings, 240)
    text = render_plan(plan, ObservedService())
    assert (
        "background:#d64545" in text and "<b>2!</b><br><small>&infin;</small></td>" in text
    )  # 10 o'clock: 4 Erlangs on 2 counters
    assert "1 hours cannot meet the target even with all 2 counters open" in text
    assert "Mon 02 Mar 10:00 (60 visits)" in text
    assert "the configured [floor] service_time_s" in text and "cv 1" in text
    assert "The floor has seen no wait in a queue zone yet." in text
    assert "<th>11</th>" not in text  # closed in every day: no column
