"""Cameras OpenCV can open: a V4L2 device (`/dev/video0` or an index), an RTSP/HTTP stream, a video file.

A live source that drops is reopened with backoff. A video file is a recorded door: it is played at
its own frame rate (drivers/camera/recording.py) and, at its end, played again or stopped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

import cv2
import numpy as np
from pydantic import Field, field_validator, model_validator

from common.backoff import Backoff
from common.sections import ReconnectSeconds, Section
from drivers.camera.base import Frame
from drivers.camera.recording import FALLBACK_FPS, Playback, file_problem, plausible_fps

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
        None,
        gt=0,
        le=1000,
        description="Requested capture rate; None keeps the source's. A video file plays at its own rate "
        "and at most this many of its frames a second are used, as a camera set to this rate would take.",
    )
    reconnect_min_s: ReconnectSeconds = 1.0
    reconnect_max_s: ReconnectSeconds = 30.0
    at_end: Literal["reconnect", "stop"] = Field(
        "reconnect",
        description="When a video file ends: play it again from the start, or stop the daemon. A live "
        "camera or stream that drops is always reopened.",
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

    @property
    def video_file(self) -> Path | None:
        """The recording this camera plays, or None for a live camera or stream."""
        source = self.source
        if isinstance(source, int) or source.isdigit() or "://" in source or source.startswith("/dev/"):
            return None
        return Path(source)


class Capture(Protocol):
    """The part of cv2.VideoCapture the driver uses; tests may hand in another real source."""

    def isOpened(self) -> bool: ...
    def read(self) -> tuple[bool, Any]: ...
    def get(self, prop_id: int) -> float: ...
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
        self._file = config.video_file
        self.reconnects = 0
        # How many times a video file was played to its end.
        self.plays = 0
        # True while the source is away and the driver is waiting to retry: a quiet camera that is
        # deliberately absent, as opposed to one stuck inside a read.
        self.waiting_for_source = False
        # Why no frames come, for health; None while they do.
        self.problem: str | None = None

    def describe(self) -> str:
        return f"opencv:{self._config.source}"

    def _open(self) -> Capture | None:
        """The opened source, or None with `problem` saying why not."""
        source = self._config.source
        if self._file is not None:
            self.problem = file_problem(self._file)
        elif isinstance(source, str) and source.startswith("/dev/") and not Path(source).exists():
            self.problem = f"no such device: {source}"
        else:
            self.problem = None
        if self.problem is not None:
            return None
        capture = self._open_capture(source)
        if not capture.isOpened():
            capture.release()
            self.problem = (
                f"not a video OpenCV can read: {source}"
                if self._file is not None
                else f"OpenCV cannot open {source}"
            )
            return None
        if self._file is None:  # a file keeps the size and rate it was recorded at
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
        announced = False  # "opened" is said once, not at every replay of a file
        while not stop.is_set():
            capture = self._open()
            self.waiting_for_source = capture is None
            if capture is None:
                announced = False
                delay = backoff.next_delay()
                log.warning(
                    "camera %s unavailable (%s), retrying in %.1fs", self.describe(), self.problem, delay
                )
                stop.wait(delay)
                continue
            if not announced:
                log.info("camera %s opened", self.describe())
                announced = True
            try:
                read = yield from self._read(capture, stop, seq, backoff)
            finally:
                capture.release()
            seq += read
            if stop.is_set():
                return
            if self._file is None:
                self._lost(stop, backoff)
                announced = False
            elif read == 0:
                self._unplayable(stop, backoff)
                announced = False
            elif not self._played_to_the_end(read):
                return

    def _read(
        self, capture: Capture, stop: threading.Event, seq: int, backoff: Backoff
    ) -> Generator[Frame, None, int]:
        """Frames until the source ends; how many were read (a file's frames skipped to keep to `fps`
        count as read: they were in the file)."""
        playback = self._playback(capture) if self._file is not None else None
        read = 0
        while not stop.is_set():
            ok, image = capture.read()
            if not ok or image is None:
                break
            read += 1
            if playback is not None:
                if not playback.keeps(read - 1):
                    continue
                if stop.wait(playback.wait_s(read - 1, time.monotonic())):
                    break
            backoff.reset()
            self.problem = None
            self.waiting_for_source = False
            seq += 1
            yield Frame(
                image=np.asarray(image, dtype=np.uint8),
                seq=seq,
                captured_at=self._clock(),
                monotonic=time.monotonic(),
            )
        return read

    def _playback(self, capture: Capture) -> Playback:
        own = float(capture.get(cv2.CAP_PROP_FPS))
        if plausible_fps(own):
            return Playback(own, self._config.fps, time.monotonic())
        rate = self._config.fps or FALLBACK_FPS
        if self.plays == 0:
            log.warning("video file %s does not say its frame rate; playing it at %g fps", self._file, rate)
        return Playback(rate, None, time.monotonic())

    def _played_to_the_end(self, read: int) -> bool:
        """Whether to play the file again."""
        self.plays += 1
        if self._config.at_end == "stop":
            log.info('video file %s ended after %d frames; stopping (at_end = "stop")', self._file, read)
            return False
        log.info("video file %s ended after %d frames; playing it again", self._file, read)
        return True

    def _unplayable(self, stop: threading.Event, backoff: Backoff) -> None:
        """Opened but not one frame decoded: tried again later, not replayed in a tight loop."""
        self.problem = f"no frame could be read from {self._file}: not a video OpenCV can decode"
        self.waiting_for_source = True
        delay = backoff.next_delay()
        log.warning("camera %s: %s; retrying in %.1fs", self.describe(), self.problem, delay)
        stop.wait(delay)

    def _lost(self, stop: threading.Event, backoff: Backoff) -> None:
        self.reconnects += 1
        self.waiting_for_source = True
        delay = backoff.next_delay()
        log.warning("camera %s lost, reconnecting in %.1fs", self.describe(), delay)
        stop.wait(delay)
