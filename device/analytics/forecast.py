"""Hourly footfall forecast with 80 % prediction intervals, from the branch's own history.

The model is a negative-binomial regression (a statsmodels GLM) of visits per hour on the hour of the
week (168 slots: daily and weekly seasonality together), a log-linear trend, a holiday effect, a
school-holiday factor and one step per change of level. Counts at a branch door are small integers,
many of them zero, so a count model fits them where Gaussian state-space models (ETS, SARIMAX) would
predict negative visits and symmetric intervals. A real branch changes, so:

- Hours the kiosk did not watch (off, camera dead) are missing data, left out of the fit: a kiosk off
  for a week is not a week without customers. Shut days (a watched day that should have brought ten
  visits or more and brought none) are left out too: the branch was closed, its customers were not gone.
- Recent weeks weigh more: each hour's weight halves every HALF_LIFE_WEEKS, so a weekly shape that
  changes slowly is followed while a year still gives every hour of the week many samples.
- Level shifts are found by a CUSUM on daily residuals (device/analytics/level.py) and each becomes a
  step in the regression: the level after a shift is learned from the days since, the shape from all.
  A trend is learned within the current level only (a step and a trend would explain the same rise).
- Intervals come from the negative binomial's dispersion and the uncertainty of the fitted mean (its
  covariance: a level resting on a few days since a shift is uncertain, so the band is wide). The
  forecast says it is unsure, and why, after a recent shift, an outage or a closure at its end.
- School holidays (configured date ranges) are weeks at another level: their factor is learned from
  past ones, and the shape's fit the shifts are judged against includes it, so a known holiday's start
  or end is not a level shift. With none in the history the factor is not guessed (1), and a school
  holiday in the horizon makes the forecast unsure, its band widened by SCHOOL_UNKNOWN_VAR.

Hour-of-week slots with no visit in the whole history are closed hours: forecast 0, interval [0, 0].
A year of hourly data fits in well under a second on one core (bench/forecast.py).
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

from device.analytics import level
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
# Half a year: a weekly shape that changes with the seasons is followed, while a year of history still
# weighs as about 45 equal weeks, so each of the 168 hours is learned from many samples.
HALF_LIFE_WEEKS = 26.0
# A new level is trusted once it rests on two weeks: every day of the week seen twice.
UNSURE_DAYS = 14
# An outage or a closure this long at the end of the history leaves the current level unknown.
UNSURE_GAP_DAYS = 2
# A school holiday's effect never seen at this branch: a factor of 1.5 either way is one standard
# deviation of its log (a stated prior, not a fit: branches near schools gain, those near offices lose).
SCHOOL_UNKNOWN_VAR = math.log(1.5) ** 2
YEAR_S = 365.25 * 24 * HOUR_S
MAX_LEVEL_VAR = 1.0


class NotEnoughHistory(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class _Calendar:
    slot: Ints  # hour of the week, 0 = Monday 00:00 local time
    holiday: npt.NDArray[np.bool_]
    day: Ints  # local date as an ordinal
    school: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, starts: Floats, holidays: Collection[date], school_days: Collection[int] = ()) -> _Calendar:
        slots, flags, days = [], [], []
        for start in starts:
            local = time.localtime(float(start))
            today = date(local.tm_year, local.tm_mon, local.tm_mday)
            slots.append(local.tm_wday * 24 + local.tm_hour)
            flags.append(today in holidays)
            days.append(today.toordinal())
        ordinals = np.array(days, dtype=np.int64)
        school = np.isin(ordinals, np.fromiter(school_days, dtype=np.int64))
        return cls(np.array(slots, dtype=np.int64), np.array(flags, dtype=bool), ordinals, school)


@dataclass(frozen=True, slots=True)
class _Fit:
    params: Floats
    alpha: float
    cov: Floats


def fit_forecast(
    history: HourlyHistory,
    holidays: Collection[date] = (),
    horizon_h: int = 30 * 24,
    school_holidays: Collection[tuple[date, date]] = (),
) -> Forecast:
    """Fit on `history` and forecast the `horizon_h` hours that follow it. `school_holidays` are
    [first, last] day ranges."""
    started = time.perf_counter()
    if history.days < MIN_HISTORY_DAYS:
        # Whole days only: 13.6 days rounded would read "14 so far" beside "needs 14".
        so_far = "less than a day" if history.days < 1 else f"{math.floor(history.days)}"
        raise NotEnoughHistory(f"a forecast needs {MIN_HISTORY_DAYS} days of history; {so_far} so far")
    holidays = frozenset(holidays)
    school_days = {
        day for first, last in school_holidays for day in range(first.toordinal(), last.toordinal() + 1)
    }
    past = _Calendar.of(history.starts, holidays, school_days)
    future_starts = history.starts[-1] + HOUR_S * np.arange(1, horizon_h + 1, dtype=np.float64)
    future = _Calendar.of(future_starts, holidays, school_days)
    y = history.counts.astype(np.float64)
    watched = history.watched_mask
    normal = ~past.holiday & watched
    open_slots = np.bincount(past.slot[normal], weights=y[normal], minlength=WEEK_H) > 0
    if not open_slots.any():
        raise NotEnoughHistory("no visits outside holidays in the history")
    end = float(history.starts[-1])
    day_of_hour = past.day - past.day[0]
    holiday_effect = _holiday_effect(y, past, open_slots, watched)
    # Learned only beside school-term days: a history that is all holiday has no other level to compare.
    seen = watched & open_slots[past.slot] & ~past.holiday
    learn_school = bool((seen & past.school).any() and (seen & ~past.school).any())
    fit_rows = watched & open_slots[past.slot] & (~past.holiday | (holiday_effect == "learn"))
    # Recency: weight 1 at the end of the history, halving every HALF_LIFE_WEEKS before it.
    weights = 0.5 ** ((end - history.starts) / (HALF_LIFE_WEEKS * 7 * 24 * HOUR_S))
    # Shifts are looked for against the week's shape alone: a trend fitted first would bend to absorb
    # a shift, and the days before it would look like changes of their own.
    shape = _Design(open_slots, end, False, holiday_effect == "learn", learn_school, ())
    base = _fit(y[fit_rows], shape.of(past, history.starts)[fit_rows], weights[fit_rows])
    mu = np.exp(shape.of(past, history.starts) @ base.params)
    days = level.daily(day_of_hour, y, mu, base.alpha, fit_rows & ~past.holiday)
    shut = level.shut_days(days)
    usable = fit_rows
    fit_rows = usable & ~np.isin(day_of_hour, shut)
    days = level.daily(day_of_hour, y, mu, base.alpha, fit_rows & ~past.holiday)
    day_noise = level.noise(days)
    points = level.change_points(days, day_noise)
    steps = tuple(float(history.starts[np.argmax(day_of_hour >= point)]) for point in points)
    # A trend and steps explain the same rise: the trend is learned within the current level only,
    # and only once that level has lasted long enough to learn it from.
    with_trend = (end - max(steps, default=float(history.starts[0]))) / (24 * HOUR_S) >= MIN_TREND_DAYS
    design = _Design(open_slots, end, with_trend, holiday_effect == "learn", learn_school, steps)
    x_past = design.of(past, history.starts)
    fit = _fit(y[fit_rows], x_past[fit_rows], weights[fit_rows])
    # Shut days again, against the level each day had: after a fall to a tenth, an empty day is no
    # longer the branch's closure but its customers' absence, and belongs in the fit.
    leveled = level.daily(day_of_hour, y, np.exp(x_past @ fit.params), fit.alpha, usable & ~past.holiday)
    if not np.array_equal(level.shut_days(leveled), shut):
        shut = level.shut_days(leveled)
        fit_rows = usable & ~np.isin(day_of_hour, shut)
        fit = _fit(y[fit_rows], x_past[fit_rows], weights[fit_rows])

    x_future = design.of(future, future_starts)
    mean = np.exp(x_future @ fit.params)
    closed = ~open_slots[future.slot] | (future.holiday & (holiday_effect == "closed"))
    mean[closed] = 0.0
    reason, gap_days = _unsure(history, day_of_hour, leveled, points, shut, fit.params)
    unknown_school = future.school & ~closed & (not learn_school)
    if unknown_school.any():
        reason = "; ".join(filter(None, (reason, _school_unknown(future, unknown_school))))
    # The level's own uncertainty: the fitted mean's, and, after a gap, a day-to-day drift per day unseen.
    level_var = np.einsum("ij,jk,ik->i", x_future, fit.cov, x_future) + day_noise.extra * gap_days
    if points:  # a level that rests on the days since the last shift: as sure as those days allow
        level_var += level.level_var(days, day_noise, points[-1])
    level_var[unknown_school] += SCHOOL_UNKNOWN_VAR
    # A fit on a handful of visits has a covariance that means nothing: past a level unknown within a
    # factor of e (either way), the band is as wide as it gets.
    spread = np.exp(np.minimum(np.nan_to_num(level_var, nan=MAX_LEVEL_VAR), MAX_LEVEL_VAR))
    low, high = interval(mean, fit.alpha * spread + spread - 1.0)
    trend = float(np.expm1(fit.params[design.trend_column])) if with_trend else None
    return Forecast(
        starts=future_starts,
        mean=mean,
        low80=low,
        high80=high,
        issued_at=time.time(),
        history_days=history.days,
        trend_per_year=trend,
        fit_s=time.perf_counter() - started,
        unsure_reason=reason,
    )


@dataclass(frozen=True, slots=True)
class _Design:
    open_slots: npt.NDArray[np.bool_]
    end: float  # the trend's origin sits where the forecast starts
    with_trend: bool
    learn_holidays: bool
    learn_school: bool
    steps: tuple[float, ...]  # when each new level starts

    @property
    def trend_column(self) -> int:
        return int(self.open_slots.sum())

    def of(self, calendar: _Calendar, starts: Floats) -> Floats:
        column = np.cumsum(self.open_slots) - 1
        rows = np.arange(len(starts))
        is_open = self.open_slots[calendar.slot]
        matrix = np.zeros((len(starts), int(self.open_slots.sum())))
        matrix[rows[is_open], column[calendar.slot[is_open]]] = 1.0
        extra = []
        if self.with_trend:
            since = max(self.steps, default=-np.inf)
            extra.append((np.maximum(starts, since) - self.end) / YEAR_S)
        if self.learn_holidays:
            extra.append(calendar.holiday.astype(np.float64))
        if self.learn_school:  # a level factor on every open hour of a school-holiday day
            extra.append(calendar.school.astype(np.float64))
        extra.extend((starts >= step).astype(np.float64) for step in self.steps)
        return np.column_stack([matrix, *extra]) if extra else matrix


def _unsure(
    history: HourlyHistory,
    day_of_hour: Ints,
    days: level.Daily,
    points: list[int],
    shut: Ints,
    params: Floats,
) -> tuple[str | None, int]:
    """Why the current level is uncertain, if it is, and how many days at the end went unseen."""
    last_day = int(day_of_hour[-1])
    gap_days = last_day - int(day_of_hour[history.watched_mask].max())
    # Days that should have brought visits and did: the last of them ends a closure at the end.
    busy = days.day[(days.expected >= level.SHUT_DAY_EXPECTED) & ~np.isin(days.day, shut)]
    shut_days = last_day - int(busy.max()) if busy.size and shut.size and shut.max() > busy.max() else 0
    if shut_days >= UNSURE_GAP_DAYS:
        return (
            f"the branch has been shut for the last {shut_days} days; its level on reopening is unknown",
            0,
        )
    if gap_days >= UNSURE_GAP_DAYS:
        return f"the kiosk has not counted for the last {gap_days} days", gap_days
    if points and last_day - points[-1] < UNSURE_DAYS:
        since = last_day - points[-1] + 1
        change = math.expm1(float(params[-1]))
        return (
            f"traffic shifted {change:+.0%} {since} day{'s' if since > 1 else ''} ago; the new level rests "
            f"on those days alone",
            0,
        )
    return None, 0


def _school_unknown(future: _Calendar, unknown: npt.NDArray[np.bool_]) -> str:
    first, last = (
        date.fromordinal(int(day)) for day in (future.day[unknown].min(), future.day[unknown].max())
    )
    return (
        f"school holidays fall in the forecast ({first:%d %b} to {last:%d %b}) and none is in the history: "
        f"their effect on traffic is not known yet, so those days are forecast at the usual level"
    )


def _holiday_effect(
    y: Floats, past: _Calendar, open_slots: npt.NDArray[np.bool_], watched: npt.NDArray[np.bool_]
) -> str:
    """ "learn" when past holidays had traffic; "closed" when they had (almost) none or there were none:
    with no holiday in the history, the configured holidays are assumed to be days the branch is shut."""
    in_open_hours = open_slots[past.slot] & watched
    holiday_hours = past.holiday & in_open_hours
    if not holiday_hours.any():
        return "closed"
    normal_rate = y[~past.holiday & in_open_hours].mean()
    holiday_rate = y[holiday_hours].mean()
    return "closed" if holiday_rate < CLOSED_HOLIDAY_SHARE * normal_rate else "learn"


def _fit(y: Floats, x: Floats, weights: Floats) -> _Fit:
    """A weighted negative-binomial GLM. Its dispersion alpha (variance = mu + alpha mu^2) is the
    weighted method-of-moments estimate over a Poisson fit of the same design, which starts it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on all-but-closed slots; checked below
        poisson = sm.GLM(y, x, family=sm.families.Poisson(), var_weights=weights).fit()
        mu = np.asarray(poisson.fittedvalues, dtype=np.float64)
        alpha = max(float(np.sum(weights * ((y - mu) ** 2 - y)) / np.sum(weights * mu**2)), 1e-8)
        family = sm.families.NegativeBinomial(alpha=alpha)
        result = sm.GLM(y, x, family=family, var_weights=weights).fit(start_params=poisson.params)
    params = np.asarray(result.params, dtype=np.float64)
    cov = np.asarray(result.cov_params(), dtype=np.float64)
    if not (np.all(np.isfinite(params)) and np.all(np.isfinite(cov))):
        params = np.asarray(poisson.params, dtype=np.float64)
        cov = np.asarray(poisson.cov_params(), dtype=np.float64)
    return _Fit(params, alpha, cov)


def interval(mean: Floats, alpha: float | Floats, level: float = LEVEL) -> tuple[Ints, Ints]:
    """Per hour, the central interval of the predictive negative binomial whose probability is nearest
    `level`. Counts are whole numbers, so the usual quantile pair holds well over 80 % for small means
    (0 to 4 visits is 95 % at a mean of 2): nudging each end by one where that lands nearer is honest."""
    mu = np.maximum(mean, 1e-9)
    alpha = np.maximum(alpha, 1e-8)
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
