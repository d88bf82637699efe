"""Where the branch's level of traffic changed: shut days, and shifts found by a CUSUM on daily residuals.

A branch's footfall moves in steps (a renovation, a new office nearby, a lockdown, school holidays) and
stays there. Each day's visits are compared with what the fitted weekly shape expected for the hours
the kiosk watched that day; the log of that ratio is standardised by its own noise (the negative
binomial's for that day's expected count, plus the day-to-day variation the model cannot know) and fed
to a two-sided tabular CUSUM (Page 1954). The textbook reference k = 0.5 and decision interval h = 5
standard deviations give about one false alarm in 465 days per direction, and find a shift of two
standard deviations in about four days, one of four in about two: "within days", without tuning to any
data. The change point is the day after the CUSUM last stood at zero, not the day of the alarm. After
a change, the reference is the mean of the new segment so far, so a second shift is found too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from device.analytics.series import Floats, Ints

CUSUM_K = 0.5
CUSUM_H = 5.0
# A new segment's reference needs a few days of its own before the next change can be judged.
SEGMENT_WARMUP_DAYS = 3
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


def day_to_day_var(days: Daily) -> float:
    """The variance of the daily level the model cannot know (weather, events), robustly: from the
    median absolute difference of consecutive days, which a level shift barely moves."""
    if len(days.day) < 3:
        return 0.0
    steps = np.diff(days.log_ratio)
    total = (MAD_TO_SD * float(np.median(np.abs(steps - np.median(steps))))) ** 2 / 2
    return max(0.0, total - float(np.median(days.sampling_var)))


def change_points(days: Daily, extra_var: float) -> list[int]:
    """Indices (into the history's days) where a new level starts, oldest first."""
    useful = days.expected >= MIN_DAY_EXPECTED
    r = days.log_ratio[useful]
    weight = 1.0 / (days.sampling_var[useful] + extra_var)
    day = days.day[useful]
    points: list[int] = []
    start = 0
    high = low = 0.0
    high_from = low_from = 0
    for t in range(len(r)):
        if t - start < SEGMENT_WARMUP_DAYS:
            high_from = low_from = t + 1
            continue
        reference = float(np.average(r[start:t], weights=weight[start:t]))
        z = (r[t] - reference) * np.sqrt(weight[t])
        high, low = max(0.0, high + z - CUSUM_K), max(0.0, low - z - CUSUM_K)
        if high == 0.0:
            high_from = t + 1
        if low == 0.0:
            low_from = t + 1
        if high > CUSUM_H or low > CUSUM_H:
            start = min(high_from if high > CUSUM_H else low_from, t)
            points.append(int(day[start]))
            high = low = 0.0
            high_from = low_from = t + 1
    return points
