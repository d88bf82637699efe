"""LD2450 frames decode exactly as the protocol reference says, and bad frames never leak through."""

from __future__ import annotations

import pytest

from drivers.serial import envelope
from drivers.serial.ld2450 import (
    HEADER,
    TAIL,
    Ld2450Parser,
    decode_block,
    decode_signed,
    encode_frame,
    encode_signed,
)
from drivers.serial.readings import CommandAck, Target, TargetsReading

WORKED_BLOCK = bytes.fromhex("0E 03 B1 86 10 00 40 01")
WORKED_TARGET = Target(x_mm=-782, y_mm=1713, speed_cm_s=-16, resolution_mm=320)


def frame(*blocks: bytes) -> bytes:
    return HEADER + b"".join(blocks).ljust(24, b"\x00") + TAIL


def test_the_documented_worked_example_decodes_exactly() -> None:
    assert decode_block(WORKED_BLOCK) == WORKED_TARGET


def test_sign_is_bit_15_set_for_positive_not_twos_complement() -> None:
    assert decode_signed(0x86B1) == 1713
    assert decode_signed(0x030E) == -782
    assert decode_signed(0xFFFF) == 0x7FFF  # two's complement would say -1
    assert decode_signed(0x8000) == 0


@pytest.mark.parametrize("value", [-0x7FFF, -782, -1, 0, 1, 1713, 0x7FFF])
def test_sign_encoding_round_trips(value: int) -> None:
    assert decode_signed(encode_signed(value)) == value


def test_a_worked_frame_yields_one_target_and_omits_empty_blocks() -> None:
    parser = Ld2450Parser()
    assert parser.feed(frame(WORKED_BLOCK)) == [TargetsReading((WORKED_TARGET,))]
    assert parser.feed(frame()) == [TargetsReading(())]
    assert (parser.frames_ok, parser.bad_frames, parser.bytes_discarded) == (2, 0, 0)


def test_encoder_writes_the_documented_bytes() -> None:
    assert encode_frame((WORKED_TARGET,)) == frame(WORKED_BLOCK)


def test_three_targets_keep_their_order() -> None:
    targets = (Target(0, 500, 0, 320), Target(-1200, 2500, 30, 320), Target(3000, 4000, -50, 320))
    assert Ld2450Parser().feed(encode_frame(targets)) == [TargetsReading(targets)]


def test_junk_between_frames_is_skipped_and_counted() -> None:
    parser = Ld2450Parser()
    good = frame(WORKED_BLOCK)
    readings = parser.feed(b"\x00\xaa\xff" + good + b"hello" + good)
    assert len(readings) == 2
    assert parser.bytes_discarded == 3 + 5


def test_split_at_every_byte_boundary_gives_the_same_readings() -> None:
    stream = frame(WORKED_BLOCK) + b"\x13\x37" + frame()
    whole = Ld2450Parser().feed(stream)
    for cut in range(len(stream) + 1):
        parser = Ld2450Parser()
        assert parser.feed(stream[:cut]) + parser.feed(stream[cut:]) == whole


def test_a_truncated_frame_costs_only_itself() -> None:
    parser = Ld2450Parser()
    good = frame(WORKED_BLOCK)
    assert parser.feed(good[:17] + good) == [TargetsReading((WORKED_TARGET,))]
    assert parser.bad_frames == 1 and parser.bytes_discarded == 17


def test_a_broken_tail_drops_the_frame() -> None:
    parser = Ld2450Parser()
    assert parser.feed(frame(WORKED_BLOCK)[:-1] + b"\x00" + frame()) == [TargetsReading(())]
    assert parser.bad_frames == 1


@pytest.mark.parametrize(
    "target",
    [
        Target(-8001, 1000, 0, 320),  # beyond the lateral range
        Target(0, 8001, 0, 320),  # beyond the forward range
        Target(0, -10, 0, 320),  # behind the sensor
        Target(0, 1000, 1001, 320),  # faster than anyone walks
        Target(0, 1000, 0, 1001),
    ],
)
def test_a_frame_with_an_out_of_range_target_is_dropped_whole(target: Target) -> None:
    parser = Ld2450Parser()
    assert parser.feed(encode_frame((WORKED_TARGET, target))) == []
    assert (parser.frames_ok, parser.bad_frames, parser.bytes_discarded) == (0, 1, 30)


def test_command_acks_share_the_stream_with_data_frames() -> None:
    multi_target_ack = envelope.ack(0x0090)
    parser = Ld2450Parser()
    assert parser.feed(frame() + multi_target_ack + frame()) == [
        TargetsReading(()),
        CommandAck(0x0090, 0, b""),
        TargetsReading(()),
    ]
