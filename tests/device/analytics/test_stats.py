"""Visit statistics read like a manager's questions: when, how many, who (in groups of k or more)."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np

from device.analytics.data import VisitBin, Visitor
from device.analytics.privacy import Group
from device.analytics.stats import age_label, visit_stats
from tests.device.analytics.branch_data import _floor_bin

FIRST, LAST = date(2026, 11, 1), date(2026, 11, 30)


def at(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, day, hour, minute).timestamp()


def visitors(band: str, n: int, visits: int = 1, interests: tuple[str, ...] = ()) -> list[Visitor]:
    return [Visitor(f"{band}-{i}", visits, band, interests) for i in range(n)]


def test_visits_by_hour_weekday_day_and_quarter_hour() -> None:
    bins = [
        VisitBin(at(2, 10, 0), 1, 3),  # Monday 2 November, 10:00-10:15
        VisitBin(at(2, 10, 45), 0, 2),
        VisitBin(at(9, 10, 15), 2, 2),  # the next Monday
        VisitBin(at(4, 14, 30), 0, 1),  # Wednesday
        VisitBin(at(30, 23, 45) + 3600, 9, 9),  # 1 December, outside the month: not counted
    ]
    stats = visit_stats(FIRST, LAST, bins, [])
    assert (stats.visits, stats.identified, stats.unidentified) == (11, 3, 8)
    assert abs(stats.face_share - 3 / 11) < 1e-9
    # Five Mondays in November 2026: 10 visits in Monday 10:00-11:00 hours make 2 an hour.
    assert stats.hour_weekday[0, 10] == 2.0
    assert stats.hour_weekday[2, 14] == 1 / 4  # four Wednesdays
    assert dict(stats.per_day)[date(2026, 11, 2)] == 6
    assert stats.open_days == 3
    assert stats.quarter_hour_profile[10 * 4] == 4 / 3  # 10:00-10:15 over the three open days
    assert stats.busiest[0].label() == "Mon 10:00-11:00"
    assert stats.weekday_mean[0] == 2.0


def test_age_bands_come_from_the_profile_and_small_ones_are_merged() -> None:
    people = visitors("1980-1989", 6) + visitors("1990-1999", 5) + visitors("2000-2009", 2)
    people += [Visitor("no-band", 1, None, ())]
    stats = visit_stats(FIRST, LAST, [], people)
    # 2 + 1 people would be "other: 3": the smallest shown band (5) is folded in with them.
    assert stats.age_groups == (
        Group("aged 37-46 (born 1980s)", 6),
        Group("other ages", 8, ("aged 17-26 (born 2000s)", "aged 27-36 (born 1990s)", "not given")),
    )


def test_age_label_is_the_ages_reached_in_the_year() -> None:
    assert age_label("1980-1989", 2026) == "aged 37-46 (born 1980s)"


def test_interests_count_people_and_hide_rare_ones() -> None:
    people = visitors("1980-1989", 7, interests=("Savings",)) + visitors(
        "1990-1999", 2, interests=("car loan",)
    )
    people += visitors("1970-1979", 5, interests=("pensions", "savings"))
    stats = visit_stats(FIRST, LAST, [], people)
    assert stats.interest_groups == (
        Group("savings", 12),
        Group("pensions", 5),
        Group("other interests", None, ("car loan",)),
    )


def test_repeat_visits_are_grouped_by_how_often_customers_came() -> None:
    people = visitors("1980-1989", 6, visits=1) + visitors("1990-1999", 5, visits=3)
    stats = visit_stats(FIRST, LAST, [], people)
    assert stats.repeat_groups == (Group("1 visit", 6), Group("3 or more visits", 5))


def test_queue_wait_and_dwell_come_from_the_floor_bins_by_zone_kind() -> None:
    rng = np.random.default_rng(0)
    floor = [_floor_bin(at(2, hour), 10, rng) for hour in range(9, 17)]
    kinds = {"queue": "queue", "counter 1": "counter", "waiting": "waiting"}
    stats = visit_stats(FIRST, LAST, [], [], floor, kinds)
    assert stats.queue_wait is not None and stats.dwell is not None
    assert stats.queue_wait.visits == 80
    assert stats.dwell.visits == 80 + 8 * 3
    assert sum(visits for _, visits in stats.queue_wait.buckets) == 80
    queue_means = sorted(b.zone_mean_dwell_s["queue"] or 0 for b in floor)
    assert queue_means[0] <= (stats.queue_wait.median_s or 0) <= queue_means[-1]
    assert visit_stats(FIRST, LAST, [], [], [], kinds).queue_wait is None
