"""A synthetic branch history with known seasonality, trend, holidays and noise.

For the forecast's backtest (bench/forecast.py), the tests and demos: nothing here is real data. The
branch opens 09:00-17:00 on weekdays (a lunchtime peak, Mondays and Fridays busier) and 09:00-12:00 on
Saturdays, is closed on Sundays and holidays, and grows by `trend_per_year`. Each hour's visits are
negative-binomial around that (overdispersed, like real footfall), times a random factor per day
(weather, events) the model cannot know.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from device.analytics.series import HOUR_S, Floats, HourlyHistory

# Mean visits per hour of a weekday, 00:00 to 23:00.
DAY_PROFILE = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0, 0.4, 7, 11, 13, 10, 12, 14, 11, 8, 1.2, 0, 0, 0, 0, 0, 0], dtype=np.float64
)
WEEKDAY_FACTOR = np.array([1.2, 1.0, 0.95, 1.0, 1.15, 0.7, 0.0])  # Monday first
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
) -> SyntheticBranch:
    """`days` days of hourly visits from local midnight of `first_day`."""
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
        mean[i] = 0.0 if closed else DAY_PROFILE[local.tm_hour] * WEEKDAY_FACTOR[local.tm_wday]
    years = (starts - midnight) / (365.25 * 24 * HOUR_S)
    mean *= scale * (1.0 + trend_per_year * years)
    mean *= np.repeat(np.exp(rng.normal(0.0, day_noise, days)), 24)
    n = 1.0 / alpha
    counts = np.where(mean > 0, rng.negative_binomial(n, n / (n + np.maximum(mean, 1e-12))), 0)
    return SyntheticBranch(HourlyHistory(starts, counts.astype(np.int64)), mean, holidays)
