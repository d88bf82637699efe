"""Every number a config may hold has an upper bound: one that passes `config check` must not overflow
when the daemon turns it into bytes or a wait (int(inf), Event.wait(1e300))."""

from __future__ import annotations

from pathlib import Path

from device.config import Config
from device.config_file import parse_config
from device.mqtt.config import MqttConfig
from device.state.config import StorageConfig
from drivers.camera.opencv_source import OpenCVCameraConfig
from drivers.serial.ld2450 import Ld2450Config
from tests.config_limits import at_the_limits, section_models, unbounded_numbers


def test_every_number_a_config_can_hold_has_an_upper_bound() -> None:
    models = section_models()
    assert Config in models and OpenCVCameraConfig in models and Ld2450Config in models
    assert list(unbounded_numbers()) == []


def test_the_largest_values_are_accepted_and_stay_numbers() -> None:
    text = (
        '[branch]\nid = "0427"\n'
        + at_the_limits("mqtt", MqttConfig)
        + at_the_limits("storage", StorageConfig)
    )
    config = parse_config(text, Path("k.toml"))
    assert config.mqtt.reconnect_max_s == 3600
    assert int(config.storage.outbox_budget_mb * 1024 * 1024) == 1_000_000 * 2**20
