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


def test_a_source_away_for_days_keeps_getting_delays() -> None:
    backoff = Backoff(0.5, 3600.0)  # the largest reconnect_max_s a config accepts
    delays = [backoff.next_delay() for _ in range(5000)]  # over two months of failures at the ceiling
    assert all(0.5 <= delay <= 3600.0 for delay in delays)
    backoff = Backoff(1.0, 30.0)
    assert all(1.0 <= backoff.next_delay() <= 30.0 for _ in range(5000))
    backoff = Backoff(5e-324, 3600.0)  # the smallest minimum: 1074 doublings to reach one second
    assert all(0 < backoff.next_delay() <= 3600.0 for _ in range(5000))
