"""MaxBotix HRXL/HRLV-MaxSonar serial output: ASCII `R` + 4 digits (mm) + CR, 5 to 7.5 Hz.

The "RS232" pin is inverted TTL and stray 0xFF bytes occur on the line: they are skipped and counted
as discarded. The 3-digit XL (cm) and LV (inch) families are not handled. The HRXL clamps anything
nearer than 300 mm to 300 and reports 5000 for "nothing in range", so both ends are valid readings.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drivers.serial.base import SensorConfigBase
from drivers.serial.framing import BAD, NEED_MORE, Decoded, FrameScanner, Verdict
from drivers.serial.readings import RangeReading

HEADER = b"R"
FRAME_LENGTH = 6
MIN_RANGE_MM = 300
MAX_RANGE_MM = 5000


class MaxbotixConfig(SensorConfigBase):
    type: Literal["maxbotix"] = "maxbotix"
    baud: int = Field(9600, gt=0)


def encode_frame(distance_mm: int) -> bytes:
    return b"R%04d\r" % distance_mm


class MaxbotixParser(FrameScanner):
    """Valid readings satisfy min_range_mm <= distance <= max_range_mm."""

    headers = (HEADER,)
    max_frame_length = FRAME_LENGTH

    def __init__(self, min_range_mm: int = MIN_RANGE_MM, max_range_mm: int = MAX_RANGE_MM) -> None:
        super().__init__()
        self.min_range_mm = min_range_mm
        self.max_range_mm = max_range_mm

    def decode(self, buffer: bytes) -> Verdict:
        if len(buffer) < FRAME_LENGTH:
            return NEED_MORE
        digits = buffer[1:5]
        # bytes.isdigit is ASCII-only, so no Unicode digit can sneak through int().
        if not digits.isdigit() or buffer[5:6] != b"\r":
            return BAD
        distance = int(digits)
        if not self.min_range_mm <= distance <= self.max_range_mm:
            return Decoded(FRAME_LENGTH, None)
        return Decoded(FRAME_LENGTH, RangeReading(distance))
