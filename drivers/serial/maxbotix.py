"""MaxBotix HRXL/HRLV-MaxSonar serial output: ASCII `R` + 4 digits (mm) + CR, 5 to 7.5 Hz.

The "RS232" pin is inverted TTL and stray 0xFF bytes occur on the line: they are skipped and counted
as discarded. The 3-digit XL (cm) and LV (inch) families are not handled. The HRXL clamps anything
nearer than 300 mm to 300 and reports 5000 for "nothing in range", so both ends are valid readings.
"""

from __future__ import annotations

from typing import Literal

from drivers.serial.base import Baud, SensorConfigBase
from drivers.serial.framing import BAD, ShortFrameScanner
from drivers.serial.readings import RangeReading

HEADER = b"R"
CR = 0x0D
FRAME_LENGTH = 6
MIN_RANGE_MM = 300
MAX_RANGE_MM = 5000


class MaxbotixConfig(SensorConfigBase):
    type: Literal["maxbotix"] = "maxbotix"
    baud: Baud = 9600


def encode_frame(distance_mm: int) -> bytes:
    return b"R%04d\r" % distance_mm


class MaxbotixParser(ShortFrameScanner):
    """Valid readings satisfy min_range_mm <= distance <= max_range_mm."""

    headers = (HEADER,)
    max_frame_length = FRAME_LENGTH
    frame_length = FRAME_LENGTH

    def __init__(self, min_range_mm: int = MIN_RANGE_MM, max_range_mm: int = MAX_RANGE_MM) -> None:
        super().__init__()
        self.min_range_mm = min_range_mm
        self.max_range_mm = max_range_mm
        self._readings: dict[bytes, RangeReading | None] = {}  # by the 4 digits: readings are immutable

    def check(self, buffer: bytearray, at: int) -> RangeReading | Literal["bad"] | None:
        if buffer[at + 5] != CR:
            return BAD
        digits = bytes(buffer[at + 1 : at + 5])
        if digits in self._readings:
            return self._readings[digits]
        # bytes.isdigit is ASCII-only, so no Unicode digit can sneak through int().
        if not digits.isdigit():
            return BAD
        distance = int(digits)
        reading = RangeReading(distance) if self.min_range_mm <= distance <= self.max_range_mm else None
        self._readings[digits] = reading
        return reading
