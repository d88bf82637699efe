"""The explicit map from a configured camera `type` to its driver."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, get_args

from pydantic import BeforeValidator, Field

from drivers.camera.base import Camera
from drivers.camera.opencv_source import OpenCVCamera, OpenCVCameraConfig
from drivers.camera.scene import SceneCamera, SceneCameraConfig

AnyCameraConfig = OpenCVCameraConfig | SceneCameraConfig
_CONFIGS: tuple[type[AnyCameraConfig], ...] = get_args(AnyCameraConfig)


def _keys_of(config: type[AnyCameraConfig]) -> frozenset[str]:
    return frozenset(config.model_fields)


def _only_the_chosen_types_keys(table: Any) -> Any:
    """A `[camera]` table holds the keys of every type (the shipped config does), so that switching
    cameras is one line: `type`. Those of the types not chosen are ignored; a key no type has is
    still refused as unknown."""
    if not isinstance(table, dict):
        return table
    chosen = next((c for c in _CONFIGS if c.model_fields["type"].default == table.get("type")), None)
    if chosen is None:  # no or an unknown type: the discriminator says so
        return table
    others = frozenset().union(*(_keys_of(c) for c in _CONFIGS if c is not chosen)) - _keys_of(chosen)
    return {key: value for key, value in table.items() if key not in others}


CameraConfig = Annotated[
    AnyCameraConfig,
    Field(discriminator="type"),
    BeforeValidator(_only_the_chosen_types_keys),
]

_DRIVERS: dict[str, Callable[[Any], Camera]] = {
    "opencv": OpenCVCamera,
    "scene": SceneCamera,
}
CAMERA_TYPES = tuple(_DRIVERS)


def open_camera(config: AnyCameraConfig) -> Camera:
    try:
        factory = _DRIVERS[config.type]
    except KeyError:  # a config model without a driver is a programming error, not a user one
        raise LookupError(f"no camera driver registered for type {config.type!r}") from None
    return factory(config)
