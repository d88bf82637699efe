"""The open-set decision: when may a track be given a customer's name?

A wrong name shows one customer's data about another person to a teller, so every rule errs towards
"unidentified": the best distance must be under the tolerance, the nearest *other* customer must be
clearly further (a margin against lookalikes), several encodings of the track must agree, and any
encoding that points at a different customer within tolerance vetoes the name for the whole track.
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
        if len(votes) >= self.max_attempts:
            return Decision(Verdict.UNIDENTIFIED, reason="no agreement within the attempts allowed")
        if len(votes) - len(supporting) > self.max_attempts - self.min_votes:
            return Decision(Verdict.UNIDENTIFIED, reason="too few attempts left to agree")
        return Decision(Verdict.PENDING)
