"""Scripted walkers: piecewise-linear paths, present only while their script covers the time."""

from __future__ import annotations

import pytest

from drivers.emulators.scenario import Scenario, Walker, door_traffic


def test_a_walker_moves_linearly_between_points() -> None:
    walker = Walker(((0.0, 0.0, 0.0), (10.0, 10.0, 0.0), (20.0, 10.0, 5.0)))
    assert walker.position_at(5.0) == pytest.approx((5.0, 0.0))
    assert walker.position_at(15.0) == pytest.approx((10.0, 2.5))
    assert walker.position_at(20.0) == pytest.approx((10.0, 5.0))


def test_only_walkers_whose_path_covers_t_are_on_the_floor() -> None:
    scenario = Scenario(
        (Walker(((0.0, 1.0, 1.0), (2.0, 1.0, 3.0))), Walker(((1.0, 5.0, 5.0), (3.0, 5.0, 5.0)))), 3
    )
    assert scenario.positions_at(-0.1) == []
    assert scenario.positions_at(0.5) == [(0, 1.0, 1.5)]
    assert scenario.positions_at(1.5) == [(0, 1.0, 2.5), (1, 5.0, 5.0)]
    assert scenario.positions_at(2.5) == [(1, 5.0, 5.0)]


def test_times_must_increase() -> None:
    with pytest.raises(ValueError, match="increase"):
        Walker(((0.0, 0.0, 0.0), (0.0, 1.0, 1.0)))
    with pytest.raises(ValueError):
        Walker(())


def test_the_canned_door_traffic_has_people_for_a_minute() -> None:
    scenario = door_traffic()
    assert scenario.duration_s == 60.0
    assert len(scenario.positions_at(18.0)) == 3
    assert scenario.positions_at(59.0) == []
