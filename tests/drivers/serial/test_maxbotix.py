"""MaxBotix ASCII frames: `R1234\r`, with stray 0xFF bytes on the line."""

from __future__ import annotations

from drivers.serial.maxbotix import MaxbotixParser, encode_frame
from drivers.serial.readings import RangeReading


def test_the_documented_frame_is_1234_mm() -> None:
    assert MaxbotixParser().feed(b"R1234\r") == [RangeReading(1234)]
    assert encode_frame(1234) == b"R1234\r"


def test_stray_0xff_bytes_are_ignored_and_counted() -> None:
    parser = MaxbotixParser()
    assert parser.feed(b"\xffR1234\r\xff\xffR0987\r") == [RangeReading(1234), RangeReading(987)]
    assert parser.bytes_discarded == 3 and parser.bad_frames == 0


def test_malformed_frames_are_skipped() -> None:
    parser = MaxbotixParser()
    assert parser.feed(b"R12\rR12a4\rR1234\nR2000\r") == [RangeReading(2000)]
    assert parser.bad_frames == 3


def test_readings_outside_300_to_5000_mm_are_rejected() -> None:
    parser = MaxbotixParser()
    assert parser.feed(b"R0299\rR0300\rR5000\rR9999\r") == [RangeReading(300), RangeReading(5000)]
    assert parser.bad_frames == 2


def test_split_at_every_byte_boundary_gives_the_same_readings() -> None:
    stream = b"R1234\r\xffRR2000\r"
    whole = MaxbotixParser().feed(stream)
    assert whole == [RangeReading(1234), RangeReading(2000)]
    for cut in range(len(stream) + 1):
        parser = MaxbotixParser()
        assert parser.feed(stream[:cut]) + parser.feed(stream[cut:]) == whole
