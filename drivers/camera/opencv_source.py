"""Cameras OpenCV can open: a V4L2 device (`/dev/video0` or an index), an RTSP/HTTP stream, a video file."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

import cv2
import numpy as np
from pydantic import Field, field_validator, model_validator

from common.backoff import Backoff
from common.sections import ReconnectSeconds, Section
from drivers.camera.base import Frame

log = logging.getLogger(__name__)


# OpenCV takes an index as a C int (API base + index); a larger one fails only in the capture thread.
CameraIndex = Annotated[int, Field(ge=0, le=9999)]


class OpenCVCameraConfig(Section):
    type: Literal["opencv"] = "opencv"
    source: str | CameraIndex = Field(
        "/dev/video0",
        description="V4L2 device path or index, rtsp:// or http(s):// URL, or a video file path.",
    )
    width: int | None = Field(
        640, gt=0, le=8192, description="Requested capture width; None keeps the source's."
    )
    height: int | None = Field(
        480, gt=0, le=8192, description="Requested capture height; None keeps the source's."
    )
    fps: float | None = Field(
        None, gt=0, le=1000, description="Requested capture rate; None keeps the source's."
    )
    reconnect_min_s: ReconnectSeconds = 1.0
    reconnect_max_s: ReconnectSeconds = 30.0
    at_end: Literal["reconnect", "stop"] = Field(
        "reconnect", description="When a file or stream ends: reopen it (live sources) or stop."
    )

    @field_validator("source")
    @classmethod
    def _index_in_range(cls, source: str | int) -> str | int:
        # A string of digits is opened as an index too (`_open_cv2`).
        if isinstance(source, str) and source.isdigit() and (not source.isascii() or len(source) > 4):
            raise ValueError("a camera index is a number from 0 to 9999")
        return source

    @model_validator(mode="after")
    def _backoff_range(self) -> OpenCVCameraConfig:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be >= reconnect_min_s")
        return self


class Capture(Protocol):
    """The part of cv2.VideoCapture the driver uses; tests may hand in another real source."""

    def isOpened(self) -> bool: ...
    def read(self) -> tuple[bool, Any]: ...
    def set(self, prop_id: int, value: float) -> bool: ...
    def release(self) -> None: ...


def _open_cv2(source: str | int) -> Capture:
    if isinstance(source, str) and source.isdigit():
        source = int(source)
    return cv2.VideoCapture(source)


class OpenCVCamera:
    def __init__(
        self,
        config: OpenCVCameraConfig,
        open_capture: Callable[[str | int], Capture] = _open_cv2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._open_capture = open_capture
        self._clock = clock
        self.reconnects = 0
        # True while the source is away and the driver is waiting to retry: a quiet camera that is
        # deliberately absent, as opposed to one stuck inside a read.
        self.waiting_for_source = False

    def describe(self) -> str:
        return f"opencv:{self._config.source}"

    def _is_file(self) -> bool:
        source = self._config.source
        return isinstance(source, str) and "://" not in source and not source.startswith("/dev/")

    def _open(self) -> Capture | None:
        if self._is_file() and not Path(str(self._config.source)).exists():
            return None
        capture = self._open_capture(self._config.source)
        if not capture.isOpened():
            capture.release()
            return None
        if self._config.width:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self._config.width)
        if self._config.height:
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self._config.height)
        if self._config.fps:
            capture.set(cv2.CAP_PROP_FPS, self._config.fps)
        return capture

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        backoff = Backoff(self._config.reconnect_min_s, self._config.reconnect_max_s)
        seq = 0
        while not stop.is_set():
            capture = self._open()
            self.waiting_for_source = capture is None
            if capture is None:
                delay = backoff.next_delay()
                log.warning("camera %s unavailable, retrying in %.1fs", self.describe(), delay)
                stop.wait(delay)
                continue
            log.info("camera %s opened", self.describe())
            try:
                while not stop.is_set():
                    ok, image = capture.read()
                    if not ok or image is None:
                        break
                    backoff.reset()
                    seq += 1
                    yield Frame(
                        image=np.asarray(image, dtype=np.uint8),
                        seq=seq,
                        captured_at=self._clock(),
                        monotonic=time.monotonic(),
                    )
            finally:
                capture.release()
            if stop.is_set() or (self._config.at_end == "stop" and self._is_file()):
                return
            self.reconnects += 1
            self.waiting_for_source = True
            delay = backoff.next_delay()
            log.warning("camera %s lost, reconnecting in %.1fs", self.describe(), delay)
            stop.wait(delay)
