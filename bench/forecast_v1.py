"""The forecast model #18 replaced, kept as bench/forecast.py's in-process baseline: not used by the daemon.

Hourly footfall forecast with 80 % prediction intervals, from the branch's own history.

The model is a negative-binomial regression (statsmodels) of visits per hour on the hour of the week
(168 slots: daily and weekly seasonality together), a log-linear trend and a holiday effect. Counts at a
branch door are small integers, many of them zero, so a count model fits them where Gaussian
state-space models (ETS, SARIMAX) would predict negative visits and symmetric intervals. Hour-of-week
slots with no visit in the whole history are closed hours: forecast 0, interval [0, 0], left out of the
fit. A year of hourly data fits in well under a second on one core (bench/forecast.py).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import statsmodels.api as sm
from scipy import stats

from device.analytics.series import (
    HOUR_S,
    LEVEL,
    MIN_HISTORY_DAYS,
    WEEK_H,
    Floats,
    Forecast,
    HourlyHistory,
    Ints,
)

# A trend learned from a few weeks would be extrapolated for a whole month: wait for two months.
MIN_TREND_DAYS = 56
# Holidays whose history averages less than this share of a normal day's traffic are treated as closed.
CLOSED_HOLIDAY_SHARE = 0.05


class NotEnoughHistory(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class _Calendar:
    slot: Ints  # hour of the week, 0 = Monday 00:00 local time
    holiday: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, starts: Floats, holidays: Collection[date]) -> _Calendar:
        slots, flags = [], []
        for start in starts:
            local = time.localtime(float(start))
            slots.append(local.tm_wday * 24 + local.tm_hour)
            flags.append(date(local.tm_year, local.tm_mon, local.tm_mday) in holidays)
        return cls(np.array(slots, dtype=np.int64), np.array(flags, dtype=bool))


def fit_forecast(
    history: HourlyHistory, holidays: Collection[date] = (), horizon_h: int = 30 * 24
) -> Forecast:
    """Fit on `history` and forecast the `horizon_h` hours that follow it."""
    started = time.perf_counter()
    if history.days < MIN_HISTORY_DAYS:
        # Whole days only: 13.6 days rounded would read "14 so far" beside "needs 14".
        so_far = "less than a day" if history.days < 1 else f"{math.floor(history.days)}"
        raise NotEnoughHistory(f"a forecast needs {MIN_HISTORY_DAYS} days of history; {so_far} so far")
    holidays = frozenset(holidays)
    past = _Calendar.of(history.starts, holidays)
    future_starts = history.starts[-1] + HOUR_S * np.arange(1, horizon_h + 1, dtype=np.float64)
    future = _Calendar.of(future_starts, holidays)
    y = history.counts.astype(np.float64)
    normal = ~past.holiday
    open_slots = np.bincount(past.slot[normal], weights=y[normal], minlength=WEEK_H) > 0
    if not open_slots.any():
        raise NotEnoughHistory("no visits outside holidays in the history")
    column = np.cumsum(open_slots) - 1
    with_trend = history.days >= MIN_TREND_DAYS
    # Years since the end of the history: the trend's origin sits where the forecast starts.
    end = float(history.starts[-1])
    holiday_effect = _holiday_effect(y, past, open_slots)

    def design(calendar: _Calendar, starts: Floats) -> Floats:
        rows = np.arange(len(starts))
        is_open = open_slots[calendar.slot]
        matrix = np.zeros((len(starts), int(open_slots.sum())))
        matrix[rows[is_open], column[calendar.slot[is_open]]] = 1.0
        extra = []
        if with_trend:
            extra.append((starts - end) / (365.25 * 24 * HOUR_S))
        if holiday_effect == "learn":
            extra.append(calendar.holiday.astype(np.float64))
        return np.column_stack([matrix, *extra]) if extra else matrix

    fit_rows = open_slots[past.slot] & (normal | (holiday_effect == "learn"))
    x = design(past, history.starts)[fit_rows]
    params, alpha = _fit_negative_binomial(y[fit_rows], x)
    mean = np.exp(design(future, future_starts) @ params)
    closed = ~open_slots[future.slot] | (future.holiday & (holiday_effect == "closed"))
    mean[closed] = 0.0
    low, high = interval(mean, alpha)
    trend = float(np.expm1(params[int(open_slots.sum())])) if with_trend else None
    return Forecast(
        starts=future_starts,
        mean=mean,
        low80=low,
        high80=high,
        issued_at=time.time(),
        history_days=history.days,
        trend_per_year=trend,
        fit_s=time.perf_counter() - started,
    )


def _holiday_effect(y: Floats, past: _Calendar, open_slots: npt.NDArray[np.bool_]) -> str:
    """ "learn" when past holidays had traffic; "closed" when they had (almost) none or there were none:
    with no holiday in the history, the configured holidays are assumed to be days the branch is shut."""
    in_open_hours = open_slots[past.slot]
    holiday_hours = past.holiday & in_open_hours
    if not holiday_hours.any():
        return "closed"
    normal_rate = y[~past.holiday & in_open_hours].mean()
    holiday_rate = y[holiday_hours].mean()
    return "closed" if holiday_rate < CLOSED_HOLIDAY_SHARE * normal_rate else "learn"


def _fit_negative_binomial(y: Floats, x: Floats) -> tuple[Floats, float]:
    """Coefficients and dispersion alpha (variance = mu + alpha mu^2), Poisson fit as the start."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on all-but-closed slots; checked below
        poisson = sm.GLM(y, x, family=sm.families.Poisson()).fit()
        start = np.append(poisson.params, 0.1)
        result = sm.NegativeBinomial(y, x).fit(start_params=start, method="bfgs", maxiter=500, disp=0)
    params = np.asarray(result.params, dtype=np.float64)
    if not np.all(np.isfinite(params)):
        return np.asarray(poisson.params, dtype=np.float64), 1e-8
    return params[:-1], max(float(params[-1]), 1e-8)


def interval(mean: Floats, alpha: float, level: float = LEVEL) -> tuple[Ints, Ints]:
    """Per hour, the central interval of the predictive negative binomial whose probability is nearest
    `level`. Counts are whole numbers, so the usual quantile pair holds well over 80 % for small means
    (0 to 4 visits is 95 % at a mean of 2): nudging each end by one where that lands nearer is honest."""
    mu = np.maximum(mean, 1e-9)
    n, p = 1.0 / alpha, 1.0 / (1.0 + alpha * mu)
    tail = (1.0 - level) / 2
    low0, high0 = stats.nbinom.ppf(tail, n, p), stats.nbinom.ppf(1 - tail, n, p)
    best_low, best_high = low0.copy(), high0.copy()
    best_error = np.full(mu.shape, np.inf)
    for shift_low, shift_high in ((0, 0), (1, 0), (0, -1), (1, -1)):
        low, high = low0 + shift_low, high0 + shift_high
        probability = stats.nbinom.cdf(high, n, p) - stats.nbinom.cdf(low - 1, n, p)
        error = np.where(high >= low, np.abs(probability - level), np.inf)
        better = error < best_error
        best_low[better], best_high[better], best_error[better] = low[better], high[better], error[better]
    closed = mean <= 0
    best_low[closed], best_high[closed] = 0, 0
    return best_low.astype(np.int64), best_high.astype(np.int64)
