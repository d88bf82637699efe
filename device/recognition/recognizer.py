"""Frames in, identifications and anonymous visits out.

Compute goes only where it matters: an unchanged doorway costs a thumbnail comparison; faces are
searched for only where the picture changed and around the people already tracked; and a person is
encoded a few times, on their best frames, never on every frame.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from device.domain import Identification, UnidentifiedVisit
from device.recognition.appearance import frontality, sharpness, signature
from device.recognition.config import RecognitionConfig
from device.recognition.decision import DecisionRule, Verdict, Vote
from device.recognition.encoder import Encoder, InlineEncoder
from device.recognition.faces import Box, FaceEngine, Image, suppress_overlaps
from device.recognition.gallery import Gallery
from device.recognition.motion import MotionGate
from device.recognition.tracking import Track, Tracker, TrackState

Event = Identification | UnidentifiedVisit
log = logging.getLogger(__name__)

# Once a person is decided, their track only needs to stay alive: refresh it a few times a second.
KEEPALIVE_S = 0.5
# A person still being recognised, but waiting for a better frame, is looked at this often.
PENDING_REFRESH_S = 0.12
# With people already in view, look for newcomers less often.
BUSY_SCAN_S = 1.0
# Re-encode a person only on a clearly better frame: this much larger, or this much better quality.
GROWTH_FOR_RETRY = 1.15
QUALITY_FOR_RETRY = 1.3
# A face this much further than the tolerance from every customer, on `min_votes` frames, is a
# stranger: more encodings would only cost (faces-dev: customers' votes 0.31-0.57, strangers' 0.55-0.78).
STRANGER_GAP = 0.1
# Laplacian variance at which a 64x64 face counts as fully sharp.
SHARP_ENOUGH = 150.0


@dataclass
class RecognizerStats:
    frames: int = 0
    idle_frames: int = 0
    detections: int = 0
    encodings: int = 0
    spoofs: int = 0  # tracks the rule would have named, judged a picture held up to the camera


class Recognizer:
    def __init__(
        self,
        engine: FaceEngine,
        config: RecognitionConfig,
        gallery: Callable[[], Gallery],
        encoder: Encoder | None = None,
        check_liveness: bool = True,
    ) -> None:
        """`check_liveness=False` names on the rule alone, as before liveness: bench/attacks.py's baseline."""
        self._engine = engine
        self._encoder: Encoder = encoder or InlineEncoder(engine)
        self._config = config
        self._gallery = gallery
        self._check_liveness = check_liveness
        self._rule = DecisionRule(
            config.tolerance,
            config.margin,
            config.min_votes,
            config.attempts_per_track,
            give_up_above=config.tolerance + STRANGER_GAP,
            size_step=GROWTH_FOR_RETRY if config.more_attempts_as_face_grows else math.inf,
        )
        self._gate = MotionGate()
        self._last_scan = -math.inf
        self.tracker = Tracker(timeout_s=config.track_timeout_s)
        self.stats = RecognizerStats()

    @property
    def encodings(self) -> int:
        return self.stats.encodings

    def process(self, image: Image, now: float, wall_time: float) -> list[Event]:
        self.stats.frames += 1
        height, width = image.shape[:2]
        # A tracked person's own movement (head, shoulders, body below) is no newcomer.
        followed = [_person_around(t.box, width, height) for t in self.tracker.active]
        motion = self._gate.update(image, ignore=followed)
        if not self.tracker.active and motion.region is None:
            self.stats.idle_frames += 1
            return []
        boxes = suppress_overlaps(self._refresh_tracks(image, now) + self._scan(image, motion.region, now))
        tracks = self.tracker.update(boxes, now, [signature(image, box) for box in boxes])
        for track, box in zip(tracks, boxes, strict=True):
            if track.state is TrackState.PENDING and self._check_liveness:
                track.liveness.add(image, box, now)
        events = self._recognize(image, list(zip(tracks, boxes, strict=True)))
        settled = [t for t in self.tracker.active if not self._check_liveness or t.liveness.settled(now)]
        events += [e for t in settled for e in self._settle(t)]
        return events + self._ended(self.tracker.expire(now), wall_time)

    def close(self) -> None:
        self._encoder.close()

    def flush(self, wall_time: float) -> list[Event]:
        """Everyone still in view is treated as gone (the stream ended or the daemon is stopping)."""
        return self._ended(self.tracker.expire(math.inf), wall_time)

    def _refresh_tracks(self, image: Image, now: float) -> list[Box]:
        height, width = image.shape[:2]
        found: list[Box] = []
        for track in self.tracker.active:
            interval = _refresh_interval(track)
            if now - track.last_refresh < interval:
                continue
            track.last_refresh = now
            region = track.box.grown(0.5, width, height)
            found += self._engine.detect_region(image, region, min_face_px=track.box.height * 0.7)
            self.stats.detections += 1
        return found

    def _scan(self, image: Image, changed: Box | None, now: float) -> list[Box]:
        interval = BUSY_SCAN_S if self.tracker.active else self._config.scan_interval_s
        if changed is None or now - self._last_scan < interval:
            return []
        self._last_scan = now
        self.stats.detections += 1
        height, width = image.shape[:2]
        region = changed.grown(0.1, width, height)
        if region.area > 0.5 * width * height:
            # Most of the picture changed: someone close to the lens, or the light. Search it whole,
            # at the cost of the smallest faces.
            return self._engine.detect(image)
        return self._engine.detect_region(image, region, self._config.scan_min_face_px)

    def _worth_encoding(self, track: Track, box: Box, image: Image) -> float | None:
        """The frame's quality when this frame should be encoded for this track, else None."""
        if track.state is not TrackState.PENDING or track.held or box.height < self._config.min_face_px:
            return None
        quality = box.height * min(1.0, sharpness(image, box) / SHARP_ENOUGH) * frontality(image, box)
        if (
            track.attempts == 0
            or track.confirm_next
            or box.height >= GROWTH_FOR_RETRY * track.last_attempt_height
            or quality >= QUALITY_FOR_RETRY * track.last_attempt_quality
        ):
            return quality
        return None

    def _recognize(self, image: Image, seen: list[tuple[Track, Box]]) -> list[Event]:
        due = [(t, b, q) for t, b in seen if (q := self._worth_encoding(t, b, image)) is not None]
        if not due:
            return []
        templates = self._encoder.encode(image, [box for _, box, _ in due])
        self.stats.encodings += len(templates)
        gallery = self._gallery()
        events: list[Event] = []
        for (track, box, quality), template in zip(due, templates, strict=True):
            match = gallery.nearest(template)
            if match is None:
                vote = Vote(None, math.inf, None, box.height)
            else:
                vote = Vote(match.customer_ref, match.distance, match.second_distance, box.height)
            track.votes.append(vote)
            track.last_attempt_height, track.last_attempt_quality = box.height, quality
            track.confirm_next = self._rule.supports(vote)
            decision = self._rule.decide(track.votes)
            if decision.verdict is Verdict.NAMED and decision.customer_ref is not None:
                # Named only once the liveness evidence is in (`_settle`): a held picture is not a customer.
                second = min((v.second_distance for v in track.votes if v.second_distance), default=None)
                track.held = Identification(
                    decision.customer_ref, decision.distance or 0.0, second, track.track_id
                )
            elif decision.verdict is Verdict.UNIDENTIFIED:
                track.state = TrackState.UNIDENTIFIED
        return events

    def _settle(self, track: Track) -> list[Event]:
        """The held name of a track, given out now unless the track shows a picture held up to the camera."""
        if track.held is None or track.state is not TrackState.PENDING:
            return []
        held, track.held = track.held, None
        verdict = track.liveness.verdict() if self._check_liveness else "live"
        if verdict == "spoof":
            track.state = TrackState.UNIDENTIFIED
            self.stats.spoofs += 1
            log.warning("a picture of a customer was held up to the door camera: not named")
            return []
        repeat = self.tracker.already_named(held.customer_ref, track.last_seen)
        track.state, track.customer_ref = TrackState.IDENTIFIED, held.customer_ref
        if repeat:  # the same person back in view (hidden by someone for a moment): one visit
            return []
        return [replace(held, liveness=verdict)]

    def _ended(self, tracks: list[Track], wall_time: float) -> list[Event]:
        # Someone who left before their liveness settled is judged on what was seen.
        events = [e for t in tracks for e in self._settle(t)]
        # A brief false detection is not a visitor: a person is seen on a few frames at least.
        return events + [
            UnidentifiedVisit(at=wall_time)
            for t in tracks
            if t.state is not TrackState.IDENTIFIED and t.hits >= 3
        ]


def _refresh_interval(track: Track) -> float:
    if track.state is not TrackState.PENDING:
        return KEEPALIVE_S
    # Confirming a first vote cannot wait; waiting for a better frame can skip one.
    return 0.0 if track.confirm_next or track.attempts == 0 else PENDING_REFRESH_S


def _person_around(face: Box, width: int, height: int) -> Box:
    """Where a tracked person's movement shows: their head and shoulders, and the body below."""
    return Box(
        top=max(0, face.top - face.height),
        right=min(width, face.right + face.width),
        bottom=min(height, face.bottom + 4 * face.height),
        left=max(0, face.left - face.width),
    )
