"""Every configurable serial sensor has an emulator, and each pair talks end to end over a pty."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import TypeAdapter

from drivers.emulators.registry import EMULATORS, emulator_for
from drivers.emulators.scenario import Scenario, Walker
from drivers.serial.geometry import Placement
from drivers.serial.readings import PresenceReading, RangeReading, TargetsReading
from drivers.serial.registry import AnySensorConfig, SensorConfig, open_sensor
from tests.drivers.serial.collect import Collector

CONFIG_TYPES = {get_args(model.model_fields["type"].annotation)[0] for model in get_args(AnySensorConfig)}
STANDING_AT_2M = Scenario((Walker(((0.0, 0.0, 2.0), (1000.0, 0.0, 2.0))),), 1000.0)
EXPECTED = {
    "ld2450": TargetsReading,
    "ld2410": PresenceReading,
    "a02yyuw": RangeReading,
    "jsn_sr04t": RangeReading,
    "maxbotix": RangeReading,
}


def test_every_configurable_sensor_type_has_an_emulator() -> None:
    assert set(EMULATORS) == CONFIG_TYPES == set(EXPECTED)


def test_an_unknown_type_is_a_clear_lookup_error() -> None:
    with pytest.raises(LookupError, match="no emulator for serial sensor type 'thermal'"):
        emulator_for("thermal", STANDING_AT_2M, Placement(0, 0, 0))


@pytest.mark.parametrize("sensor_type", sorted(EXPECTED))
def test_configured_sensor_reads_its_emulator(sensor_type: str) -> None:
    emulator = emulator_for(sensor_type, STANDING_AT_2M, Placement(0.0, 0.0, 0.0), speed=5.0)
    path = emulator.start()
    try:
        raw = {
            "type": sensor_type,
            "id": "door-1",
            "port": path,
            "reconnect_min_s": 0.02,
            "reconnect_max_s": 0.1,
        }
        config = TypeAdapter(SensorConfig).validate_python(raw)
        with Collector(open_sensor(config)) as collector:
            readings = collector.take(3)
    finally:
        emulator.stop()
    assert all(isinstance(r, EXPECTED[sensor_type]) for r in readings)
    for reading in readings:  # the person 2 m ahead, as each protocol expresses it
        match reading:
            case TargetsReading(targets):
                assert [(t.x_mm, t.y_mm) for t in targets] == [(0, 2000)]
            case PresenceReading() as presence:
                assert presence.detection_cm == 200
            case RangeReading(distance):
                assert distance == 2000
