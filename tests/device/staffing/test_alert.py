"""The live queue alert: what misses the target, and the hysteresis that keeps a noisy line from flapping."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from device.analytics.series import Forecast
from device.floor.records import FloorSnapshot
from device.staffing.alert import (
    CLEAR_BELOW,
    Level,
    OpenCounters,
    QueueAlert,
    arrivals_next,
    assess,
    counters_busy,
)
from device.staffing.config import StaffingConfig

SETTINGS = StaffingConfig(target_wait_s=300.0, target_share=0.8, max_counters=4)
COUNTERS = ("counter-1", "counter-2", "counter-3", "counter-4")
SERVICE_S = 120.0
STEP_S = 2.0  # the floor's snapshot interval in these runs


def snapshot(queue: int, busy: int = 1, wait_s: float | None = None) -> FloorSnapshot:
    zones = {name: int(i < busy) for i, name in enumerate(COUNTERS)}
    wait = queue * SERVICE_S / max(1, busy) if wait_s is None else wait_s
    return FloorSnapshot(0.0, queue + busy, zones, {}, {}, queue, wait)


def level_of(wait_s: float) -> Level:
    # One in line at the one counter open, whose service takes `wait_s`: the next one waits that long.
    return assess(snapshot(1, wait_s=wait_s), 1, wait_s, None, SETTINGS).level


def transitions(alert: QueueAlert, waits: list[float], start: float = 0.0) -> list[tuple[float, bool]]:
    """(time, raised) at every change, feeding one wait per STEP_S."""
    changes = []
    for i, wait in enumerate(waits):
        now = start + i * STEP_S
        if alert.observe(now, level_of(wait)):
            changes.append((now, alert.raised))
    return changes


def phase(rng: np.random.Generator, minutes: float, mean_s: float, noise_s: float) -> list[float]:
    return list(np.clip(rng.normal(mean_s, noise_s, int(minutes * 60 / STEP_S)), 0.0, None))


def test_a_noisy_busy_spell_raises_once_and_clears_once() -> None:
    rng = np.random.default_rng(18)
    quiet, busy = phase(rng, 10, 60, 40), phase(rng, 20, 600, 150)  # a busy line dips under 300 now and then
    hovering, calm = phase(rng, 20, 300, 100), phase(rng, 20, 60, 25)
    waits = quiet + busy + hovering + calm
    naive = sum((a > 300) != (b > 300) for a, b in itertools.pairwise(waits))
    assert naive > 50  # the raw signal flaps: what the screens would show without hysteresis

    changes = transitions(QueueAlert(60.0, 300.0), waits)

    assert [raised for _, raised in changes] == [True, False]
    busy_from, calm_from = len(quiet) * STEP_S, (len(quiet) + len(busy) + len(hovering)) * STEP_S
    raised_at, cleared_at = changes[0][0], changes[1][0]
    assert busy_from + 60.0 <= raised_at < busy_from + 600.0
    # Hovering at the target is the dead band: the alert stays until the line is truly short again.
    assert calm_from + 300.0 <= cleared_at < calm_from + 600.0


def test_a_line_in_the_dead_band_neither_raises_nor_clears() -> None:
    rng = np.random.default_rng(7)
    band = list(np.clip(rng.normal(225, 30, 900), CLEAR_BELOW * 300 + 1, 300))  # 30 minutes
    assert transitions(QueueAlert(60.0, 300.0), band) == []
    raised = QueueAlert(0.0, 300.0)
    assert raised.observe(0.0, Level.MISSED) and raised.raised
    assert transitions(raised, band, start=STEP_S) == []
    assert raised.raised


def test_a_break_in_the_missed_run_starts_its_clock_again() -> None:
    alert = QueueAlert(60.0, 300.0)
    for now in np.arange(0.0, 58.0, STEP_S):
        assert not alert.observe(float(now), Level.MISSED)
    assert not alert.observe(58.0, Level.MET)
    assert not any(alert.observe(float(now), Level.MISSED) for now in np.arange(60.0, 118.0, STEP_S))
    assert alert.observe(120.0, Level.MISSED) and alert.raised and alert.raised_count == 1
    # Raised, a single comfortable moment among missed ones clears nothing.
    assert not alert.observe(122.0, Level.COMFORTABLE)
    assert not alert.observe(500.0, Level.MISSED)
    assert alert.raised


def test_clear_waits_for_clear_after_s_of_comfort() -> None:
    alert = QueueAlert(0.0, 300.0)
    alert.observe(0.0, Level.MISSED)
    assert not alert.observe(10.0, Level.COMFORTABLE)
    assert not alert.observe(309.0, Level.COMFORTABLE)
    assert alert.observe(310.0, Level.COMFORTABLE) and not alert.raised
    assert alert.changed_at == 310.0
    assert alert.observe(311.0, Level.MISSED) and alert.raised_count == 2


def test_counters_busy_are_the_occupied_counter_zones() -> None:
    assert counters_busy(snapshot(0, busy=0), COUNTERS) == 0
    assert counters_busy(snapshot(0, busy=3), COUNTERS) == 3
    waiting_area = FloorSnapshot(0.0, 5, {"queue": 5, "counter-1": 1}, {}, {}, 5, 600)
    assert counters_busy(waiting_area, COUNTERS) == 1


def test_a_counter_busy_in_the_last_quarter_hour_is_open_while_its_next_customer_walks_up() -> None:
    counters = OpenCounters(window_s=900.0)
    assert counters.observe(0.0, 0) == 1  # none seen busy yet: one teller, as the floor's estimate assumes
    assert counters.observe(10.0, 2) == 2
    assert counters.observe(20.0, 1) == 2  # between two customers at the second counter
    assert counters.observe(500.0, 3) == 3
    assert counters.observe(909.0, 1) == 3
    assert counters.observe(1401.0, 1) == 1  # nobody at the other two for a quarter hour: closed


def test_the_line_asks_for_the_counters_that_bring_its_wait_within_the_target() -> None:
    # 6 waiting, 2 minutes each, one counter busy: 12 minutes; 3 counters bring it to 4.
    found = assess(snapshot(6, busy=1), 1, SERVICE_S, None, SETTINGS)
    assert found.level is Level.MISSED and found.reasons == ("line",)
    assert (found.counters_open, found.counters_needed, found.more_counters) == (1, 3, 2)
    assert found.estimated_wait_s == 720.0 and found.queue_length == 6
    assert assess(snapshot(2, busy=1), 1, SERVICE_S, None, SETTINGS).level is Level.MET
    assert assess(snapshot(1, busy=1), 1, SERVICE_S, None, SETTINGS).level is Level.COMFORTABLE
    # One counter busy this instant, two open: 6 minutes, not 12; a third brings it within.
    two_open = assess(snapshot(6, busy=1), 2, SERVICE_S, None, SETTINGS)
    assert two_open.reasons == ("line",) and two_open.more_counters == 1
    assert two_open.estimated_wait_s == 720.0  # shown as the floor says it, beside its queue line


def test_with_every_counter_open_there_is_nothing_to_ask_for() -> None:
    found = assess(snapshot(20, busy=4), 4, SERVICE_S, None, SETTINGS)
    assert found.level is not Level.MISSED and found.more_counters == 0


def test_the_forecast_asks_for_a_counter_before_the_line_forms() -> None:
    # 45 an hour at 2 minutes each is 1.5 Erlangs: one counter cannot serve it at all.
    found = assess(snapshot(0, busy=1), 1, SERVICE_S, 45.0, SETTINGS)
    assert found.level is Level.MISSED and found.reasons == ("forecast",)
    assert found.counters_open == 1 and found.more_counters >= 1
    # 10 an hour: one counter keeps 80 % within 5 minutes, comfortably so.
    assert assess(snapshot(0, busy=1), 1, SERVICE_S, 10.0, SETTINGS).level is Level.COMFORTABLE
    both = assess(snapshot(8, busy=1), 1, SERVICE_S, 45.0, SETTINGS)
    assert both.reasons == ("line", "forecast")


def forecast(first_start: float, means: list[float]) -> Forecast:
    starts = np.array([first_start + 3600.0 * i for i in range(len(means))])
    mean = np.array(means, dtype=np.float64)
    whole = np.round(mean).astype(np.int64)
    return Forecast(starts, mean, whole, whole, 0.0, 28.0, None, fit_s=0.0)


def test_the_next_half_hour_weights_each_hour_by_its_overlap() -> None:
    hours = forecast(0.0, [10.0, 40.0])
    assert arrivals_next(hours, 0.0) == pytest.approx(10.0)
    assert arrivals_next(hours, 3600.0 - 900.0) == pytest.approx(25.0)  # a quarter hour of each
    assert arrivals_next(hours, 3600.0 + 1800.0) == pytest.approx(40.0)
    assert arrivals_next(hours, 3600.0 + 2000.0) is None  # past the forecast's end: stale
    assert arrivals_next(hours, -10.0) is None  # before its start
    assert arrivals_next(None, 0.0) is None
