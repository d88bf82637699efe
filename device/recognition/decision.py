"""The open-set decision: when may a track be given a customer's name?

A wrong name shows one customer's data about another person to a teller, so every rule errs towards
"unidentified": the best distance must be under the tolerance, the nearest *other* customer must be
clearly further (a margin against lookalikes), several encodings of the track must agree, and any
encoding that points at a different customer within tolerance vetoes the name for the whole track.

Attempts are counted per size step, not per track: a person walking towards the camera is first seen
small (a noisier encoding) and gets closer with every step, so failing to agree at 64 px says little
about 120 px. Only the votes taken at the face's current size (within one `size_step` of the largest
face encoded) count towards giving up; a face that keeps growing keeps earning attempts, up to
`MAX_VOTES_PER_TRACK`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True, slots=True)
class Vote:
    """One encoding of a track, matched against the gallery."""

    customer_ref: str | None  # nearest customer, whatever the distance; None for an empty gallery
    distance: float
    second_distance: float | None  # nearest other customer
    face_px: float = 0.0  # the encoded face's height, full-frame pixels


# A face growing from the smallest encoded size (64 px) to a close one (~170 px) crosses 7 size steps
# of 1.15; 12 votes leaves room for confirmations on the way and bounds a track's encodings whatever
# the detections do. Measured (bench/recognition_distances.py, faces-dev, 5 seeds): the customers
# the per-track budget lost sat at 0.50-0.53 for 3-4 votes between 64 and 107 px; counted per size
# step they were named further in (102 -> 105 of 109 visits), and no stranger was named.
MAX_VOTES_PER_TRACK = 12


class Verdict(Enum):
    PENDING = "pending"  # not enough evidence yet: try another frame
    NAMED = "named"
    UNIDENTIFIED = "unidentified"  # final: counted, never named


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    customer_ref: str | None = None
    distance: float | None = None  # the best agreeing distance, for the score band
    reason: str = ""


@dataclass(frozen=True, slots=True)
class DecisionRule:
    tolerance: float = 0.5
    margin: float = 0.06
    min_votes: int = 2
    max_attempts: int = 4
    give_up_above: float = math.inf  # `min_votes` votes all further than this: a stranger, stop trying
    size_step: float = math.inf  # a face this much larger than every earlier vote's earns new attempts

    def supports(self, vote: Vote) -> bool:
        """A vote that, on its own, points at its nearest customer."""
        if vote.customer_ref is None or vote.distance > self.tolerance:
            return False
        return vote.second_distance is None or vote.second_distance - vote.distance >= self.margin

    def decide(self, votes: Sequence[Vote]) -> Decision:
        within = {
            v.customer_ref for v in votes if v.customer_ref is not None and v.distance <= self.tolerance
        }
        if len(within) > 1:
            return Decision(Verdict.UNIDENTIFIED, reason="encodings point at different customers")
        supporting = [v for v in votes if self.supports(v)]
        if len(supporting) >= self.min_votes:
            best = min(supporting, key=lambda v: v.distance)
            return Decision(Verdict.NAMED, best.customer_ref, best.distance, reason="agreeing encodings")
        if len(votes) >= self.min_votes and all(v.distance > self.give_up_above for v in votes):
            return Decision(Verdict.UNIDENTIFIED, reason="far from every customer")
        if len(votes) >= MAX_VOTES_PER_TRACK:
            return Decision(Verdict.UNIDENTIFIED, reason="no agreement within the attempts allowed")
        at_this_size = self.at_current_size(votes)
        if len(at_this_size) >= self.max_attempts:
            return Decision(Verdict.UNIDENTIFIED, reason="no agreement within the attempts allowed")
        failed = sum(not self.supports(v) for v in at_this_size)
        if failed > self.max_attempts - self.min_votes:
            return Decision(Verdict.UNIDENTIFIED, reason="too few attempts left to agree")
        return Decision(Verdict.PENDING)

    def at_current_size(self, votes: Sequence[Vote]) -> list[Vote]:
        """The votes of the latest size step: faces within one `size_step` of the largest encoded."""
        if math.isinf(self.size_step):
            return list(votes)
        largest = max((v.face_px for v in votes), default=0.0)
        return [v for v in votes if v.face_px * self.size_step >= largest]
