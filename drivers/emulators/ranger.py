"""Emulated ultrasonic rangers: the distance to the nearest walker in a narrow beam, else max range."""

from __future__ import annotations

from typing_extensions import Unpack

from drivers.emulators.base import EmulatorOptions, SerialEmulator
from drivers.emulators.scenario import Scenario
from drivers.emulators.view import in_view
from drivers.serial import a02yyuw, maxbotix
from drivers.serial.geometry import Placement

BEAM_HALF_ANGLE_DEG = 15.0


class RangerEmulator(SerialEmulator):
    max_range_mm = 4500

    def distance_at(self, t: float) -> int:
        seen = in_view(self.scenario, self.placement, t, self.max_range_mm / 1000, BEAM_HALF_ANGLE_DEG)
        return seen[0].distance_mm if seen else self.max_range_mm


class A02yyuwEmulator(RangerEmulator):
    """A02YYUW (or, with checksum_includes_header=False, an AJ-SR04M clone) in UART auto mode."""

    max_range_mm = a02yyuw.MAX_RANGE_MM

    def __init__(
        self,
        scenario: Scenario,
        placement: Placement,
        rate_hz: float = 10.0,
        checksum_includes_header: bool = True,
        **options: Unpack[EmulatorOptions],
    ) -> None:
        super().__init__(scenario, placement, rate_hz, **options)
        self.checksum_includes_header = checksum_includes_header

    def frame_at(self, t: float) -> bytes:
        return a02yyuw.encode_frame(self.distance_at(t), self.checksum_includes_header)


class MaxbotixEmulator(RangerEmulator):
    max_range_mm = maxbotix.MAX_RANGE_MM

    def __init__(
        self,
        scenario: Scenario,
        placement: Placement,
        rate_hz: float = 6.0,
        **options: Unpack[EmulatorOptions],
    ) -> None:
        super().__init__(scenario, placement, rate_hz, **options)

    def frame_at(self, t: float) -> bytes:
        return maxbotix.encode_frame(max(self.distance_at(t), maxbotix.MIN_RANGE_MM))
