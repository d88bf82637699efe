"""HLK-LD2450 24 GHz radar: up to three targets with x/y, 30-byte frames at about 10 Hz.

Frame: `AA FF 03 00` | 3 x (x, y, speed, resolution) u16 LE | `55 CC`. There is no checksum, so the
value ranges below are the only guard against a corrupted payload; a frame with any target outside
them is dropped whole, because the bytes that broke one block make the other two suspect too.
"""

from __future__ import annotations

import struct
from typing import Literal

from pydantic import Field

from drivers.serial import envelope
from drivers.serial.base import Baud, SensorConfigBase
from drivers.serial.framing import BAD, NEED_MORE, Decoded, FrameScanner, Verdict
from drivers.serial.readings import Target, TargetsReading

HEADER = b"\xaa\xff\x03\x00"
TAIL = b"\x55\xcc"
FRAME_LENGTH = 30
MAX_TARGETS = 3

# Valid ranges. The LD2450 sees 8 m ahead and +-60 degrees; nothing is ever behind it.
MAX_ABS_X_MM = 8000
MAX_Y_MM = 8000
MAX_ABS_SPEED_CM_S = 1000  # 10 m/s: far above anyone walking through a branch
MAX_RESOLUTION_MM = 1000


class Ld2450Config(SensorConfigBase):
    type: Literal["ld2450"] = "ld2450"
    baud: Baud = Field(256000, description="Factory default 256000; change it with command 0xA1.")


def decode_signed(raw: int) -> int:
    """The LD2450's sign rule, which is NOT two's complement: bit 15 set means positive."""
    return raw & 0x7FFF if raw & 0x8000 else -raw


def encode_signed(value: int) -> int:
    if not -0x7FFF <= value <= 0x7FFF:
        raise ValueError(f"{value} does not fit the LD2450's 15-bit magnitude")
    return 0x8000 | value if value >= 0 else -value


def _in_range(target: Target) -> bool:
    return (
        abs(target.x_mm) <= MAX_ABS_X_MM
        and 0 <= target.y_mm <= MAX_Y_MM
        and abs(target.speed_cm_s) <= MAX_ABS_SPEED_CM_S
        and 0 <= target.resolution_mm <= MAX_RESOLUTION_MM
    )


_BLOCKS = struct.Struct(f"<{4 * MAX_TARGETS}H")


def decode_block(block: bytes) -> Target | None:
    """One 8-byte target block; None for the all-zero "no target" block."""
    if block == bytes(8):
        return None
    x, y, speed, resolution = struct.unpack("<4H", block)
    return Target(decode_signed(x), decode_signed(y), decode_signed(speed), resolution)


def encode_frame(targets: tuple[Target, ...]) -> bytes:
    """A complete data frame, as the sensor would send it (for emulators and tests)."""
    if len(targets) > MAX_TARGETS:
        raise ValueError(f"the LD2450 reports at most {MAX_TARGETS} targets")
    blocks = b"".join(
        struct.pack(
            "<4H", encode_signed(t.x_mm), encode_signed(t.y_mm), encode_signed(t.speed_cm_s), t.resolution_mm
        )
        for t in targets
    )
    return HEADER + blocks.ljust(8 * MAX_TARGETS, b"\x00") + TAIL


class Ld2450Parser(FrameScanner):
    """Data frames, and ACKs to commands (0x80/0x90/0xC1...) in the envelope the LD2410 uses."""

    headers = (HEADER, envelope.HEADER)
    max_frame_length = max(FRAME_LENGTH, 6 + envelope.MAX_ACK_LENGTH + 4)

    def decode(self, buffer: bytes) -> Verdict:
        if buffer.startswith(envelope.HEADER):
            return envelope.decode_ack(buffer)
        if len(buffer) < FRAME_LENGTH:
            return NEED_MORE
        if buffer[28:30] != TAIL:
            return BAD
        # One unpack for the three blocks: this loop runs for every frame of every radar.
        values = _BLOCKS.unpack_from(buffer, 4)
        present = tuple(
            Target(decode_signed(x), decode_signed(y), decode_signed(speed), resolution)
            for x, y, speed, resolution in (values[i : i + 4] for i in range(0, 4 * MAX_TARGETS, 4))
            if x or y or speed or resolution
        )
        if not all(_in_range(t) for t in present):
            return Decoded(FRAME_LENGTH, None)
        return Decoded(FRAME_LENGTH, TargetsReading(present))
