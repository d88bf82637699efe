"""The forecast bench's scenarios and measures, quickly: one seed of one scenario, the noise floor,
the days-to-recover count and JSON without NaN. The full table is `bench/forecast.py`."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from bench.forecast import _finite, daily_wape, run_scenario
from device.analytics.scenarios import ORIGIN_DAY, SCENARIOS, scenario


def test_every_scenario_keeps_the_truth_it_was_drawn_from() -> None:
    names = [s.name for s in SCENARIOS]
    for wanted in ("steady", "shift up late", "shift down late", "outage", "closure", "school holidays"):
        assert wanted in names
    # The same school-holiday branch, run twice: not told, then told its dates.
    told, untold = scenario("school holidays known"), scenario("school holidays")
    assert told.build is untold.build and told.school_holidays and not untold.school_holidays
    outage = scenario("outage").build(0)
    assert outage.history.watched is not None and not outage.history.watched.all()
    assert outage.true_mean[~outage.history.watched].sum() > 0  # customers came; nobody counted them
    closure = scenario("closure").build(0)
    shut = closure.true_mean[(ORIGIN_DAY - 24) * 24 : (ORIGIN_DAY - 14) * 24]
    assert shut.sum() == 0 and closure.history.watched is None  # watched, and truly empty


@pytest.mark.slow
def test_a_late_shift_is_scored_against_the_noise_floor_and_beats_seasonal_naive() -> None:
    row = run_scenario(scenario("shift down late"), seed=0, recover=False)
    assert set(row) >= {"wape", "wape_daily", "coverage80", "floor", "unsure", "naive_wape", "v1_wape"}
    # One seed's forecast can come out a little under the floor (luck of the draw); five do not.
    assert row["wape"] < row["naive_wape"]
    assert 0.9 < row["wape"] / row["floor"] < 1.3
    assert row["unsure"] == 1.0


def test_daily_wape_sums_hours_into_days_and_json_has_no_nan() -> None:
    actual = np.array([1] * 24 + [2] * 24)
    assert daily_wape(actual, np.full(48, 1.0)) == pytest.approx(100 * 24 / 72)
    assert json.loads(json.dumps(_finite({"a": {"b": math.nan, "c": 1.0}}))) == {"a": {"b": None, "c": 1.0}}
