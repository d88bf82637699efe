"""Line noise on purpose: a pty never corrupts a byte, so emulators damage their output themselves."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Corruption:
    """Per-byte probabilities. Each outgoing byte may be dropped, have one bit flipped, or be preceded
    by a random junk byte. Seeded, so a failing test replays the same damage."""

    flip_bit_rate: float = 0.0
    drop_byte_rate: float = 0.0
    junk_rate: float = 0.0
    seed: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("flip_bit_rate", "drop_byte_rate", "junk_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be a probability")
        self._rng = random.Random(self.seed)

    def apply(self, data: bytes) -> bytes:
        if not (self.flip_bit_rate or self.drop_byte_rate or self.junk_rate):
            return data
        rng = self._rng
        out = bytearray()
        for byte in data:
            if rng.random() < self.junk_rate:
                out.append(rng.randrange(256))
            if rng.random() < self.drop_byte_rate:
                continue
            if rng.random() < self.flip_bit_rate:
                byte ^= 1 << rng.randrange(8)
            out.append(byte)
        return bytes(out)
