"""Exponential backoff with full jitter, shared by every reconnecting driver."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    minimum_s: float
    maximum_s: float
    rng: random.Random = field(default_factory=random.Random)
    _attempt: int = 0

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt; grows until `maximum_s`."""
        ceiling = min(self.maximum_s, math.ldexp(self.minimum_s, self._attempt))
        # Once at the ceiling the count stops: 2**1024 is no float, and a camera away for a night
        # (1024 attempts at 30 s) would otherwise kill its thread with an OverflowError.
        if ceiling < self.maximum_s:
            self._attempt += 1
        # Jitter keeps a branch's devices from hammering a recovering camera or server in step.
        return float(self.minimum_s + self.rng.random() * max(0.0, ceiling - self.minimum_s))

    def reset(self) -> None:
        self._attempt = 0
