"""The issue's check, quick: the plan's predicted waits within 20 % of a simulation of the same hours."""

from __future__ import annotations

import pytest

from bench.staffing import observed_as, run
from device.staffing.config import StaffingConfig


def test_the_plan_predicts_the_simulated_wait_at_every_load_level() -> None:
    rows = run(days=7, sim_hours=80, mean_s=240, cv=0.7, settings=StaffingConfig())
    assert [row.load for row in rows] == ["< 50 %", "50-70 %", "70-85 %", ">= 85 %"]
    for row in rows:
        assert row.predicted_wait_s == pytest.approx(row.simulated_wait_s, rel=0.2), row
        assert row.predicted_within == pytest.approx(row.simulated_within, abs=0.05), row


def test_the_benchmark_hands_the_plan_the_service_time_it_simulates() -> None:
    service = observed_as(300, 0.5).service_at(14, configured_s=240)
    assert service.mean_s == pytest.approx(300) and service.cv == pytest.approx(0.5)
    assert service.source == "hour of day"
