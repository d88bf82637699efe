"""Configured sensor types map to drivers explicitly; bad configs are refused with a reason."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from drivers.serial.a02yyuw import A02yyuwParser, JsnSr04tConfig
from drivers.serial.ld2410 import Ld2410Parser
from drivers.serial.ld2450 import Ld2450Config, Ld2450Parser
from drivers.serial.maxbotix import MaxbotixParser
from drivers.serial.readings import RangeReading
from drivers.serial.registry import SENSOR_TYPES, SensorConfig, open_sensor, parser_for

configs: TypeAdapter[SensorConfig] = TypeAdapter(SensorConfig)


@pytest.mark.parametrize(
    ("kind", "baud", "parser"),
    [
        ("ld2450", 256000, Ld2450Parser),
        ("ld2410", 256000, Ld2410Parser),
        ("a02yyuw", 9600, A02yyuwParser),
        ("jsn_sr04t", 9600, A02yyuwParser),
        ("maxbotix", 9600, MaxbotixParser),
    ],
)
def test_each_type_has_its_default_baud_and_parser(kind: str, baud: int, parser: type) -> None:
    config = configs.validate_python({"type": kind, "id": "door-1", "port": "/dev/ttyUSB0"})
    assert config.baud == baud
    assert isinstance(parser_for(config), parser)


def test_sensor_types_lists_every_configurable_type_once() -> None:
    assert SENSOR_TYPES == ("ld2450", "ld2410", "a02yyuw", "jsn_sr04t", "maxbotix")
    for kind in SENSOR_TYPES:  # and each one has a driver
        parser_for(configs.validate_python({"type": kind, "id": "x", "port": "/dev/x"}))


def test_jsn_sr04t_has_the_250_mm_blind_zone_and_clone_checksum_option() -> None:
    parser = parser_for(JsnSr04tConfig(id="queue", port="/dev/ttyUSB1", checksum_includes_header=False))
    assert parser.feed(bytes([0xFF, 0, 250, 250]) + bytes([0xFF, 1, 0, 1])) == [RangeReading(256)]


@pytest.mark.parametrize(
    "raw",
    [
        {"type": "ld2450", "id": "door 1", "port": "/dev/ttyUSB0"},  # space in id
        {"type": "ld2450", "id": "door", "port": "/dev/ttyUSB0", "bauds": 9600},  # unknown key
        {"type": "ld2450", "id": "door"},  # no port
        {"type": "thermal", "id": "door", "port": "/dev/ttyUSB0"},  # unknown type
        {"type": "ld2410", "id": "d", "port": "/dev/x", "reconnect_min_s": 5, "reconnect_max_s": 1},
    ],
)
def test_invalid_configs_are_refused(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        configs.validate_python(raw)


def test_configs_are_frozen() -> None:
    config = Ld2450Config(id="door", port="/dev/ttyUSB0")
    with pytest.raises(ValidationError):
        config.port = "/dev/ttyUSB1"  # type: ignore[misc]


def test_a_type_without_a_driver_is_a_clear_lookup_error() -> None:
    # A model whose type no driver claims: what a new config model added without a driver looks like.
    orphan = Ld2450Config.model_construct(id="door", port="/dev/ttyUSB0", type="thermal")  # type: ignore[arg-type]
    with pytest.raises(LookupError, match="no serial sensor driver registered for type 'thermal'"):
        parser_for(orphan)


def test_open_sensor_does_not_touch_the_port_until_read() -> None:
    reader = open_sensor(Ld2450Config(id="door", port="/nonexistent/ttyUSB9"))
    assert reader.describe() == "serial:/nonexistent/ttyUSB9@256000"
    assert not reader.opened.is_set()
