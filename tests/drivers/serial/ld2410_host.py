"""The host side of the LD2410's config mode: the commands a host sends and the firmware ACK it reads.

The daemon sends no commands (the factory defaults serve a door); the tests use these to drive the
emulator and to check that ACKs interleaved with data frames are read.
"""

from __future__ import annotations

import struct

from drivers.serial import envelope
from drivers.serial.ld2410 import ENABLE_CONFIG, END_CONFIG, ENGINEERING_OFF, ENGINEERING_ON, READ_FIRMWARE
from drivers.serial.readings import CommandAck


def command(cmd: int, value: bytes = b"") -> bytes:
    return envelope.command(cmd, value)


def enable_config() -> bytes:
    return command(ENABLE_CONFIG, b"\x01\x00")


def end_config() -> bytes:
    return command(END_CONFIG)


def read_firmware() -> bytes:
    return command(READ_FIRMWARE)


def engineering_on() -> bytes:
    return command(ENGINEERING_ON)


def engineering_off() -> bytes:
    return command(ENGINEERING_OFF)


def parse_firmware(ack: CommandAck) -> str:
    """`V<major>.<minor>.<build>` from a firmware ACK (type u16, minor, major, build u32 LE), printed
    in hex as the vendor's tools do: data `00 01 07 01 16 15 09 22` reads V1.07.22091516."""
    if ack.command != READ_FIRMWARE or ack.status != 0 or len(ack.data) < 8:
        raise ValueError(f"not a successful firmware ACK: {ack}")
    minor, major = ack.data[2], ack.data[3]
    (build,) = struct.unpack_from("<I", ack.data, 4)
    return f"V{major}.{minor:02X}.{build:08X}"
