"""What one kiosk's sensors saw, as the other kiosks of its branch receive it: the wire format of
`<prefix>/<branch>/device/<device>/floor/observations` (the contract model is `FloorObservations` in
device/mqtt/contract/models.py; a test holds the two together).

Only floor metres and times travel: no sensor-local track, no identity. A payload that is not exactly
this shape, or is larger than a few sensors' worth of targets could be, is refused with the reason, so
the floor thread never sees it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from device.floor.tracker import Observation

SCHEMA = "branchdoor/floor-observations/1"
MAX_BYTES = 16_384
MAX_SENSORS = 16
MAX_POINTS = 32  # per sensor: an LD2450 reports 3; more is not a radar
MAX_STAFF = 16
# Floor metres, as the floor config bounds them (device/floor/config.py, Metres).
MAX_ABS_M = 1000.0
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-")


class BadObservations(ValueError):
    """A payload refused; the message says why, for the log."""


@dataclass(frozen=True, slots=True)
class SensorView:
    sensor_id: str
    seen_at: float  # the sender's wall clock at the sensor's reading
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class ObservationBatch:
    sent_at: float  # the sender's wall clock
    sensors: tuple[SensorView, ...]
    staff_named: tuple[float, ...]  # the sender's wall clock: staff its camera named at its door
    keeper: bool = False  # the sender keeps the branch's floor now


def encode(
    sent_at: float,
    latest: Mapping[str, Sequence[Observation]],
    staff_named: Sequence[float],
    keeper: bool = False,
) -> bytes:
    """One batch: per sensor, its last fresh reading's people in floor metres."""
    sensors = [
        {
            "sensor": sensor_id,
            "t": round(observations[0].t, 3) if observations else round(sent_at, 3),
            "points": [[round(o.x_m, 3), round(o.y_m, 3)] for o in observations[:MAX_POINTS]],
        }
        for sensor_id, observations in list(latest.items())[:MAX_SENSORS]
    ]
    body = {
        "schema": SCHEMA,
        "at": round(sent_at, 3),
        "sensors": sensors,
        "staff_named": [round(t, 3) for t in staff_named[-MAX_STAFF:]],
        "keeper": keeper,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def decode(payload: bytes) -> ObservationBatch:
    if len(payload) > MAX_BYTES:
        raise BadObservations(f"{len(payload)} bytes, at most {MAX_BYTES}")
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise BadObservations(f"not JSON ({exc.__class__.__name__})") from None
    if not isinstance(body, dict) or set(body) != {"schema", "at", "sensors", "staff_named", "keeper"}:
        raise BadObservations("expected an object with exactly schema, at, sensors, staff_named, keeper")
    if body["schema"] != SCHEMA:
        raise BadObservations(f"schema is not {SCHEMA}")
    sensors, staff = body["sensors"], body["staff_named"]
    if not isinstance(sensors, list) or len(sensors) > MAX_SENSORS:
        raise BadObservations(f"sensors: expected a list of at most {MAX_SENSORS}")
    if not isinstance(staff, list) or len(staff) > MAX_STAFF:
        raise BadObservations(f"staff_named: expected a list of at most {MAX_STAFF} times")
    if not isinstance(body["keeper"], bool):
        raise BadObservations("keeper: expected true or false")
    views = tuple(_sensor(entry) for entry in sensors)
    if len({view.sensor_id for view in views}) != len(views):
        raise BadObservations("a sensor appears twice")
    staff_times = tuple(_time(t, "staff_named") for t in staff)
    return ObservationBatch(_time(body["at"], "at"), views, staff_times, body["keeper"])


def _sensor(entry: Any) -> SensorView:
    if not isinstance(entry, dict) or set(entry) != {"sensor", "t", "points"}:
        raise BadObservations("sensors[]: expected an object with exactly sensor, t, points")
    sensor_id, points = entry["sensor"], entry["points"]
    if not isinstance(sensor_id, str) or not 0 < len(sensor_id) <= 64 or not set(sensor_id) <= _ID_CHARS:
        raise BadObservations("sensors[].sensor: expected an id of 1 to 64 letters, digits, _ . : -")
    if not isinstance(points, list) or len(points) > MAX_POINTS:
        raise BadObservations(f"sensors[].points: expected a list of at most {MAX_POINTS}")
    return SensorView(sensor_id, _time(entry["t"], "sensors[].t"), tuple(_point(p) for p in points))


def _point(point: Any) -> tuple[float, float]:
    if not isinstance(point, list) or len(point) != 2 or not all(_is_metres(v) for v in point):
        raise BadObservations(f"sensors[].points[]: expected [x, y] in floor metres within ±{MAX_ABS_M:g}")
    return float(point[0]), float(point[1])


def _is_metres(value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and math.isfinite(value) and abs(value) <= MAX_ABS_M


def _time(value: Any, what: str) -> float:
    # Any finite positive number: whether the sender's clock is usable is judged on receipt.
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e11:
        raise BadObservations(f"{what}: expected a Unix time")
    return float(value)
