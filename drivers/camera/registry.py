"""The explicit map from a configured camera `type` to its driver."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

from drivers.camera.base import Camera
from drivers.camera.opencv_source import OpenCVCamera, OpenCVCameraConfig
from drivers.camera.scene import SceneCamera, SceneCameraConfig

CameraConfig = Annotated[OpenCVCameraConfig | SceneCameraConfig, Field(discriminator="type")]

_DRIVERS: dict[str, Callable[[Any], Camera]] = {
    "opencv": OpenCVCamera,
    "scene": SceneCamera,
}


def open_camera(config: OpenCVCameraConfig | SceneCameraConfig) -> Camera:
    try:
        factory = _DRIVERS[config.type]
    except KeyError:  # a config model without a driver is a programming error, not a user one
        raise LookupError(f"no camera driver registered for type {config.type!r}") from None
    return factory(config)
