"""HLK-LD2410 / LD2410B / LD2410C radar: presence and distance of one target.

Data frames (`F4 F3 F2 F1` ... `F8 F7 F6 F5`, basic 23 bytes or engineering 45) and command ACKs
(`FD FC FB FA` ... `04 03 02 01`) arrive interleaved on one stream; one scanner resynchronises on
either header. (The LD2410S speaks a different protocol and is not handled here.)
"""

from __future__ import annotations

import struct
from typing import Literal

from pydantic import Field

from drivers.serial import envelope
from drivers.serial.base import Baud, SensorConfigBase
from drivers.serial.framing import BAD, NEED_MORE, Decoded, FrameScanner, Verdict
from drivers.serial.readings import PresenceReading

HEADER = b"\xf4\xf3\xf2\xf1"
TAIL = b"\xf8\xf7\xf6\xf5"
BASIC, ENGINEERING = 0x02, 0x01
LENGTHS = {BASIC: 0x0D, ENGINEERING: 0x23}  # frame type -> length field
GATES = 9  # gates 0..8

# Valid ranges: the LD2410 reaches 8 gates x 0.75 m = 6 m; 1200 cm leaves room for other gate sizes.
MAX_DISTANCE_CM = 1200
MAX_ENERGY = 100

# Config-mode command words. The daemon sends none (the factory defaults serve); the parser reads
# their ACKs when something else on the line does, and the emulator answers them.
ENABLE_CONFIG, END_CONFIG = 0x00FF, 0x00FE
ENGINEERING_ON, ENGINEERING_OFF = 0x0062, 0x0063
READ_FIRMWARE = 0x00A0


class Ld2410Config(SensorConfigBase):
    type: Literal["ld2410"] = "ld2410"
    baud: Baud = Field(256000, description="Factory default 256000; change it with command 0xA1.")


def encode_frame(reading: PresenceReading) -> bytes:
    """A data frame as the sensor sends it: engineering if the reading carries gate energies."""
    r = reading
    payload = struct.pack(
        "<BHBHBH", r.state, r.moving_cm, r.moving_energy, r.stationary_cm, r.stationary_energy, r.detection_cm
    )
    kind = BASIC
    if r.moving_gates or r.stationary_gates:
        if len(r.moving_gates) != GATES or len(r.stationary_gates) != GATES:
            raise ValueError(f"engineering frames carry {GATES} gates of each kind")
        kind = ENGINEERING
        # max moving gate, max stationary gate, the gates, then light value and OUT pin
        payload += bytes([GATES - 1, GATES - 1, *r.moving_gates, *r.stationary_gates, 0, r.state != 0])
    body = bytes([kind, 0xAA]) + payload + b"\x55\x00"
    return HEADER + struct.pack("<H", len(body)) + body + TAIL


def _valid(r: PresenceReading) -> bool:
    energies = (r.moving_energy, r.stationary_energy, *r.moving_gates, *r.stationary_gates)
    return (
        0 <= r.state <= 3
        and all(d <= MAX_DISTANCE_CM for d in (r.moving_cm, r.stationary_cm, r.detection_cm))
        and all(e <= MAX_ENERGY for e in energies)
    )


def decode_data(buffer: bytes) -> Verdict:
    if len(buffer) < 8:
        return NEED_MORE
    (length,) = struct.unpack_from("<H", buffer, 4)
    kind = buffer[6]
    if LENGTHS.get(kind) != length or buffer[7] != 0xAA:
        return BAD
    total = 6 + length + 4
    if len(buffer) < total:
        return NEED_MORE
    if buffer[total - 6 : total] != b"\x55\x00" + TAIL:
        return BAD
    state, moving, moving_e, stationary, stationary_e, detection = struct.unpack_from("<BHBHBH", buffer, 8)
    moving_gates: tuple[int, ...] = ()
    stationary_gates: tuple[int, ...] = ()
    if kind == ENGINEERING:
        if buffer[17] >= GATES or buffer[18] >= GATES:  # max gate numbers
            return Decoded(total, None)
        moving_gates = tuple(buffer[19 : 19 + GATES])
        stationary_gates = tuple(buffer[28 : 28 + GATES])
    reading = PresenceReading(
        state, moving, moving_e, stationary, stationary_e, detection, moving_gates, stationary_gates
    )
    return Decoded(total, reading if _valid(reading) else None)


class Ld2410Parser(FrameScanner):
    headers = (HEADER, envelope.HEADER)
    max_frame_length = max(6 + max(LENGTHS.values()) + 4, 6 + envelope.MAX_ACK_LENGTH + 4)

    def decode(self, buffer: bytes) -> Verdict:
        if buffer.startswith(envelope.HEADER):
            return envelope.decode_ack(buffer)
        return decode_data(buffer)
