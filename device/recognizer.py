"""Frames in, identifications and anonymous visits out: detection, tracking and the gallery decision."""

from __future__ import annotations

from collections.abc import Callable

from device.config import RecognitionConfig
from device.events import Identification, UnidentifiedVisit
from device.faces import FaceEngine, Image
from device.gallery import Gallery
from device.tracking import Track, Tracker, TrackState

Event = Identification | UnidentifiedVisit


class Recognizer:
    def __init__(
        self,
        engine: FaceEngine,
        config: RecognitionConfig,
        gallery: Callable[[], Gallery],
    ) -> None:
        self._engine = engine
        self._config = config
        self._gallery = gallery
        self.tracker = Tracker(timeout_s=config.track_timeout_s)
        self.encodings = 0

    def process(self, image: Image, now: float, wall_time: float) -> list[Event]:
        boxes = self._engine.detect(image)
        tracks = self.tracker.update(boxes, now)
        events: list[Event] = []
        due = [(t, b) for t, b in zip(tracks, boxes, strict=True) if self._wants_encoding(t)]
        if due:
            templates = self._engine.encode(image, [b for _, b in due])
            self.encodings += len(templates)
            gallery = self._gallery()
            for (track, _), template in zip(due, templates, strict=True):
                track.attempts += 1
                match = gallery.nearest(template)
                if match is not None and match.distance <= self._config.tolerance:
                    track.state = TrackState.IDENTIFIED
                    track.customer_ref = match.customer_ref
                    events.append(
                        Identification(
                            match.customer_ref, match.distance, match.second_distance, track.track_id
                        )
                    )
                elif track.attempts >= self._config.attempts_per_track:
                    track.state = TrackState.UNIDENTIFIED
        events.extend(self._ended(self.tracker.expire(now), wall_time))
        return events

    def _wants_encoding(self, track: Track) -> bool:
        return track.state is TrackState.PENDING and track.box.height >= self._config.min_face_px

    def flush(self, wall_time: float) -> list[Event]:
        """Everyone still in view is treated as gone (the stream ended or the daemon is stopping)."""
        return self._ended(self.tracker.expire(float("inf")), wall_time)

    @staticmethod
    def _ended(tracks: list[Track], wall_time: float) -> list[Event]:
        # A brief false detection (one frame) is not a visitor.
        return [
            UnidentifiedVisit(at=wall_time)
            for t in tracks
            if t.state is not TrackState.IDENTIFIED and t.hits >= 3
        ]
