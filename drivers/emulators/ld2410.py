"""An emulated HLK-LD2410: presence of the nearest walker, and the config-mode conversation.

Commands are answered only between enable-config and end-config, as the device does; anything
sent outside config mode is ignored (no ACK). In config mode: 0x00FF answers protocol version 1
and buffer size 0x40, 0x00A0 the firmware V1.07.22091516, 0x0062/0x0063 switch engineering frames
on/off, 0x00FE ends config mode; any other command is refused with status 1 (not emulated).
Data frames keep flowing during config mode, so ACKs arrive interleaved with them.
"""

from __future__ import annotations

import struct

from typing_extensions import Unpack

from drivers.emulators.base import EmulatorOptions, SerialEmulator
from drivers.emulators.scenario import Scenario
from drivers.emulators.view import in_view
from drivers.serial import envelope, ld2410
from drivers.serial.geometry import Placement
from drivers.serial.readings import PresenceReading

RANGE_M = 6.0
HALF_ANGLE_DEG = 60.0
GATE_CM = 75
PROTOCOL_VERSION, BUFFER_SIZE = 0x0001, 0x0040
FIRMWARE_DATA = bytes.fromhex("00 01 07 01 16 15 09 22")  # reads V1.07.22091516


def split_commands(buffer: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """Complete host command frames in `buffer` as (command, value), and the bytes to keep for later."""
    commands: list[tuple[int, bytes]] = []
    while True:
        start = buffer.find(envelope.HEADER)
        if start < 0:
            return commands, buffer[-3:]  # could be the start of a header split across two writes
        buffer = buffer[start:]
        if len(buffer) < 6:
            return commands, buffer
        (length,) = struct.unpack_from("<H", buffer, 4)
        if not 2 <= length <= envelope.MAX_ACK_LENGTH:
            buffer = buffer[1:]
            continue
        total = 6 + length + 4
        if len(buffer) < total:
            return commands, buffer
        if buffer[total - 4 : total] == envelope.TAIL:
            (cmd,) = struct.unpack_from("<H", buffer, 6)
            commands.append((cmd, buffer[8 : total - 4]))
            buffer = buffer[total:]
        else:
            buffer = buffer[1:]


class Ld2410Emulator(SerialEmulator):
    def __init__(
        self,
        scenario: Scenario,
        placement: Placement,
        rate_hz: float = 10.0,
        **options: Unpack[EmulatorOptions],
    ) -> None:
        super().__init__(scenario, placement, rate_hz, **options)
        self.config_mode = False
        self.engineering = False
        self.commands_heard: list[int] = []
        self._pending = b""

    def reading_at(self, t: float) -> PresenceReading:
        seen = in_view(self.scenario, self.placement, t, RANGE_M, HALF_ANGLE_DEG)
        if not seen:
            gates = (0,) * ld2410.GATES if self.engineering else ()
            return PresenceReading(0, 0, 0, 0, 0, 0, gates, gates)
        nearest = seen[0]
        cm = round(nearest.distance_mm / 10)
        moving = nearest.moving
        reading = PresenceReading(
            state=1 if moving else 2,
            moving_cm=cm if moving else 0,
            moving_energy=70 if moving else 0,
            stationary_cm=0 if moving else cm,
            stationary_energy=0 if moving else 55,
            detection_cm=cm,
        )
        if not self.engineering:
            return reading
        gate = min(cm // GATE_CM, ld2410.GATES - 1)
        energy = [max(0, 90 - 40 * abs(g - gate)) for g in range(ld2410.GATES)]
        quiet = [0] * ld2410.GATES
        return PresenceReading(
            *(reading.state, reading.moving_cm, reading.moving_energy),
            *(reading.stationary_cm, reading.stationary_energy, reading.detection_cm),
            moving_gates=tuple(energy if moving else quiet),
            stationary_gates=tuple(quiet if moving else energy),
        )

    def frame_at(self, t: float) -> bytes:
        return ld2410.encode_frame(self.reading_at(t))

    def on_bytes(self, data: bytes) -> None:
        commands, self._pending = split_commands(self._pending + data)
        for cmd, value in commands:
            self.commands_heard.append(cmd)
            reply = self.answer(cmd, value)
            if reply is not None:
                self.send(reply)

    def answer(self, cmd: int, value: bytes) -> bytes | None:
        if cmd == ld2410.ENABLE_CONFIG:
            self.config_mode = True
            return envelope.ack(cmd, 0, struct.pack("<HH", PROTOCOL_VERSION, BUFFER_SIZE))
        if not self.config_mode:
            return None
        if cmd == ld2410.END_CONFIG:
            self.config_mode = False
            return envelope.ack(cmd)
        if cmd == ld2410.READ_FIRMWARE:
            return envelope.ack(cmd, 0, FIRMWARE_DATA)
        if cmd in (ld2410.ENGINEERING_ON, ld2410.ENGINEERING_OFF):
            self.engineering = cmd == ld2410.ENGINEERING_ON
            return envelope.ack(cmd)
        return envelope.ack(cmd, 1)
