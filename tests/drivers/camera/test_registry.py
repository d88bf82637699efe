"""The camera registry: every configurable type has a driver, and every driver a config model."""

from __future__ import annotations

from drivers.camera.registry import _CONFIGS, CAMERA_TYPES


def test_every_camera_config_model_has_a_driver_and_every_driver_a_model() -> None:
    assert sorted(str(model.model_fields["type"].default) for model in _CONFIGS) == sorted(CAMERA_TYPES)
