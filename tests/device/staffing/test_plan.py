"""Service times from the floor's stays, and the plan built on them."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from device.floor.records import FloorBin
from device.staffing.config import StaffingConfig
from device.staffing.erlang import counters_needed
from device.staffing.plan import plan_hours
from device.staffing.service_times import MIN_STAYS, ObservedService, observed_service

KINDS = {"line": "queue", "desk 1": "counter", "desk 2": "counter", "sofa": "waiting"}


def local_epoch(day: int, hour: int) -> float:
    return dt.datetime(2026, 3, day, hour).astimezone().timestamp()


def stays_bin(start: float, zone: str, dwells: list[float]) -> FloorBin:
    """A quarter hour in which `dwells` ended in `zone`."""
    return FloorBin(
        start=start,
        bin_s=900,
        observed_s=900.0,
        line_in={},
        line_out={},
        zone_visits={zone: len(dwells)},
        zone_mean_dwell_s={zone: sum(dwells) / len(dwells) if dwells else None},
        occupancy_max=1,
        occupancy_mean=0.5,
        grid=np.zeros((1, 1), dtype=np.float32),
        zone_dwell_sq_s={zone: sum(d * d for d in dwells)},
    )


def test_service_time_per_hour_of_day_with_its_spread() -> None:
    # 10 o'clock: 40 services of 100 s and 300 s alike (mean 200 s, sd 100 s); 15 o'clock: 4 of 600 s.
    bins = [stays_bin(local_epoch(day, 10), "desk 1", [100.0, 300.0] * 4) for day in range(2, 7)]
    bins.append(stays_bin(local_epoch(9, 15), "desk 2", [600.0] * 4))
    bins.append(stays_bin(local_epoch(9, 15), "sofa", [5000.0] * 40))  # waiting area: neither
    observed = observed_service(bins, KINDS)
    ten = observed.service_at(10, configured_s=240)
    assert (ten.source, ten.stays) == ("hour of day", 40)
    assert ten.mean_s == pytest.approx(200) and ten.cv == pytest.approx(0.5)
    # Too few at 15 o'clock for its own figure: every hour's stays together (44 of them).
    fifteen = observed.service_at(15, configured_s=240)
    assert fifteen.source == "overall" and fifteen.stays == 44 > MIN_STAYS
    assert fifteen.mean_s == pytest.approx((40 * 200 + 4 * 600) / 44)


def test_without_enough_stays_the_configured_service_time_is_exponential() -> None:
    observed = observed_service([stays_bin(local_epoch(2, 10), "desk 1", [100.0] * 5)], KINDS)
    assumed = observed.service_at(10, configured_s=240)
    assert (assumed.mean_s, assumed.cv, assumed.source, assumed.stays) == (240, 1.0, "configured", 0)


def test_bins_stored_before_the_spread_was_kept_give_a_mean_and_no_cv() -> None:
    old = stays_bin(local_epoch(2, 10), "desk 1", [200.0] * 40)
    old = dataclasses.replace(old, zone_dwell_sq_s={})
    service = observed_service([old], KINDS).service_at(10, configured_s=240)
    assert service.mean_s == pytest.approx(200) and service.cv == 1.0


def test_queue_stays_are_the_observed_waits() -> None:
    observed = observed_service([stays_bin(local_epoch(2, 11), "line", [60.0, 180.0])], KINDS)
    assert observed.overall_wait().mean_s == pytest.approx(120) and observed.overall_wait().count == 2


def test_the_plan_opens_what_the_target_needs_nothing_when_closed_and_flags_what_cannot_be_met() -> None:
    settings = StaffingConfig(target_wait_s=300, target_share=0.8, max_counters=3)
    starts = [local_epoch(2, hour) for hour in (7, 10, 12)]
    plan = plan_hours(starts, [7, 10, 12], [0.2, 30.0, 200.0], 0.0, ObservedService(), settings, 240)
    closed, busy, rush = plan.hours
    assert (closed.counters, closed.mean_wait_s, closed.meets_target) == (0, 0.0, True)
    expected = counters_needed(30, 240, 300, 0.8, 1.0, 3)
    assert (busy.counters, busy.mean_wait_s) == (expected.counters, expected.mean_wait_s)
    assert busy.meets_target and busy.served_within_target >= 0.8
    assert rush.counters == 3 and not rush.meets_target  # 200/h x 240 s = 13 Erlangs on 3 counters
    assert plan.short_hours == [rush]
    assert busy.service.source == "configured"
