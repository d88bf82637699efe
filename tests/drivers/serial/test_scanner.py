"""Barcode/QR scanners in serial mode: one code per line of ASCII, CR, LF or CR LF terminated."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from drivers.serial.readings import ScanReading
from drivers.serial.scanner import LineParser, encode_line


def test_each_terminated_line_is_one_code_whatever_the_terminator() -> None:
    parser = LineParser()
    assert parser.feed(b"BDT-ONE\rBDT-TWO\nBDT-THREE\r\n") == [
        ScanReading("BDT-ONE"),
        ScanReading("BDT-TWO"),
        ScanReading("BDT-THREE"),
    ]
    assert (parser.frames_ok, parser.bad_frames) == (3, 0)


def test_a_code_without_its_terminator_waits_for_it() -> None:
    parser = LineParser()
    assert parser.feed(b"BDT-HALF") == []
    assert parser.feed(b"WAY\r\n") == [ScanReading("BDT-HALFWAY")]


def test_a_line_with_a_non_ascii_or_control_byte_is_refused_whole() -> None:
    parser = LineParser()
    assert parser.feed(b"BDT-\xffBAD\r\nBDT-\x07BELL\r\nBDT-GOOD\r\n") == [ScanReading("BDT-GOOD")]
    assert parser.bad_frames == 2 and parser.bytes_discarded == len(b"BDT-\xffBAD") + len(b"BDT-\x07BELL")


def test_an_overlong_line_is_refused_whole_never_truncated_into_a_code() -> None:
    parser = LineParser(max_length=16)
    assert parser.feed(b"A" * 40 + b"\r\nBDT-OK\r\n") == [ScanReading("BDT-OK")]
    assert parser.bad_frames == 1 and parser.bytes_discarded == 40


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=200))
def test_split_anywhere_the_stream_gives_the_same_codes_and_never_raises(junk: bytes, cut: int) -> None:
    stream = junk + b"\r\n" + encode_line("BDT-AFTERJUNK")
    whole = LineParser().feed(stream)
    assert whole[-1] == ScanReading("BDT-AFTERJUNK")
    parser = LineParser()
    assert parser.feed(stream[:cut]) + parser.feed(stream[cut:]) == whole
