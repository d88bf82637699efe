"""Linking face detections across frames, so that each person in view is one track."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from device.faces import Box


class TrackState(Enum):
    PENDING = "pending"  # still trying to recognise
    IDENTIFIED = "identified"
    UNIDENTIFIED = "unidentified"  # gave up: counted as an anonymous visit


@dataclass
class Track:
    track_id: int
    box: Box
    first_seen: float
    last_seen: float
    attempts: int = 0
    state: TrackState = TrackState.PENDING
    customer_ref: str | None = None
    hits: int = 1
    distances: list[float] = field(default_factory=list)


class Tracker:
    """Greedy IoU association. Cheap enough to run on every frame of a Raspberry Pi."""

    def __init__(self, timeout_s: float = 1.5, min_iou: float = 0.2) -> None:
        self.timeout_s = timeout_s
        self.min_iou = min_iou
        self._tracks: dict[int, Track] = {}
        self._next_id = 1

    @property
    def active(self) -> list[Track]:
        return list(self._tracks.values())

    def update(self, boxes: list[Box], now: float) -> list[Track]:
        """Assign each box to a track (existing or new); returns the tracks in the order of `boxes`."""
        pairs = sorted(
            (
                (box.iou(track.box), b, track.track_id)
                for b, box in enumerate(boxes)
                for track in self._tracks.values()
            ),
            reverse=True,
        )
        assigned: dict[int, Track] = {}
        used_tracks: set[int] = set()
        for overlap, b, track_id in pairs:
            if overlap < self.min_iou:
                break
            if b in assigned or track_id in used_tracks:
                continue
            track = self._tracks[track_id]
            track.box, track.last_seen = boxes[b], now
            track.hits += 1
            assigned[b] = track
            used_tracks.add(track_id)
        for b, box in enumerate(boxes):
            if b not in assigned:
                track = Track(self._next_id, box, first_seen=now, last_seen=now)
                self._next_id += 1
                self._tracks[track.track_id] = track
                assigned[b] = track
        return [assigned[b] for b in range(len(boxes))]

    def expire(self, now: float) -> list[Track]:
        """Remove and return the tracks not seen for `timeout_s`: those people have left the view."""
        gone = [t for t in self._tracks.values() if now - t.last_seen > self.timeout_s]
        for track in gone:
            del self._tracks[track.track_id]
        return gone

    def drop_customer(self, customer_ref: str) -> None:
        """A customer withdrew: any live track naming them forgets the name."""
        for track in self._tracks.values():
            if track.customer_ref == customer_ref:
                track.customer_ref = None
                track.state = TrackState.UNIDENTIFIED
