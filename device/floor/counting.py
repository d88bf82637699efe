"""Turning tracks into footfall events: door-line crossings and zone visits.

A crossing is a side change across a door line, measured between positions that are clearly on one
side (outside a small band around the line), so someone standing in the doorway does not count in and
out on every wobble, and a missed frame does not matter. Events of a track are held back until the
tracker confirms it, so a one-frame ghost never counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from device.floor.config import FloorConfig, ZoneKind
from device.floor.geometry import Point, point_in_polygon, segments_intersect, signed_distance
from device.floor.tracker import Track

Direction = Literal["in", "out"]


@dataclass(frozen=True, slots=True)
class LineCrossing:
    line: str
    direction: Direction
    t: float
    track_id: int


@dataclass(frozen=True, slots=True)
class ZoneVisit:
    """A stay in a zone of at least the configured minimum dwell."""

    zone: str
    kind: ZoneKind
    entered: float
    left: float
    track_id: int

    @property
    def dwell_s(self) -> float:
        return self.left - self.entered


FloorEvent = LineCrossing | ZoneVisit


@dataclass
class _Stay:
    entered: float
    last_inside: float


@dataclass
class _TrackState:
    # Per door line: the last side the track was clearly on, and where it was then.
    anchors: dict[str, tuple[int, Point]] = field(default_factory=dict)
    stays: dict[str, _Stay] = field(default_factory=dict)
    pending: list[FloorEvent] = field(default_factory=list)


class FootfallCounter:
    def __init__(self, config: FloorConfig, *, band_m: float = 0.15, exit_grace_s: float = 1.5) -> None:
        self.config = config
        # Sensor jitter is ~5-10 cm; a 15 cm band either side of the line absorbs it.
        self.band_m = band_m
        # Stepping out of a zone for a moment (jitter at its edge, a glance at a leaflet) is not leaving it.
        self.exit_grace_s = exit_grace_s
        self._states: dict[int, _TrackState] = {}

    def observe(self, track: Track, t: float) -> list[FloorEvent]:
        """Update from a track seen at time t; returns events that are now certain."""
        state = self._states.setdefault(track.track_id, _TrackState())
        events = self._crossings(state, track, t) + self._zone_changes(state, track, t)
        if not track.confirmed:
            state.pending.extend(events)
            return []
        released, state.pending = [*state.pending, *events], []
        return released

    def end(self, track: Track) -> list[FloorEvent]:
        """The track is gone: close its zone stays at the last time it was inside."""
        state = self._states.pop(track.track_id, None)
        if state is None or not track.confirmed:
            return []
        events = list(state.pending)
        for name, stay in state.stays.items():
            events.extend(self._visit(name, stay, track.track_id))
        return events

    def _crossings(self, state: _TrackState, track: Track, t: float) -> list[FloorEvent]:
        events: list[FloorEvent] = []
        position = track.position
        for line in self.config.door_lines:
            distance = signed_distance(line.a, line.b, position)
            if abs(distance) <= self.band_m:
                continue
            side = 1 if distance > 0 else -1
            anchor = state.anchors.get(line.name)
            if (
                anchor is not None
                and anchor[0] != side
                and segments_intersect(anchor[1], position, line.a, line.b)
            ):
                direction: Direction = "in" if side == line.inside_sign else "out"
                events.append(LineCrossing(line.name, direction, t, track.track_id))
            state.anchors[line.name] = (side, position)
        return events

    def _zone_changes(self, state: _TrackState, track: Track, t: float) -> list[FloorEvent]:
        events: list[FloorEvent] = []
        for zone in self.config.zones:
            stay = state.stays.get(zone.name)
            if point_in_polygon(track.position, zone.polygon):
                if stay is None:
                    state.stays[zone.name] = _Stay(entered=t, last_inside=t)
                else:
                    stay.last_inside = t
            elif stay is not None and t - stay.last_inside > self.exit_grace_s:
                del state.stays[zone.name]
                events.extend(self._visit(zone.name, stay, track.track_id))
        return events

    def _visit(self, name: str, stay: _Stay, track_id: int) -> list[FloorEvent]:
        if stay.last_inside - stay.entered < self.config.min_dwell_s:
            return []
        kind = next(zone.kind for zone in self.config.zones if zone.name == name)
        return [ZoneVisit(name, kind, stay.entered, stay.last_inside, track_id)]
