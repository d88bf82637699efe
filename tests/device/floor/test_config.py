"""The floor plan is checked once: zones and door lines on the floor, names unique, nothing unknown."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from device.floor.config import FloorConfig


def plan(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "width_m": 8.0,
        "depth_m": 6.0,
        "zones": [{"name": "queue", "kind": "queue", "polygon": [(5, 1), (7, 1), (7, 4), (5, 4)]}],
        "door_lines": [{"name": "main", "a": (1, 0), "b": (3, 0), "inside": "left"}],
    }
    return {**base, **overrides}


def test_a_plain_rectangle_plan_is_valid_with_defaults() -> None:
    config = FloorConfig.model_validate(plan())
    assert config.floor_polygon == [(0, 0), (8, 0), (8, 6), (0, 6)]
    assert config.grid_shape == (24, 32)
    assert config.bin_s == 900 and config.cell_size_m == 0.25 and config.min_dwell_s == 10.0


def test_grid_covers_a_floor_that_is_not_a_whole_number_of_cells() -> None:
    assert FloorConfig.model_validate(plan(width_m=8.1, cell_size_m=0.5)).grid_shape == (12, 17)


def test_a_zone_reaching_outside_the_floor_is_rejected() -> None:
    zones = [{"name": "street", "kind": "waiting", "polygon": [(6, 1), (9, 1), (9, 3)]}]
    with pytest.raises(ValidationError, match="'street' reaches outside"):
        FloorConfig.model_validate(plan(zones=zones))


def test_a_zone_in_the_notch_of_an_l_shaped_outline_is_rejected() -> None:
    outline = [(0, 0), (8, 0), (8, 3), (4, 3), (4, 6), (0, 6)]
    with pytest.raises(ValidationError, match="'queue' reaches outside"):
        FloorConfig.model_validate(plan(outline=outline))


def test_a_zone_without_area_or_with_two_corners_is_rejected() -> None:
    for polygon in ([(1, 1), (2, 2), (3, 3)], [(1, 1), (2, 2)]):
        zones = [{"name": "flat", "kind": "queue", "polygon": polygon}]
        with pytest.raises(ValidationError):
            FloorConfig.model_validate(plan(zones=zones))


def test_a_door_line_must_be_a_real_line_on_the_floor() -> None:
    too_short = [{"name": "dot", "a": (1, 0), "b": (1.1, 0), "inside": "left"}]
    with pytest.raises(ValidationError, match=r"'dot' is 0\.10 m long"):
        FloorConfig.model_validate(plan(door_lines=too_short))
    off_floor = [{"name": "car park", "a": (1, -2), "b": (3, -2), "inside": "left"}]
    with pytest.raises(ValidationError, match="'car park' is not on the floor"):
        FloorConfig.model_validate(plan(door_lines=off_floor))


def test_names_must_be_unique() -> None:
    line = {"name": "main", "a": (1, 0), "b": (3, 0), "inside": "left"}
    with pytest.raises(ValidationError, match=r"door line names must be unique: \['main'\]"):
        FloorConfig.model_validate(plan(door_lines=[line, line]))


def test_unknown_keys_and_unknown_zone_kinds_are_rejected() -> None:
    with pytest.raises(ValidationError, match="colour"):
        FloorConfig.model_validate(plan(colour="blue"))
    zones = [{"name": "bar", "kind": "bar", "polygon": [(5, 1), (7, 1), (7, 4)]}]
    with pytest.raises(ValidationError, match="kind"):
        FloorConfig.model_validate(plan(zones=zones))


def test_the_config_is_frozen() -> None:
    config = FloorConfig.model_validate(plan())
    with pytest.raises(ValidationError):
        config.width_m = 9.0  # type: ignore[misc]
