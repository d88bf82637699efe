"""Which emulator stands in for each configured serial sensor type (the demo and tests use this)."""

from __future__ import annotations

from collections.abc import Callable

from typing_extensions import Unpack

from drivers.emulators.base import EmulatorOptions, SerialEmulator
from drivers.emulators.ld2410 import Ld2410Emulator
from drivers.emulators.ld2450 import Ld2450Emulator
from drivers.emulators.ranger import A02yyuwEmulator, MaxbotixEmulator
from drivers.emulators.scanner import ScannerEmulator
from drivers.emulators.scenario import Scenario
from drivers.serial.geometry import Placement

EmulatorFactory = Callable[..., SerialEmulator]

EMULATORS: dict[str, EmulatorFactory] = {
    "ld2450": Ld2450Emulator,
    "ld2410": Ld2410Emulator,
    "a02yyuw": A02yyuwEmulator,
    # Same frame and checksum as the A02YYUW; its 250 mm blind zone is the parser's business.
    "jsn_sr04t": A02yyuwEmulator,
    "maxbotix": MaxbotixEmulator,
}

# Scanners read codes, not people: no scenario or placement (see drivers/serial/scanner.py).
SCANNER_EMULATORS: dict[str, Callable[[], ScannerEmulator]] = {"ascii_lines": ScannerEmulator}


def emulator_for(
    sensor_type: str, scenario: Scenario, placement: Placement, **options: Unpack[EmulatorOptions]
) -> SerialEmulator:
    try:
        factory = EMULATORS[sensor_type]
    except KeyError:
        raise LookupError(f"no emulator for serial sensor type {sensor_type!r}") from None
    return factory(scenario, placement, **options)
