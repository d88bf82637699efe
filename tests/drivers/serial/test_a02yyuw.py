"""A02YYUW and JSN-SR04T 4-byte frames: checksum, blind zone and clone checksum variants."""

from __future__ import annotations

from drivers.serial.a02yyuw import JSN_SR04T_BLIND_MM, A02yyuwParser, encode_frame
from drivers.serial.readings import RangeReading


def test_the_documented_frame_is_1953_mm() -> None:
    parser = A02yyuwParser()
    assert parser.feed(bytes.fromhex("FF 07 A1 A7")) == [RangeReading(1953)]
    assert encode_frame(1953) == bytes.fromhex("FF 07 A1 A7")


def test_a_bad_checksum_is_skipped_and_the_next_frame_found() -> None:
    parser = A02yyuwParser()
    assert parser.feed(bytes.fromhex("FF 07 A1 A8") + encode_frame(500)) == [RangeReading(500)]
    assert parser.bad_frames >= 1 and parser.frames_ok == 1


def test_readings_in_the_blind_zone_or_beyond_range_are_rejected() -> None:
    parser = A02yyuwParser()
    assert parser.feed(encode_frame(30) + encode_frame(31) + encode_frame(4501) + encode_frame(4500)) == [
        RangeReading(31),
        RangeReading(4500),
    ]
    assert parser.bad_frames == 2


def test_jsn_sr04t_has_a_250_mm_blind_zone() -> None:
    parser = A02yyuwParser(blind_mm=JSN_SR04T_BLIND_MM)
    assert parser.feed(encode_frame(250) + encode_frame(251)) == [RangeReading(251)]


def test_aj_sr04m_clones_checksum_h_plus_l_only() -> None:
    clone = encode_frame(1953, checksum_includes_header=False)
    assert clone == bytes.fromhex("FF 07 A1 A8")
    assert A02yyuwParser(checksum_includes_header=False).feed(clone) == [RangeReading(1953)]
    assert A02yyuwParser().feed(clone) == []


def test_a_0xff_inside_a_frame_does_not_desynchronise_the_stream() -> None:
    # 0x2FF = 767 mm: the low byte is 0xFF and looks like a header.
    stream = encode_frame(767) * 3
    parser = A02yyuwParser()
    assert parser.feed(stream) == [RangeReading(767)] * 3


def test_split_at_every_byte_boundary_gives_the_same_readings() -> None:
    stream = encode_frame(767) + b"\xff\x01" + encode_frame(1953)
    whole = A02yyuwParser().feed(stream)
    assert whole == [RangeReading(767), RangeReading(1953)]
    for cut in range(len(stream) + 1):
        parser = A02yyuwParser()
        assert parser.feed(stream[:cut]) + parser.feed(stream[cut:]) == whole
