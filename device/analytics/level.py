"""Where the branch's level of traffic changed: shut days, and shifts found by a CUSUM on daily residuals.

A branch's footfall moves in steps (a renovation, a new office nearby, a lockdown, school holidays not
configured) and stays there. Each day's visits are compared with what the fitted weekly shape (with the
configured school holidays' factor) expected for the hours the kiosk watched that day; the log of that
ratio is standardised by its own noise (the negative binomial's for that day's expected count, plus the
day-to-day variation the model cannot know) and fed to a two-sided tabular CUSUM (Page 1954). The
reference k = 0.5 standard deviation is the textbook one; the decision interval h = 6 puts a false alarm
at about one in 2,500 days per direction (Siegmund's approximation; the textbook h = 5 raised about one
a year on steady synthetic years, and each cut the history the trend and the level are learned from),
while a shift of two standard deviations is still found in about five days and one of three (the -40 %
of a renovation, with a day's noise of 15 %) in about three: "within days".

The alarm says that the level changed; when is the split of the segment that best explains it as two
means (their weighted likelihood's maximum). After a change, the reference is the mean of the new
segment so far, so a second shift is found too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from device.analytics.series import Floats, Ints

CUSUM_K = 0.5
CUSUM_H = 6.0
# A new segment's reference needs a week of its own (each day of the week once) before the next
# change can be judged.
SEGMENT_WARMUP_DAYS = 7
# A watched day that should have brought this many visits and brought none was a shut day (the
# chance of none by accident is below e^-10 for a Poisson mean of 10): the branch, not its customers.
SHUT_DAY_EXPECTED = 10.0
# Days whose expected visits are below this (a closed Sunday, an hour watched) say nothing of the level.
MIN_DAY_EXPECTED = 5.0
MAD_TO_SD = 1.4826


@dataclass(frozen=True, slots=True)
class Daily:
    """Per local day with watched open hours: observed and expected visits, and the log ratio's own
    sampling variance under the model."""

    day: Ints  # index of the day in the history
    observed: Floats
    expected: Floats
    sampling_var: Floats

    @property
    def log_ratio(self) -> Floats:
        return np.log((self.observed + 0.5) / (self.expected + 0.5))


def daily(day_of_hour: Ints, y: Floats, mu: Floats, alpha: float, rows: npt.NDArray[np.bool_]) -> Daily:
    """Sum the hours in `rows` per day. The variance of the log ratio is the delta method's
    (mu + alpha mu^2 summed) / expected^2."""
    days = int(day_of_hour.max()) + 1
    observed = np.bincount(day_of_hour[rows], weights=y[rows], minlength=days).astype(np.float64)
    expected = np.bincount(day_of_hour[rows], weights=mu[rows], minlength=days).astype(np.float64)
    spread = np.bincount(day_of_hour[rows], weights=mu[rows] + alpha * mu[rows] ** 2, minlength=days)
    keep = expected > 0
    index = np.flatnonzero(keep).astype(np.int64)
    return Daily(index, observed[keep], expected[keep], spread[keep] / expected[keep] ** 2)


def shut_days(days: Daily) -> Ints:
    shut: Ints = days.day[(days.observed == 0) & (days.expected >= SHUT_DAY_EXPECTED)]
    return shut


@dataclass(frozen=True, slots=True)
class Noise:
    """A day's log ratio varies by scale * its sampling variance + extra: the model's dispersion,
    fitted hour by hour, need not hold for daily sums (a quiet Saturday, a busy Monday), and the day's
    own level varies (weather, events) in a way the model cannot know."""

    scale: float
    extra: float

    def var(self, days: Daily) -> Floats:
        return self.scale * days.sampling_var + self.extra


def noise(days: Daily) -> Noise:
    """Fitted to consecutive days' differences, whose mean square is scale * (their sampling variances'
    sum) + 2 extra: least squares over all pairs. A level shift is one large difference among hundreds;
    differences beyond four robust standard deviations are clipped so it does not count."""
    useful = days.expected >= MIN_DAY_EXPECTED
    if useful.sum() < 8:
        return Noise(1.0, 0.0)
    steps = np.diff(days.log_ratio[useful])
    pair_var = days.sampling_var[useful][1:] + days.sampling_var[useful][:-1]
    bound = 4 * MAD_TO_SD * float(np.median(np.abs(steps - np.median(steps))))
    square = np.clip(steps, -bound, bound) ** 2
    (scale, twice_extra), *_ = np.linalg.lstsq(np.column_stack([pair_var, np.ones_like(pair_var)]), square)
    if twice_extra < 0:
        return Noise(float(square.sum() / pair_var.sum()), 0.0)
    if scale < 0:
        return Noise(0.0, float(square.mean()) / 2)
    return Noise(float(scale), float(twice_extra) / 2)


def level_var(days: Daily, spread: Noise, since_day: int) -> float:
    """The variance of the log level learned from the days since `since_day`, under the daily noise:
    the hourly model's own covariance knows the counts' noise but not the days' (weather, events)."""
    chosen = (days.expected >= MIN_DAY_EXPECTED) & (days.day >= since_day)
    weight = 1.0 / np.maximum(spread.var(days)[chosen], 1e-6)
    return float(1.0 / weight.sum()) if weight.size else 0.0


def change_points(days: Daily, spread: Noise) -> list[int]:
    """Indices (into the history's days) where a new level starts, oldest first."""
    useful = days.expected >= MIN_DAY_EXPECTED
    r = days.log_ratio[useful]
    weight = 1.0 / np.maximum(spread.var(days)[useful], 1e-6)
    day = days.day[useful]
    points: list[int] = []
    start = 0
    high = low = 0.0
    for t in range(len(r)):
        if t - start < SEGMENT_WARMUP_DAYS:
            continue
        reference = float(np.average(r[start:t], weights=weight[start:t]))
        # Self-starting: the reference is itself uncertain while its segment is young.
        z = (r[t] - reference) / np.sqrt(1.0 / weight[t] + 1.0 / float(weight[start:t].sum()))
        high, low = max(0.0, high + z - CUSUM_K), max(0.0, low - z - CUSUM_K)
        if high > CUSUM_H or low > CUSUM_H:
            start = _split(r[start : t + 1], weight[start : t + 1]) + start
            points.append(int(day[start]))
            high = low = 0.0
    return points


def _split(r: Floats, weight: Floats) -> int:
    """Where in `r` the mean most likely changed once (the weighted two-means likelihood's maximum),
    keeping a week before it: the CUSUM says that it changed, this says when."""
    total_w, total_rw = np.cumsum(weight), np.cumsum(weight * r)
    best, best_gain = len(r) - 1, -1.0
    for c in range(SEGMENT_WARMUP_DAYS, len(r)):
        before_w, before_rw = total_w[c - 1], total_rw[c - 1]
        after_w, after_rw = total_w[-1] - before_w, total_rw[-1] - before_rw
        gain = before_w * after_w / total_w[-1] * (after_rw / after_w - before_rw / before_w) ** 2
        if gain > best_gain:
            best, best_gain = c, float(gain)
    return best
