"""Cameras: anything that yields timestamped frames. Pick one by `type` through the registry."""

from drivers.camera.base import Camera, Frame
from drivers.camera.registry import CameraConfig, open_camera

__all__ = ["Camera", "CameraConfig", "Frame", "open_camera"]
