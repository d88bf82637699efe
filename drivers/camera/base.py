"""The one interface every camera driver implements."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Frame:
    """One picture as it left the camera. `image` is BGR, height x width x 3."""

    image: Image
    seq: int
    captured_at: float  # wall clock, seconds since the epoch: what records and cues carry
    monotonic: float  # for durations and latency: immune to clock steps

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


class Camera(Protocol):
    """A source of frames. `frames` yields until the source ends for good or `stop` is set.

    Drivers hide reconnects: a live source that drops keeps the iterator waiting (with backoff)
    instead of ending it, so the pipeline never has to know how a camera fails.
    """

    def frames(self, stop: threading.Event) -> Iterator[Frame]: ...

    def describe(self) -> str: ...

    @property
    def waiting_for_source(self) -> bool:
        """True while the driver waits to reconnect a lost source: silence then is not a stuck read."""
        ...

    @property
    def problem(self) -> str | None:
        """Why no frames come right now, in a field engineer's words ("no such file: PATH"), for
        health; None while frames come or when the driver cannot tell."""
        ...
