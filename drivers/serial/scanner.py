"""Barcode/QR scanners in their common serial mode: each code read is sent as ASCII text and a
terminator (CR, LF or CR LF; the factory default of most Honeywell, Zebra, Newland and Datalogic
scanners in USB-CDC or RS-232 mode, usually 9600 8N1).

A line is one code. Empty lines (the second half of CR LF) are skipped. A line with a byte outside
printable ASCII, or longer than `max_length`, is one bad frame and is discarded whole: a corrupted
code must never be read as a shorter, different one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from common.sections import ReconnectSeconds, Section
from drivers.serial.base import Baud
from drivers.serial.readings import Reading, ScanReading

TERMINATORS = b"\r\n"
MAX_LENGTH = 256


class ScannerConfig(Section):
    """`[scanner]`: the kiosk's QR/card scanner, the check-in path that needs no face."""

    type: Literal["ascii_lines"] = Field(
        "ascii_lines", description="Protocol: one code per line of ASCII text, CR and/or LF terminated."
    )
    port: str = Field(description="Serial device, e.g. /dev/ttyACM0 or a /dev/serial/by-id/ link.")
    baud: Baud = Field(9600, description="Ignored by USB-CDC scanners; RS-232 ones default to 9600.")
    max_length: int = Field(MAX_LENGTH, ge=8, le=4096, description="Longer lines are refused as garbage.")
    reconnect_min_s: ReconnectSeconds = 0.5
    reconnect_max_s: ReconnectSeconds = 10.0

    @model_validator(mode="after")
    def _backoff_range(self) -> ScannerConfig:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be >= reconnect_min_s")
        return self


class LineParser:
    """Pure: bytes in, in any pieces, codes out. Never raises."""

    def __init__(self, max_length: int = MAX_LENGTH) -> None:
        self.max_length = max_length
        self.frames_ok = 0
        self.bad_frames = 0
        self.bytes_discarded = 0
        self._line = bytearray()
        self._overlong = False

    def feed(self, data: bytes) -> list[Reading]:
        out: list[Reading] = []
        for byte in data:
            if byte in TERMINATORS:
                self._end_line(out)
            elif self._overlong:
                self.bytes_discarded += 1
            elif len(self._line) >= self.max_length:
                self._overlong = True
                self.bytes_discarded += len(self._line) + 1
                self._line.clear()
            else:
                self._line.append(byte)
        return out

    def _end_line(self, out: list[Reading]) -> None:
        line, overlong = bytes(self._line), self._overlong
        self._line.clear()
        self._overlong = False
        if overlong:
            self.bad_frames += 1
            return
        if not line:
            return
        if not all(0x20 <= byte < 0x7F for byte in line):
            self.bad_frames += 1
            self.bytes_discarded += len(line)
            return
        self.frames_ok += 1
        out.append(ScanReading(line.decode("ascii")))


def encode_line(text: str, terminator: bytes = b"\r\n") -> bytes:
    return text.encode("ascii") + terminator
