"""What a serial sensor says, once its bytes are decoded: typed values, never raw dicts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Target:
    """One LD2450 target in sensor-local coordinates: +x to the sensor's right, +y straight ahead."""

    x_mm: int
    y_mm: int
    speed_cm_s: int  # negative = approaching the sensor
    resolution_mm: int


@dataclass(frozen=True, slots=True)
class TargetsReading:
    """An LD2450 frame: 0 to 3 targets. Empty (all-zero) blocks are omitted, not reported as (0, 0)."""

    targets: tuple[Target, ...]


@dataclass(frozen=True, slots=True)
class PresenceReading:
    """An LD2410 frame. The gate tuples are filled only by engineering frames (9 gates each)."""

    state: int  # bitmask: 0 none, 1 moving, 2 stationary, 3 both
    moving_cm: int
    moving_energy: int
    stationary_cm: int
    stationary_energy: int
    detection_cm: int
    moving_gates: tuple[int, ...] = ()
    stationary_gates: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class RangeReading:
    """One ultrasonic distance, already checked against the sensor's valid range."""

    distance_mm: int


@dataclass(frozen=True, slots=True)
class CommandAck:
    """A radar's answer to a command. `command` is the command acknowledged (0x00FF for
    enable-config), not the raw ACK word with its 0x0100 bit; `status` 0 is success."""

    command: int
    status: int
    data: bytes


@dataclass(frozen=True, slots=True)
class ScanReading:
    """One code read by a barcode/QR scanner: printable ASCII, terminator stripped."""

    text: str


Reading = TargetsReading | PresenceReading | RangeReading | CommandAck | ScanReading
