"""Serial ultrasonic rangers with the 4-byte `FF H L SUM` frame: DFRobot A02YYUW and JSN-SR04T v3.

distance = H * 256 + L mm; SUM = (0xFF + H + L) & 0xFF, or (H + L) & 0xFF on AJ-SR04M clones.
Readings at or below the sensor's blind zone (30 mm A02YYUW, 250 mm JSN-SR04T) or beyond its
range are checksum-valid but meaningless, so they are dropped and counted as bad frames.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drivers.serial.base import Baud, SensorConfigBase
from drivers.serial.framing import BAD, ShortFrameScanner
from drivers.serial.readings import RangeReading

HEADER = b"\xff"
FRAME_LENGTH = 4
A02YYUW_BLIND_MM = 30
JSN_SR04T_BLIND_MM = 250
MAX_RANGE_MM = 4500  # both sensors' datasheet maximum


class A02yyuwConfig(SensorConfigBase):
    type: Literal["a02yyuw"] = "a02yyuw"
    baud: Baud = 9600


class JsnSr04tConfig(SensorConfigBase):
    type: Literal["jsn_sr04t"] = "jsn_sr04t"
    baud: Baud = 9600
    checksum_includes_header: bool = Field(
        True, description="False for AJ-SR04M clones, whose checksum adds H + L only."
    )


def checksum(high: int, low: int, includes_header: bool = True) -> int:
    return ((0xFF if includes_header else 0) + high + low) & 0xFF


def encode_frame(distance_mm: int, checksum_includes_header: bool = True) -> bytes:
    high, low = divmod(distance_mm, 256)
    return bytes([0xFF, high, low, checksum(high, low, checksum_includes_header)])


class A02yyuwParser(ShortFrameScanner):
    """Valid readings satisfy blind_mm < distance <= max_range_mm."""

    headers = (HEADER,)
    max_frame_length = FRAME_LENGTH
    frame_length = FRAME_LENGTH

    def __init__(
        self,
        blind_mm: int = A02YYUW_BLIND_MM,
        max_range_mm: int = MAX_RANGE_MM,
        checksum_includes_header: bool = True,
    ) -> None:
        super().__init__()
        self.blind_mm = blind_mm
        self.max_range_mm = max_range_mm
        self._checksum_base = 0xFF if checksum_includes_header else 0
        # Readings are immutable: one object per distance serves every frame that reports it.
        self._readings: dict[int, RangeReading] = {}

    def check(self, buffer: bytearray, at: int) -> RangeReading | Literal["bad"] | None:
        high, low = buffer[at + 1], buffer[at + 2]
        # A 0xFF inside a frame can look like a header: the checksum is what tells them apart.
        if (self._checksum_base + high + low) & 0xFF != buffer[at + 3]:
            return BAD
        distance = high * 256 + low
        if not self.blind_mm < distance <= self.max_range_mm:
            return None
        reading = self._readings.get(distance)
        if reading is None:
            reading = self._readings[distance] = RangeReading(distance)
        return reading
