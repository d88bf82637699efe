"""Hourly footfall forecast with 80 % prediction intervals, from the branch's own history.

The model is a negative-binomial regression (statsmodels) of visits per hour on the hour of the week
(168 slots: daily and weekly seasonality together), a log-linear trend and a holiday effect. Counts at a
branch door are small integers, many of them zero, so a count model fits them where Gaussian
state-space models (ETS, SARIMAX) would predict negative visits and symmetric intervals. Hour-of-week
slots with no visit in the whole history are closed hours: forecast 0, interval [0, 0], left out of the
fit. A year of hourly data fits in well under a second on one core (bench/forecast.py).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt
import statsmodels.api as sm
from scipy import stats

HOUR_S = 3600
WEEK_H = 168
LEVEL = 0.8
# Below this much history there are not two of each hour of the week to learn from.
MIN_HISTORY_DAYS = 14
# A trend learned from a few weeks would be extrapolated for a whole month: wait for two months.
MIN_TREND_DAYS = 56
# Holidays whose history averages less than this share of a normal day's traffic are treated as closed.
CLOSED_HOLIDAY_SHARE = 0.05

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


class NotEnoughHistory(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class HourlyHistory:
    """Visits per hour; `starts` are consecutive whole hours (epoch seconds), gaps filled with 0."""

    starts: Floats
    counts: Ints

    @property
    def days(self) -> float:
        return len(self.starts) / 24

    @classmethod
    def from_bins(cls, bins: dict[float, int], since: float, until: float) -> HourlyHistory:
        first = since - since % HOUR_S
        starts = np.arange(first, until, HOUR_S, dtype=np.float64)
        counts = np.array([bins.get(float(start), 0) for start in starts], dtype=np.int64)
        return cls(starts, counts)

    def split(self, hours: int) -> tuple[HourlyHistory, HourlyHistory]:
        """(all but the last `hours`, the last `hours`): for backtesting on a held-out tail."""
        return (
            HourlyHistory(self.starts[:-hours], self.counts[:-hours]),
            HourlyHistory(self.starts[-hours:], self.counts[-hours:]),
        )


@dataclass(frozen=True, slots=True)
class Forecast:
    starts: Floats
    mean: Floats
    low80: Ints
    high80: Ints
    issued_at: float
    history_days: float
    trend_per_year: float | None  # growth factor minus one, e.g. 0.12 for +12 %/year; None: not fitted
    fit_s: float = field(compare=False)

    def hourly(self) -> list[dict[str, float | int]]:
        """The forecast as published: one entry per hour, the point forecast rounded to whole visits
        and its interval widened to contain it."""
        rows: list[dict[str, float | int]] = []
        for start, mean, low, high in zip(self.starts, self.mean, self.low80, self.high80, strict=True):
            value = round(float(mean))
            rows.append(
                {
                    "start": float(start),
                    "visits": value,
                    "low80": min(int(low), value),
                    "high80": max(int(high), value),
                }
            )
        return rows


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
        raise NotEnoughHistory(f"{history.days:.0f} days of history; a forecast needs {MIN_HISTORY_DAYS}")
    holidays = frozenset(holidays)
    past = _Calendar.of(history.starts, holidays)
    future_starts = history.starts[-1] + HOUR_S * np.arange(1, horizon_h + 1, dtype=np.float64)
    future = _Calendar.of(future_starts, holidays)
    y = history.counts.astype(np.float64)
    normal = ~past.holiday
    open_slots = np.bincount(past.slot[normal], weights=y[normal], minlength=WEEK_H) > 0
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


def seasonal_naive(history: HourlyHistory, horizon_h: int) -> Floats:
    """The baseline: each hour of the horizon repeats the same hour of the history's last week."""
    last_week = history.counts[-WEEK_H:].astype(np.float64)
    return np.resize(last_week, horizon_h)


def wape(actual: Ints, predicted: Floats) -> float:
    """Weighted absolute percentage error, sum |error| / sum actual, in %: the MAPE of counts with zero
    hours in them (a closed hour's 0 would divide by zero; a night hour's 1 visit would weigh as much
    as a busy noon)."""
    total = float(actual.sum())
    return float("nan") if total == 0 else 100.0 * float(np.abs(actual - predicted).sum()) / total


def coverage(actual: Ints, low: Ints, high: Ints, mask: npt.NDArray[np.bool_] | None = None) -> float:
    """Share of hours (in `mask`) whose visits fell inside [low, high], in %."""
    inside = (actual >= low) & (actual <= high)
    chosen = inside if mask is None else inside[mask]
    return float("nan") if chosen.size == 0 else 100.0 * float(chosen.mean())
