"""An emulated HLK-LD2450: real 30-byte frames for up to three walkers in its cone."""

from __future__ import annotations

from typing_extensions import Unpack

from drivers.emulators.base import EmulatorOptions, SerialEmulator
from drivers.emulators.scenario import Scenario
from drivers.emulators.view import in_view
from drivers.serial import ld2450
from drivers.serial.geometry import Placement
from drivers.serial.readings import Target

RANGE_M = 6.0  # the datasheet's detection range and field of view
HALF_ANGLE_DEG = 60.0
RESOLUTION_MM = 320


class Ld2450Emulator(SerialEmulator):
    def __init__(
        self,
        scenario: Scenario,
        placement: Placement,
        rate_hz: float = 10.0,
        **options: Unpack[EmulatorOptions],
    ) -> None:
        super().__init__(scenario, placement, rate_hz, **options)

    def targets_at(self, t: float) -> tuple[Target, ...]:
        seen = in_view(self.scenario, self.placement, t, RANGE_M, HALF_ANGLE_DEG)
        return tuple(
            Target(s.x_mm, s.y_mm, round(s.radial_mm_s / 10), RESOLUTION_MM)
            for s in seen[: ld2450.MAX_TARGETS]
        )

    def frame_at(self, t: float) -> bytes:
        return ld2450.encode_frame(self.targets_at(t))
