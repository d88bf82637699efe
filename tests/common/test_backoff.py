"""Reconnect delays: growing, jittered, bounded, and back to the minimum after a success."""

from __future__ import annotations

from common.backoff import Backoff


def test_backoff_grows_to_its_ceiling_and_resets() -> None:
    backoff = Backoff(1.0, 8.0)
    delays = [backoff.next_delay() for _ in range(8)]
    assert all(1.0 <= d <= 8.0 for d in delays)
    ceilings = [min(8.0, 1.0 * 2**i) for i in range(8)]
    assert all(d <= c for d, c in zip(delays, ceilings, strict=True))
    backoff.reset()
    assert backoff.next_delay() == 1.0
