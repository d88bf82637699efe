"""LD2410 data frames and command ACKs share one stream; the parser separates them exactly."""

from __future__ import annotations

import pytest

from drivers.serial import envelope
from drivers.serial.ld2410 import Ld2410Parser, encode_frame
from drivers.serial.readings import CommandAck, PresenceReading
from tests.drivers.serial import ld2410_host
from tests.drivers.serial.ld2410_host import parse_firmware

BASIC = PresenceReading(state=1, moving_cm=120, moving_energy=60, stationary_cm=0, stationary_energy=0,
                        detection_cm=120)  # fmt: skip
ENGINEERING = PresenceReading(
    3, 250, 70, 240, 45, 250, (0, 5, 10, 80, 40, 10, 5, 0, 0), (0, 0, 20, 60, 20, 0, 0, 0, 0)
)
BASIC_BYTES = bytes.fromhex("F4 F3 F2 F1 0D 00 02 AA 01 78 00 3C 00 00 00 78 00 55 00 F8 F7 F6 F5")
FIRMWARE_ACK = bytes.fromhex("FD FC FB FA 0C 00 A0 01 00 00 00 01 07 01 16 15 09 22 04 03 02 01")


def test_a_basic_frame_decodes_field_by_field() -> None:
    parser = Ld2410Parser()
    assert parser.feed(BASIC_BYTES) == [BASIC]
    assert encode_frame(BASIC) == BASIC_BYTES


def test_frame_sizes_match_the_reference() -> None:
    assert len(encode_frame(BASIC)) == 23
    assert len(encode_frame(ENGINEERING)) == 45


def test_an_engineering_frame_carries_nine_gates_of_each_kind() -> None:
    assert Ld2410Parser().feed(encode_frame(ENGINEERING)) == [ENGINEERING]


def test_the_documented_firmware_reply_reads_v1_07_22091516() -> None:
    [ack] = Ld2410Parser().feed(FIRMWARE_ACK)
    assert isinstance(ack, CommandAck)
    assert (ack.command, ack.status) == (0x00A0, 0)
    assert parse_firmware(ack) == "V1.07.22091516"


def test_parse_firmware_refuses_other_acks() -> None:
    with pytest.raises(ValueError, match="firmware"):
        parse_firmware(CommandAck(0x00FF, 0, b"\x01\x00\x40\x00"))


def test_command_builders_write_the_documented_envelope() -> None:
    assert ld2410_host.enable_config() == bytes.fromhex("FD FC FB FA 04 00 FF 00 01 00 04 03 02 01")
    assert ld2410_host.end_config() == bytes.fromhex("FD FC FB FA 02 00 FE 00 04 03 02 01")
    assert ld2410_host.read_firmware() == bytes.fromhex("FD FC FB FA 02 00 A0 00 04 03 02 01")
    assert ld2410_host.engineering_on() == bytes.fromhex("FD FC FB FA 02 00 62 00 04 03 02 01")
    assert ld2410_host.engineering_off() == bytes.fromhex("FD FC FB FA 02 00 63 00 04 03 02 01")
    assert ld2410_host.command(0x0061) == bytes.fromhex("FD FC FB FA 02 00 61 00 04 03 02 01")


def test_acks_interleaved_with_data_and_junk_come_out_in_order() -> None:
    enable_ack = envelope.ack(0x00FF, 0, b"\x01\x00\x40\x00")
    stream = BASIC_BYTES + b"\x00junk" + enable_ack + encode_frame(ENGINEERING) + FIRMWARE_ACK + BASIC_BYTES
    parser = Ld2410Parser()
    readings = parser.feed(stream)
    assert readings[0] == BASIC and readings[2] == ENGINEERING and readings[4] == BASIC
    assert readings[1] == CommandAck(0x00FF, 0, b"\x01\x00\x40\x00")
    assert isinstance(readings[3], CommandAck) and readings[3].command == 0x00A0
    assert parser.bytes_discarded == 5


def test_split_at_every_byte_boundary_gives_the_same_readings() -> None:
    stream = BASIC_BYTES + FIRMWARE_ACK + b"\xf4\xf3" + encode_frame(ENGINEERING)
    whole = Ld2410Parser().feed(stream)
    assert len(whole) == 3
    for cut in range(len(stream) + 1):
        parser = Ld2410Parser()
        assert parser.feed(stream[:cut]) + parser.feed(stream[cut:]) == whole


def test_truncated_frames_of_either_kind_cost_only_themselves() -> None:
    parser = Ld2410Parser()
    readings = parser.feed(BASIC_BYTES[:12] + FIRMWARE_ACK[:9] + BASIC_BYTES)
    assert readings == [BASIC]
    assert parser.bad_frames == 2 and parser.bytes_discarded == 21


def test_an_implausible_ack_length_does_not_stall_the_stream() -> None:
    parser = Ld2410Parser()
    assert parser.feed(b"\xfd\xfc\xfb\xfa\xff\xff" + BASIC_BYTES) == [BASIC]


@pytest.mark.parametrize(
    "reading",
    [
        PresenceReading(4, 100, 50, 100, 50, 100),  # state is a 2-bit mask
        PresenceReading(1, 1201, 50, 100, 50, 100),
        PresenceReading(1, 100, 101, 100, 50, 100),
        PresenceReading(3, 100, 50, 100, 50, 100, (0,) * 8 + (101,), (0,) * 9),
    ],
)
def test_out_of_range_values_drop_the_frame(reading: PresenceReading) -> None:
    parser = Ld2410Parser()
    assert parser.feed(encode_frame(reading) + BASIC_BYTES) == [BASIC]
    assert parser.bad_frames == 1


def test_a_host_command_echoed_into_the_stream_is_not_taken_for_an_ack() -> None:
    parser = Ld2410Parser()
    assert parser.feed(ld2410_host.read_firmware() + BASIC_BYTES) == [BASIC]
    assert parser.bad_frames == 1
