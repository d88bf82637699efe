"""SerialReader over real ptys: bytes in, readings out, and a port that vanishes and comes back."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from common.backoff import Backoff
from drivers.emulators.pty import PtyPort
from drivers.serial.a02yyuw import A02yyuwParser, encode_frame
from drivers.serial.port import SerialReader
from drivers.serial.readings import RangeReading
from tests.drivers.serial.collect import Collector
from tests.waiting import PATIENCE_S, eventually


def reader_on(path: str) -> SerialReader:
    return SerialReader(path, 9600, A02yyuwParser(), backoff=Backoff(0.02, 0.1))


def test_bytes_written_on_the_device_side_come_out_as_readings() -> None:
    with PtyPort() as port, Collector(reader_on(port.path)) as collector:
        assert collector.reader.opened.wait(PATIENCE_S)
        port.write(encode_frame(1953) + encode_frame(760)[:2])
        port.write(encode_frame(760)[2:])
        assert collector.take(2) == [RangeReading(1953), RangeReading(760)]


def test_the_reader_keeps_going_through_unplug_and_replug() -> None:
    with PtyPort() as port, Collector(reader_on(port.path)) as collector:
        reader = collector.reader
        assert reader.opened.wait(PATIENCE_S)
        port.write(encode_frame(1000))
        assert collector.take(1) == [RangeReading(1000)]
        for replug in range(1, 3):
            port.unplug()
            assert not Path(port.path).exists()
            assert eventually(lambda: not reader.opened.is_set()), "the reader did not notice the unplug"
            assert not reader.write(b"\x55"), "writing to an unplugged port must report failure"
            port.plug()
            assert reader.opened.wait(PATIENCE_S)
            assert reader.reconnects == replug
            port.write(encode_frame(1000 + replug))
            assert collector.until(RangeReading(1000 + replug).__eq__) == RangeReading(1000 + replug)


def test_a_port_missing_at_start_is_waited_for() -> None:
    port = PtyPort()
    try:
        with Collector(reader_on(port.path)) as collector:
            time.sleep(0.2)
            assert not collector.reader.opened.is_set()
            port.plug()
            assert collector.reader.opened.wait(PATIENCE_S)
            assert collector.reader.reconnects == 0  # first open is not a reconnect
            port.write(encode_frame(2000))
            assert collector.take(1) == [RangeReading(2000)]
    finally:
        port.close()


def test_commands_written_by_the_host_reach_the_device() -> None:
    with PtyPort() as port, Collector(reader_on(port.path)) as collector:
        assert collector.reader.opened.wait(PATIENCE_S)
        assert collector.reader.write(b"\x55")
        received = bytearray()

        def heard() -> bool:
            received.extend(port.read())
            return bool(received)

        assert eventually(heard)
        assert bytes(received) == b"\x55"


def test_stop_ends_the_readings_promptly_on_a_silent_port() -> None:
    with PtyPort() as port:
        reader = reader_on(port.path)
        stop = threading.Event()
        readings = reader.readings(stop)
        threading.Timer(0.2, stop.set).start()
        started = time.monotonic()
        assert list(readings) == []
        # A read without a timeout would never return; READ_TIMEOUT_S bounds it at a tenth of a second.
        assert time.monotonic() - started < 5.0
        assert not reader.opened.is_set()
