"""Synthetic branches that change: the forecast's bench (bench/forecast.py) and tests.

Each scenario is a year of device/analytics/synthetic.py's branch with one kind of change real
footfall has, the truth (each hour's expected visits) kept for scoring. The sizes are round, plausible
figures (a new office nearby: +50 %; a renovation: -40 %), not chosen to suit any model. `origin_day`
is where the forecast starts; "late" changes fall a few days before it, when the forecast has only
those days to learn the new level from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from device.analytics.synthetic import SyntheticBranch, synthetic_branch

FIRST_DAY = date(2026, 1, 1)
DAYS = 365
ORIGIN_DAY = DAYS - 30
SHIFT_UP, SHIFT_DOWN = 1.5, 0.6
LATE_SHIFT_DAYS = 5  # before the origin
SCHOOL_HOLIDAY_LEVEL = 0.7
# Easter, summer, autumn and Christmas (inside the forecast month).
SCHOOL_HOLIDAYS = (
    (date(2026, 3, 30), date(2026, 4, 10)),
    (date(2026, 7, 13), date(2026, 8, 21)),
    (date(2026, 10, 26), date(2026, 11, 6)),
    (date(2026, 12, 21), date(2026, 12, 31)),
)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    shift_day: int | None  # the day a lasting level shift starts, for the bench's days-to-recover
    build: Callable[[int], SyntheticBranch]
    school_holidays: tuple[tuple[date, date], ...] = ()  # what the forecast is told


def _stepped(seed: int, day: int, factor: float) -> SyntheticBranch:
    level = np.ones(DAYS)
    level[day:] = factor
    return synthetic_branch(FIRST_DAY, DAYS, seed=seed, day_level=level)


def _closure(seed: int) -> SyntheticBranch:
    level = np.ones(DAYS)
    level[ORIGIN_DAY - 24 : ORIGIN_DAY - 14] = 0.0  # ten days shut, reopened two weeks before the origin
    return synthetic_branch(FIRST_DAY, DAYS, seed=seed, day_level=level)


def _school_holidays(seed: int) -> SyntheticBranch:
    """SCHOOL_HOLIDAYS: weeks at another level."""
    level = np.ones(DAYS)
    for first, last in SCHOOL_HOLIDAYS:
        level[(first - FIRST_DAY).days : (last - FIRST_DAY).days + 1] = SCHOOL_HOLIDAY_LEVEL
    return synthetic_branch(FIRST_DAY, DAYS, seed=seed, day_level=level)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "steady", "today's synthetic seeds: fixed week, smooth trend", None, lambda seed: _stepped(seed, 0, 1)
    ),
    Scenario(
        "shift up mid",
        f"x{SHIFT_UP} from mid-year",
        DAYS // 2,
        lambda seed: _stepped(seed, DAYS // 2, SHIFT_UP),
    ),
    Scenario(
        "shift down mid",
        f"x{SHIFT_DOWN} from mid-year",
        DAYS // 2,
        lambda seed: _stepped(seed, DAYS // 2, SHIFT_DOWN),
    ),
    Scenario(
        "shift up late",
        f"x{SHIFT_UP} from {LATE_SHIFT_DAYS} days before the origin",
        ORIGIN_DAY - LATE_SHIFT_DAYS,
        lambda seed: _stepped(seed, ORIGIN_DAY - LATE_SHIFT_DAYS, SHIFT_UP),
    ),
    Scenario(
        "shift down late",
        f"x{SHIFT_DOWN} from {LATE_SHIFT_DAYS} days before the origin",
        ORIGIN_DAY - LATE_SHIFT_DAYS,
        lambda seed: _stepped(seed, ORIGIN_DAY - LATE_SHIFT_DAYS, SHIFT_DOWN),
    ),
    Scenario(
        "outage",
        "kiosk off for a week, three weeks before the origin (hours not watched)",
        None,
        lambda seed: synthetic_branch(
            FIRST_DAY, DAYS, seed=seed, unwatched_days=range(ORIGIN_DAY - 21, ORIGIN_DAY - 14)
        ),
    ),
    Scenario(
        "closure", "shut for ten days (real zeros), reopened two weeks before the origin", None, _closure
    ),
    Scenario(
        "school holidays",
        f"x{SCHOOL_HOLIDAY_LEVEL} in Easter, summer, autumn and Christmas weeks, not told",
        None,
        _school_holidays,
    ),
    Scenario(
        "school holidays known",
        "the same, the dates given ([analytics] school_holidays)",
        None,
        _school_holidays,
        SCHOOL_HOLIDAYS,
    ),
    Scenario(
        "changing week",
        "the weekly shape drifts all year toward afternoons and Fridays",
        None,
        lambda seed: synthetic_branch(FIRST_DAY, DAYS, seed=seed, weekly_drift=1.0),
    ),
)


def scenario(name: str) -> Scenario:
    return next(s for s in SCENARIOS if s.name == name)
