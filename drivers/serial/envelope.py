"""The command/ACK envelope the LD2410 and LD2450 share.

`FD FC FB FA` | length u16 LE | command word u16 LE | value (or status + data) | `04 03 02 01`.
"""

from __future__ import annotations

import struct

from drivers.serial.framing import BAD, NEED_MORE, Decoded, Verdict
from drivers.serial.readings import CommandAck

HEADER = b"\xfd\xfc\xfb\xfa"
TAIL = b"\x04\x03\x02\x01"
ACK_BIT = 0x0100  # the sensor answers command 0x00XX with word 0x01XX
# Longest ACK payload we accept (word + status + data). The largest real answer (read parameters)
# is ~28 bytes; a corrupted length beyond this must not make the parser wait for kilobytes.
MAX_ACK_LENGTH = 64


def command(cmd: int, value: bytes = b"") -> bytes:
    """A host-to-sensor command frame."""
    if not 0 <= cmd <= 0xFFFF:
        raise ValueError(f"command word {cmd:#x} does not fit 16 bits")
    body = struct.pack("<H", cmd) + value
    return HEADER + struct.pack("<H", len(body)) + body + TAIL


def ack(cmd: int, status: int = 0, data: bytes = b"") -> bytes:
    """The sensor's answer to `cmd` (for emulators and tests)."""
    body = struct.pack("<HH", cmd | ACK_BIT, status) + data
    return HEADER + struct.pack("<H", len(body)) + body + TAIL


def decode_ack(buffer: bytes) -> Verdict:
    """The ACK frame at the start of `buffer` (which begins with HEADER)."""
    if len(buffer) < 6:
        return NEED_MORE
    (length,) = struct.unpack_from("<H", buffer, 4)
    if not 4 <= length <= MAX_ACK_LENGTH:
        return BAD
    total = 6 + length + 4
    if len(buffer) < total:
        return NEED_MORE
    if buffer[total - 4 : total] != TAIL:
        return BAD
    word, status = struct.unpack_from("<HH", buffer, 6)
    if not word & ACK_BIT or status not in (0, 1):
        return Decoded(total, None)
    data = bytes(buffer[10 : total - 4])
    return Decoded(total, CommandAck(command=word & ~ACK_BIT, status=status, data=data))
