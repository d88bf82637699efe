"""School holidays (`[analytics] school_holidays`): weeks at another level, learned from past ones.

One seed of the bench's school-holiday branch (device/analytics/scenarios.py: a year at x0.7 in Easter,
summer, autumn and Christmas weeks). The tolerance, 15 % of the truth over a holiday's days, is about
three times the noise of a week's total at this branch's traffic: told the dates, the forecast is near
the truth; not told, it is 35-40 % above it (measured on seeds 0-2)."""

from __future__ import annotations

from datetime import date

import numpy as np

from bench.forecast import _cut
from device.analytics.forecast import fit_forecast
from device.analytics.scenarios import FIRST_DAY, ORIGIN_DAY, SCHOOL_HOLIDAYS, scenario

TOLERANCE = 0.15
BRANCH = scenario("school holidays known").build(0)


def _day(when: date) -> int:
    return (when - FIRST_DAY).days


def test_a_known_school_holiday_in_the_horizon_is_forecast_at_its_level() -> None:
    past, _, truth = _cut(BRANCH, ORIGIN_DAY, 30 * 24)  # Christmas holidays: the last 11 days
    forecast = fit_forecast(past, BRANCH.holidays, 30 * 24, school_holidays=SCHOOL_HOLIDAYS)
    holiday = slice((_day(date(2026, 12, 21)) - ORIGIN_DAY) * 24, None)
    term = slice(0, holiday.start)
    assert abs(forecast.mean[holiday].sum() / truth[holiday].sum() - 1) < TOLERANCE
    assert abs(forecast.mean[term].sum() / truth[term].sum() - 1) < TOLERANCE
    assert forecast.unsure_reason is None


def test_the_start_of_a_known_school_holiday_is_not_a_level_shift() -> None:
    # Six days into the autumn holidays: not told, the forecast took this for a fall of a quarter
    # ("traffic shifted -25 % 8 days ago", unsure) and carried it into the term after.
    past, _, truth = _cut(BRANCH, _day(date(2026, 10, 26)) + 6, 14 * 24)
    forecast = fit_forecast(past, BRANCH.holidays, 14 * 24, school_holidays=SCHOOL_HOLIDAYS)
    assert forecast.unsure_reason is None
    rest_of_holiday, term_after = slice(0, 6 * 24), slice(6 * 24, None)
    assert abs(forecast.mean[rest_of_holiday].sum() / truth[rest_of_holiday].sum() - 1) < TOLERANCE
    assert abs(forecast.mean[term_after].sum() / truth[term_after].sum() - 1) < TOLERANCE


def test_a_school_holiday_never_seen_is_not_guessed_and_the_forecast_says_it_is_unsure() -> None:
    past, _, _ = _cut(BRANCH, 70, 30 * 24)  # ten weeks of term: Easter is ahead, none behind
    told = fit_forecast(past, BRANCH.holidays, 30 * 24, school_holidays=SCHOOL_HOLIDAYS)
    untold = fit_forecast(past, BRANCH.holidays, 30 * 24)
    assert untold.unsure_reason is None
    assert told.unsure_reason is not None and "school holidays" in told.unsure_reason
    assert "30 Mar to 10 Apr" in told.unsure_reason
    np.testing.assert_allclose(told.mean, untold.mean)  # factor 1: not guessed
    easter = slice((_day(date(2026, 3, 30)) - 70) * 24, (_day(date(2026, 4, 10)) + 1 - 70) * 24)
    # ... but its band is wider on those days, and only on those days.
    assert (told.high80[easter] - told.low80[easter]).sum() > (untold.high80 - untold.low80)[easter].sum()
    np.testing.assert_array_equal(told.high80[: easter.start], untold.high80[: easter.start])
