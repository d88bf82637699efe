"""The emulated LD2410 holds the config-mode conversation the reference describes, over a real pty."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from common.backoff import Backoff
from drivers.emulators.ld2410 import Ld2410Emulator, split_commands
from drivers.emulators.scenario import Scenario, Walker
from drivers.serial import ld2410
from drivers.serial.geometry import Placement
from drivers.serial.ld2410 import Ld2410Parser
from drivers.serial.port import SerialReader
from drivers.serial.readings import CommandAck, PresenceReading, Reading
from tests.drivers.serial import ld2410_host
from tests.drivers.serial.collect import Collector
from tests.drivers.serial.ld2410_host import parse_firmware
from tests.waiting import PATIENCE_S

DOOR = Placement(0.0, 0.0, 0.0)
STILL_AT_2M = Scenario((Walker(((0.0, 0.0, 2.0), (1000.0, 0.0, 2.0))),), 1000.0)


@pytest.fixture
def radar() -> Iterator[tuple[Ld2410Emulator, Collector]]:
    emulator = Ld2410Emulator(STILL_AT_2M, DOOR, speed=5.0)
    path = emulator.start()
    reader = SerialReader(path, 256000, Ld2410Parser(), backoff=Backoff(0.02, 0.1))
    try:
        with Collector(reader) as collector:
            assert reader.opened.wait(PATIENCE_S)
            yield emulator, collector
    finally:
        emulator.stop()


def ack_for(command: int) -> Callable[[Reading], bool]:
    def matches(reading: Reading) -> bool:
        return isinstance(reading, CommandAck) and reading.command == command

    return matches


def is_engineering(reading: Reading) -> bool:
    return isinstance(reading, PresenceReading) and len(reading.moving_gates) == ld2410.GATES


def test_basic_frames_report_the_nearest_person(radar: tuple[Ld2410Emulator, Collector]) -> None:
    _, collector = radar
    reading = collector.until(lambda r: isinstance(r, PresenceReading))
    assert reading == PresenceReading(state=2, moving_cm=0, moving_energy=0, stationary_cm=200,
                                      stationary_energy=55, detection_cm=200)  # fmt: skip


def test_the_full_config_conversation(radar: tuple[Ld2410Emulator, Collector]) -> None:
    emulator, collector = radar
    reader = collector.reader

    assert reader.write(ld2410_host.enable_config())
    enabled = collector.until(ack_for(ld2410.ENABLE_CONFIG))
    assert enabled == CommandAck(ld2410.ENABLE_CONFIG, 0, bytes.fromhex("0100 4000"))  # protocol 1, buffer 64

    assert reader.write(ld2410_host.read_firmware())
    firmware = collector.until(ack_for(ld2410.READ_FIRMWARE))
    assert isinstance(firmware, CommandAck)
    assert parse_firmware(firmware) == "V1.07.22091516"

    assert reader.write(ld2410_host.engineering_on())
    assert collector.until(ack_for(ld2410.ENGINEERING_ON)) == CommandAck(ld2410.ENGINEERING_ON, 0, b"")
    engineering = collector.until(is_engineering)
    assert isinstance(engineering, PresenceReading)
    assert engineering.stationary_gates[200 // 75] == max(engineering.stationary_gates)  # gate 2 = 1.5-2.25 m

    assert reader.write(ld2410_host.engineering_off())
    collector.until(ack_for(ld2410.ENGINEERING_OFF))
    assert reader.write(ld2410_host.end_config())
    assert collector.until(ack_for(ld2410.END_CONFIG)) == CommandAck(ld2410.END_CONFIG, 0, b"")
    assert not emulator.config_mode
    after = collector.until(lambda r: isinstance(r, PresenceReading) and not is_engineering(r))
    assert isinstance(after, PresenceReading) and after.moving_gates == ()
    assert reader.parser.bad_frames == 0


def test_commands_outside_config_mode_are_ignored(radar: tuple[Ld2410Emulator, Collector]) -> None:
    emulator, collector = radar
    assert collector.reader.write(ld2410_host.read_firmware() + ld2410_host.engineering_on())
    collector.take(5)  # half a second of device time
    assert emulator.commands_heard == [ld2410.READ_FIRMWARE, ld2410.ENGINEERING_ON]
    assert not emulator.engineering
    assert not any(isinstance(r, CommandAck) for r in collector.seen)


def test_unknown_commands_in_config_mode_are_refused(radar: tuple[Ld2410Emulator, Collector]) -> None:
    _, collector = radar
    collector.reader.write(ld2410_host.enable_config() + ld2410_host.command(0x00A2))
    assert collector.until(ack_for(0x00A2)) == CommandAck(0x00A2, 1, b"")


def test_command_frames_split_across_writes_are_reassembled() -> None:
    stream = ld2410_host.enable_config() + b"\x00\x01" + ld2410_host.read_firmware()
    for cut in range(len(stream) + 1):
        first, rest = split_commands(stream[:cut])
        second, _ = split_commands(rest + stream[cut:])
        assert [c for c, _ in first + second] == [ld2410.ENABLE_CONFIG, ld2410.READ_FIRMWARE]
