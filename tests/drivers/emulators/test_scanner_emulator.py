"""The scanner emulator on a pty, read by the configured scanner driver as a real port."""

from __future__ import annotations

from drivers.emulators.registry import SCANNER_EMULATORS
from drivers.serial.readings import ScanReading
from drivers.serial.registry import open_scanner
from drivers.serial.scanner import ScannerConfig
from tests.drivers.serial.collect import Collector
from tests.waiting import PATIENCE_S


def test_codes_scanned_on_the_emulator_reach_the_configured_reader() -> None:
    with SCANNER_EMULATORS["ascii_lines"]() as scanner:
        reader = open_scanner(ScannerConfig(port=scanner.path))
        with Collector(reader) as collected:
            assert reader.opened.wait(PATIENCE_S)
            scanner.send_raw(b"\xff\xfenoise\r\n")  # line noise: one bad line, refused
            scanner.scan("BDT-FIRST")
            scanner.scan("BDT-SECOND")
            assert collected.take(2) == [ScanReading("BDT-FIRST"), ScanReading("BDT-SECOND")]
        assert reader.parser.bad_frames == 1
