"""A synthetic branch history with known seasonality, trend, holidays and noise.

For the forecast's backtest (bench/forecast.py), the tests and demos: nothing here is real data. The
branch opens 09:00-17:00 on weekdays (a lunchtime peak, Mondays and Fridays busier) and 09:00-12:00 on
Saturdays, is closed on Sundays and holidays, and grows by `trend_per_year`. Each hour's visits are
negative-binomial around that (overdispersed, like real footfall), times a random factor per day
(weather, events) the model cannot know.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from device.analytics.series import HOUR_S, Floats, HourlyHistory

# Mean visits per hour of a weekday, 00:00 to 23:00.
DAY_PROFILE = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0, 0.4, 7, 11, 13, 10, 12, 14, 11, 8, 1.2, 0, 0, 0, 0, 0, 0], dtype=np.float64
)
WEEKDAY_FACTOR = np.array([1.2, 1.0, 0.95, 1.0, 1.15, 0.7, 0.0])  # Monday first
# Where a slowly changing week drifts to (`weekly_drift`): traffic moves to the afternoon and to the
# end of the week, as when an office nearby changes its hours.
LATE_DAY_PROFILE = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0, 0.3, 4, 7, 9, 10, 14, 17, 15, 12, 2.5, 0, 0, 0, 0, 0, 0], dtype=np.float64
)
LATE_WEEKDAY_FACTOR = np.array([0.85, 0.9, 1.0, 1.1, 1.35, 0.9, 0.0])
SATURDAY_CLOSES_AT = 12


@dataclass(frozen=True, slots=True)
class SyntheticBranch:
    history: HourlyHistory
    true_mean: Floats  # the expected visits per hour the noise was drawn around
    holidays: tuple[date, ...]


def holidays_between(first: date, last: date) -> tuple[date, ...]:
    """Fixed-date holidays of the synthetic branch's country, every year in [first, last]."""
    fixed = ((1, 1), (5, 1), (10, 3), (12, 25), (12, 26))
    days = [
        date(year, month, day)
        for year in range(first.year, last.year + 1)
        for month, day in fixed
        if first <= date(year, month, day) <= last
    ]
    return tuple(sorted(days))


def synthetic_branch(
    first_day: date,
    days: int,
    *,
    seed: int = 0,
    scale: float = 1.0,
    trend_per_year: float = 0.15,
    alpha: float = 0.05,
    day_noise: float = 0.08,
    day_level: Floats | None = None,
    weekly_drift: float = 0.0,
    unwatched_days: Collection[int] = (),
) -> SyntheticBranch:
    """`days` days of hourly visits from local midnight of `first_day`.

    For the scenarios of a changing branch (device/analytics/scenarios.py): `day_level` multiplies each
    day's traffic (a shift, a closure at 0, school holidays); `weekly_drift` moves the weekly shape
    linearly from today's to the late one, this far (0 to 1) by the last day; `unwatched_days` (day
    indices) are an outage: the customers came, the kiosk counted none and knows it did not watch."""
    rng = np.random.default_rng(seed)
    midnight = datetime(first_day.year, first_day.month, first_day.day).timestamp()
    # Local wall-clock hours, so the branch opens at 09:00 also across a daylight-saving change.
    starts = np.array(
        [
            datetime.combine(first_day + timedelta(days=day), datetime.min.time()).timestamp() + hour * HOUR_S
            for day in range(days)
            for hour in range(24)
        ],
        dtype=np.float64,
    )
    holidays = holidays_between(first_day, first_day + timedelta(days=days - 1))
    mean = np.empty(len(starts))
    for i, start in enumerate(starts):
        local = time.localtime(float(start))
        today = date(local.tm_year, local.tm_mon, local.tm_mday)
        saturday_closed = local.tm_wday == 5 and local.tm_hour >= SATURDAY_CLOSES_AT
        closed = today in holidays or saturday_closed
        drift = weekly_drift * i / len(starts)
        profile = (1 - drift) * DAY_PROFILE[local.tm_hour] + drift * LATE_DAY_PROFILE[local.tm_hour]
        factor = (1 - drift) * WEEKDAY_FACTOR[local.tm_wday] + drift * LATE_WEEKDAY_FACTOR[local.tm_wday]
        mean[i] = 0.0 if closed else profile * factor
    years = (starts - midnight) / (365.25 * 24 * HOUR_S)
    mean *= scale * (1.0 + trend_per_year * years)
    mean *= np.repeat(np.exp(rng.normal(0.0, day_noise, days)), 24)
    if day_level is not None:
        mean *= np.repeat(day_level, 24)
    n = 1.0 / alpha
    counts = np.where(mean > 0, rng.negative_binomial(n, n / (n + np.maximum(mean, 1e-12))), 0)
    if not unwatched_days:
        return SyntheticBranch(HourlyHistory(starts, counts.astype(np.int64)), mean, holidays)
    watched = ~np.repeat(np.isin(np.arange(days), list(unwatched_days)), 24)
    counts[~watched] = 0
    return SyntheticBranch(HourlyHistory(starts, counts.astype(np.int64), watched), mean, holidays)
