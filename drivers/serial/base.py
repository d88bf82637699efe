"""What every serial sensor shares: the parser interface and the common config fields."""

from __future__ import annotations

from typing import Annotated, Protocol

from pydantic import Field, model_validator

from common.sections import ReconnectSeconds, Section
from drivers.serial.readings import Reading

# A line speed: pyserial hands it to the kernel as a 32-bit number (one too large fails only when the
# port opens); 12 Mbaud is the fastest USB-serial chips go.
Baud = Annotated[int, Field(gt=0, le=12_000_000)]


class Parser(Protocol):
    """Turns bytes, in whatever pieces the port hands them over, into readings. Never raises."""

    frames_ok: int
    bad_frames: int
    bytes_discarded: int

    def feed(self, data: bytes) -> list[Reading]: ...


class SensorConfigBase(Section):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]+$", description="Names the sensor in readings and logs.")
    port: str = Field(description="Serial device, e.g. /dev/ttyUSB0 or a /dev/serial/by-id/ link.")
    reconnect_min_s: ReconnectSeconds = 0.5
    reconnect_max_s: ReconnectSeconds = 10.0

    @model_validator(mode="after")
    def _backoff_range(self) -> SensorConfigBase:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be >= reconnect_min_s")
        return self
