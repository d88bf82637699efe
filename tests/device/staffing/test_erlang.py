"""Erlang C as textbooks give it, and held to a discrete-event simulation of the same queue."""

from __future__ import annotations

import math

import pytest

from bench.queue_sim import simulate
from device.staffing.erlang import counters_needed, erlang_c, outlook


def test_erlang_c_matches_the_textbook_value() -> None:
    # 2 Erlangs on 3 servers: C = 4/9 (e.g. Kleinrock; a^c/c! * c/(c-a) over the sum).
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: the utilisation
    assert erlang_c(2, 2.0) == 1.0 and erlang_c(4, 0.0) == 0.0


def test_an_overloaded_line_waits_for_ever() -> None:
    result = outlook(60, 120, 2, 300)  # 2 Erlangs on 2 counters
    assert math.isinf(result.mean_wait_s) and result.served_within_target == 0.0


def test_the_fewest_counters_meeting_the_target_are_chosen() -> None:
    plan = counters_needed(40, 240, target_wait_s=300, target_share=0.8)
    fewer = outlook(40, 240, plan.counters - 1, 300)
    assert plan.served_within_target >= 0.8 > fewer.served_within_target
    assert counters_needed(0, 240, 300, 0.8).counters == 0


@pytest.mark.parametrize(
    ("arrivals_per_h", "mean_service_s", "counters", "cv"),
    [(12, 240, 2, 1.0), (30, 240, 3, 1.0), (30, 240, 3, 0.6), (45, 300, 5, 1.3), (20, 420, 4, 0.8)],
)
def test_the_predicted_wait_is_within_20_percent_of_a_simulated_one(
    arrivals_per_h: float, mean_service_s: float, counters: int, cv: float
) -> None:
    predicted = outlook(arrivals_per_h, mean_service_s, counters, 300, cv)
    waits = simulate(arrivals_per_h, mean_service_s, counters, cv, hours=4000, seed=7)
    assert predicted.mean_wait_s == pytest.approx(float(waits.mean()), rel=0.2)
    assert predicted.served_within_target == pytest.approx(float((waits <= 300).mean()), abs=0.05)


def test_a_load_beyond_every_counter_asks_for_no_more_than_the_branch_has() -> None:
    rush = counters_needed(200, 240, 300, 0.8, max_counters=3)  # 13 Erlangs, 3 counters
    assert rush.counters == 3 and math.isinf(rush.mean_wait_s) and rush.served_within_target == 0.0
