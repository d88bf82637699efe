"""Linking face detections across frames, so that each person in view is one track."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from device.domain import Identification
from device.recognition.appearance import Signature, dissimilarity
from device.recognition.decision import Vote
from device.recognition.faces import Box
from device.recognition.liveness import LivenessEvidence


class TrackState(Enum):
    PENDING = "pending"  # still gathering encodings
    IDENTIFIED = "identified"
    UNIDENTIFIED = "unidentified"  # final: counted as an anonymous visit, never named


@dataclass
class Track:
    track_id: int
    box: Box
    first_seen: float
    last_seen: float
    signature: Signature | None = None
    state: TrackState = TrackState.PENDING
    customer_ref: str | None = None
    hits: int = 1
    votes: list[Vote] = field(default_factory=list)
    last_attempt_height: int = 0
    last_attempt_quality: float = 0.0
    confirm_next: bool = False  # the last vote supported a name: confirm on the very next frame
    last_refresh: float = 0.0
    liveness: LivenessEvidence = field(default_factory=LivenessEvidence)
    held: Identification | None = None  # named by the rule, waiting for the liveness verdict

    @property
    def attempts(self) -> int:
        return len(self.votes)


# A person hidden behind another for a moment comes back as a new track; named again this soon after their
# last track was seen, they are still on the same visit and are not announced twice.
SAME_VISIT_S = 5.0


class Tracker:
    """Greedy association on overlap, vetoed when the face looks different (someone else stepped in)."""

    def __init__(self, timeout_s: float = 1.5, min_iou: float = 0.2, max_dissimilarity: float = 0.5) -> None:
        self.timeout_s = timeout_s
        self.min_iou = min_iou
        self.max_dissimilarity = max_dissimilarity
        self._tracks: dict[int, Track] = {}
        self._next_id = 1
        self._named_until: dict[str, float] = {}  # customer -> last seen on a track that ended named

    @property
    def active(self) -> list[Track]:
        return list(self._tracks.values())

    def _compatible(self, track: Track, signature: Signature | None) -> bool:
        if track.signature is None or signature is None:
            return True
        return dissimilarity(track.signature, signature) <= self.max_dissimilarity

    def update(
        self, boxes: Sequence[Box], now: float, signatures: Sequence[Signature | None] | None = None
    ) -> list[Track]:
        """Assign each box to a track (existing or new); returns the tracks in the order of `boxes`."""
        sigs: Sequence[Signature | None] = signatures if signatures is not None else [None] * len(boxes)
        pairs = sorted(
            (
                (box.iou(track.box), b, track.track_id)
                for b, box in enumerate(boxes)
                for track in self._tracks.values()
            ),
            reverse=True,
        )
        assigned: dict[int, Track] = {}
        used: set[int] = set()
        for overlap, b, track_id in pairs:
            if overlap < self.min_iou:
                break
            if b in assigned or track_id in used:
                continue
            track = self._tracks[track_id]
            if not self._compatible(track, sigs[b]):
                continue
            track.box, track.last_seen = boxes[b], now
            track.signature = sigs[b] if sigs[b] is not None else track.signature
            track.hits += 1
            assigned[b] = track
            used.add(track_id)
        for b, box in enumerate(boxes):
            if b not in assigned:
                track = Track(self._next_id, box, first_seen=now, last_seen=now, signature=sigs[b])
                self._next_id += 1
                self._tracks[track.track_id] = track
                assigned[b] = track
        return [assigned[b] for b in range(len(boxes))]

    def expire(self, now: float) -> list[Track]:
        """Remove and return the tracks not seen for `timeout_s`: those people have left the view."""
        gone = [t for t in self._tracks.values() if now - t.last_seen > self.timeout_s]
        for track in gone:
            del self._tracks[track.track_id]
            if track.state is TrackState.IDENTIFIED and track.customer_ref is not None:
                self._named_until[track.customer_ref] = track.last_seen
        for ref, seen in list(self._named_until.items()):
            if now - seen > SAME_VISIT_S:
                del self._named_until[ref]
        return gone

    def already_named(self, customer_ref: str, now: float) -> bool:
        """Whether this customer is named on a track in view, or was on one that ended moments ago."""
        if any(t.customer_ref == customer_ref for t in self._tracks.values()):
            return True
        seen = self._named_until.get(customer_ref)
        return seen is not None and now - seen <= SAME_VISIT_S

    def customers_remembered(self) -> set[str]:
        """Every customer a track names or names recently ended tracks named: what `drop_customer` forgets."""
        named = {t.customer_ref for t in self._tracks.values() if t.customer_ref is not None}
        return named | set(self._named_until)

    def drop_customer(self, customer_ref: str) -> None:
        """A customer withdrew: any live track naming them, or leaning towards them, forgets it for good."""
        self._named_until.pop(customer_ref, None)
        for track in self._tracks.values():
            if track.customer_ref == customer_ref or any(v.customer_ref == customer_ref for v in track.votes):
                track.customer_ref = None
                track.state = TrackState.UNIDENTIFIED
