"""Hourly visit series and forecasts as plain data, and the backtest's measures. numpy only: the daemon
handles these without loading the model's libraries (device.analytics.forecast runs in a child)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

HOUR_S = 3600
WEEK_H = 168
# Below this much history there are not two of each hour of the week to learn from.
MIN_HISTORY_DAYS = 14
LEVEL = 0.8  # the prediction intervals' coverage

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class HourlyHistory:
    """Visits per hour; `starts` are consecutive whole hours (epoch seconds), gaps filled with 0.

    `watched`: the hours the kiosk was counting (its camera delivering frames). An hour not watched
    is missing data, not an hour without visitors; None means every hour was watched."""

    starts: Floats
    counts: Ints
    watched: npt.NDArray[np.bool_] | None = None

    @property
    def watched_mask(self) -> npt.NDArray[np.bool_]:
        return np.ones(len(self.starts), dtype=bool) if self.watched is None else self.watched

    @property
    def days(self) -> float:
        return len(self.starts) / 24

    @classmethod
    def from_bins(
        cls,
        bins: dict[float, int],
        since: float,
        until: float,
        watched: Callable[[float], bool] | None = None,
    ) -> HourlyHistory:
        first = since - since % HOUR_S
        starts = np.arange(first, until, HOUR_S, dtype=np.float64)
        counts = np.array([bins.get(float(start), 0) for start in starts], dtype=np.int64)
        if watched is None:
            return cls(starts, counts)
        # An hour with visits was watched, whatever the record says: someone counted them.
        seen = np.array([watched(float(start)) for start in starts], dtype=bool) | (counts > 0)
        return cls(starts, counts, seen)

    def split(self, hours: int) -> tuple[HourlyHistory, HourlyHistory]:
        """(all but the last `hours`, the last `hours`): for backtesting on a held-out tail."""
        watched = self.watched_mask
        return (
            HourlyHistory(self.starts[:-hours], self.counts[:-hours], watched[:-hours]),
            HourlyHistory(self.starts[-hours:], self.counts[-hours:], watched[-hours:]),
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
    # Said when the forecast rests on little: a recent level shift, an outage, a closure. Its
    # intervals are then wider (the level's own uncertainty is in them); the reason is for people.
    unsure_reason: str | None = None

    @property
    def unsure(self) -> bool:
        return self.unsure_reason is not None

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
