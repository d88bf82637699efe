"""Linking unlabelled floor positions across sensor frames, so each person is one track.

Radar targets carry no identity that survives a dropout, so association is by position alone: greedy
nearest neighbour against each track's predicted position, inside a gate. A light alpha-beta filter
smooths jitter and lets a track coast over a missed frame; a track must be seen a few times before it
is *confirmed*, which is what keeps one-frame ghosts out of the counts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Observation:
    """One person-like target in one sensor frame, in floor metres."""

    t: float
    x_m: float
    y_m: float


@dataclass
class Track:
    track_id: int
    x: float
    y: float
    first_seen: float
    last_seen: float
    vx: float = 0.0
    vy: float = 0.0
    hits: int = 1
    confirmed: bool = False

    @property
    def position(self) -> tuple[float, float]:
        return (self.x, self.y)


class Tracker:
    def __init__(
        self,
        *,
        gate_m: float = 0.8,
        timeout_s: float = 2.0,
        confirm_hits: int = 3,
        tentative_timeout_s: float = 0.5,
        max_coast_s: float = 0.5,
        alpha: float = 0.5,
        beta: float = 0.1,
        max_speed_mps: float = 3.0,
    ) -> None:
        self.gate_m = gate_m
        self.timeout_s = timeout_s
        self.confirm_hits = confirm_hits
        # A ghost is seen once or twice, then never again; a real person keeps coming back frame after
        # frame. Unconfirmed tracks are dropped quickly so a ghost cannot linger and adopt a newcomer.
        self.tentative_timeout_s = tentative_timeout_s
        # Velocity is trusted for a short gap only: extrapolated further, a stopped track would drift
        # through the gate of someone who just arrived.
        self.max_coast_s = max_coast_s
        self.alpha = alpha
        self.beta = beta
        # People walk at ~1.4 m/s and rarely run in a branch; a faster velocity is a bad association.
        self.max_speed_mps = max_speed_mps
        self._tracks: dict[int, Track] = {}
        self._next_id = 1

    @property
    def active(self) -> list[Track]:
        return list(self._tracks.values())

    def update(self, t: float, observations: Sequence[Observation]) -> list[Track]:
        """Associate one frame's observations; returns the tracks seen in this frame (new ones too)."""
        pairs: list[tuple[float, int, int]] = []
        for track in self._tracks.values():
            px, py = self._predict(track, t)
            for index, obs in enumerate(observations):
                distance = math.hypot(obs.x_m - px, obs.y_m - py)
                if distance <= self.gate_m:
                    pairs.append((distance, track.track_id, index))
        pairs.sort()
        used_tracks: set[int] = set()
        used_observations: set[int] = set()
        seen: list[Track] = []
        for _, track_id, index in pairs:
            if track_id in used_tracks or index in used_observations:
                continue
            used_tracks.add(track_id)
            used_observations.add(index)
            track = self._tracks[track_id]
            self._correct(track, observations[index], t)
            seen.append(track)
        for index, obs in enumerate(observations):
            if index not in used_observations:
                track = Track(self._next_id, obs.x_m, obs.y_m, first_seen=t, last_seen=t)
                self._next_id += 1
                self._tracks[track.track_id] = track
                seen.append(track)
        return seen

    def expire(self, now: float) -> list[Track]:
        """End and return tracks unseen for longer than their timeout (short while unconfirmed)."""
        gone = [
            track
            for track in self._tracks.values()
            if now - track.last_seen > (self.timeout_s if track.confirmed else self.tentative_timeout_s)
        ]
        for track in gone:
            del self._tracks[track.track_id]
        return gone

    def _predict(self, track: Track, t: float) -> tuple[float, float]:
        dt = min(max(0.0, t - track.last_seen), self.max_coast_s)
        return track.x + track.vx * dt, track.y + track.vy * dt

    def _correct(self, track: Track, obs: Observation, t: float) -> None:
        dt = t - track.last_seen
        px, py = self._predict(track, t)
        rx, ry = obs.x_m - px, obs.y_m - py
        track.x, track.y = px + self.alpha * rx, py + self.alpha * ry
        if dt > 0:
            track.vx += self.beta * rx / dt
            track.vy += self.beta * ry / dt
            speed = math.hypot(track.vx, track.vy)
            if speed > self.max_speed_mps:
                track.vx *= self.max_speed_mps / speed
                track.vy *= self.max_speed_mps / speed
        track.last_seen = t
        track.hits += 1
        if track.hits >= self.confirm_hits:
            track.confirmed = True
