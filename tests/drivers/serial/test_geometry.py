"""Floor metres to sensor-local millimetres and back: +y ahead, +x to the sensor's right."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.serial.geometry import Placement


def test_a_sensor_facing_floor_plus_y_sees_floor_plus_x_on_its_right() -> None:
    sensor = Placement(1.0, 2.0, 0.0)
    assert sensor.to_sensor(1.0, 4.5) == (0, 2500)
    assert sensor.to_sensor(2.0, 3.0) == (1000, 1000)
    assert sensor.bearing_deg(2.0, 3.0) == pytest.approx(45.0)


def test_heading_is_counter_clockwise_from_floor_plus_y() -> None:
    facing_minus_x = Placement(0.0, 0.0, 90.0)
    assert facing_minus_x.to_sensor(-2.0, 0.0) == (0, 2000)
    assert facing_minus_x.to_sensor(0.0, 1.0) == (1000, 0)  # facing west, north is on the right
    facing_minus_y = Placement(0.0, 0.0, 180.0)
    assert facing_minus_y.to_sensor(0.0, -3.0) == (0, 3000)
    assert facing_minus_y.to_sensor(1.0, -1.0) == (-1000, 1000)


def test_the_documented_example_target_lands_on_the_floor() -> None:
    # LD2450 worked example x = -782 mm, y = 1713 mm, from a sensor at (4, 0) looking into the room.
    assert Placement(4.0, 0.0, 0.0).to_floor(-782, 1713) == pytest.approx((3.218, 1.713))


coordinate = st.floats(min_value=-50, max_value=50, allow_nan=False)


@given(sx=coordinate, sy=coordinate, heading=st.floats(-720, 720), x=coordinate, y=coordinate)
def test_to_floor_undoes_to_sensor_to_the_millimetre(
    sx: float, sy: float, heading: float, x: float, y: float
) -> None:
    placement = Placement(sx, sy, heading)
    back = placement.to_floor(*placement.to_sensor(x, y))
    assert back == pytest.approx((x, y), abs=0.001)
