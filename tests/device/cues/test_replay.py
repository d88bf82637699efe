"""Replays to late screens are bounded: per screen, for screens the branch does not list, and per tick."""

from __future__ import annotations

from device.cues.replay import (
    HELLO_INTERVAL_S,
    REPLAYS_PER_TICK,
    UNLISTED_BURST,
    UNLISTED_PER_S,
    ReplayPlan,
)

T0 = 1_800_000_000.0


def test_a_second_hello_inside_the_interval_is_deferred_to_its_end_not_dropped() -> None:
    plan = ReplayPlan()
    assert plan.hello("desk-1", "advice", listed=True, now=T0)
    assert not plan.hello("desk-1", "advice", listed=True, now=T0 + 1)
    assert not plan.hello("desk-1", "advice", listed=True, now=T0 + 2)  # one deferral, the latest
    assert plan.due_deferred(T0 + HELLO_INTERVAL_S - 0.1) == []
    assert plan.due_deferred(T0 + HELLO_INTERVAL_S) == [("desk-1", "advice")]
    assert plan.due_deferred(T0 + 3 * HELLO_INTERVAL_S) == []
    assert (plan.stats.replayed, plan.stats.deferred, plan.stats.refused) == (2, 2, 0)


def test_a_flood_of_invented_screen_ids_gets_the_burst_then_the_slow_refill() -> None:
    plan = ReplayPlan()
    honoured = sum(plan.hello(f"fake-{i}", None, listed=False, now=T0) for i in range(5000))
    assert honoured == UNLISTED_BURST and plan.stats.refused == 5000 - UNLISTED_BURST
    later = T0 + 10.0
    honoured = sum(plan.hello(f"late-{i}", None, listed=False, now=later) for i in range(5000))
    assert honoured == int(10.0 * UNLISTED_PER_S)


def test_listed_screens_are_served_whatever_the_flood() -> None:
    plan = ReplayPlan()
    for i in range(1000):
        plan.hello(f"fake-{i}", None, listed=False, now=T0)
    assert all(plan.hello(f"counter-{i}", "counters", listed=True, now=T0) for i in range(20))


def test_replays_go_soonest_expiry_first_across_screens_and_a_tick_at_a_time() -> None:
    plan = ReplayPlan()
    cues = [(f"cue-{i}", T0 + 100 + i, None) for i in range(30)]
    for screen in ("s1", "s2", "s3"):
        plan.plan(screen, None, cues)
    plan.plan("s4", "advice", [("zoned", T0 + 1, "advice"), ("other-zone", T0 + 2, "counters")])
    first = plan.take()
    assert len(first) == REPLAYS_PER_TICK
    assert (first[0].cue_id, first[0].screen_id) == ("zoned", "s4")  # soonest first, whoever it is for
    assert [p.expires_at for p in first] == sorted(p.expires_at for p in first)
    rest = plan.take()
    assert len(first) + len(rest) == 91 and plan.waiting == 0  # the other zone's cue was never planned


def test_what_expired_or_lapsed_is_let_go() -> None:
    plan = ReplayPlan()
    for i in range(UNLISTED_BURST):
        plan.hello(f"s{i}", None, listed=False, now=T0)
        plan.plan(f"s{i}", None, [("cue-1", T0 + 5, None)])
    plan.drop_expired(T0 + HELLO_INTERVAL_S + 6)
    assert plan.waiting == 0 and plan.take() == []
    assert plan._honoured == {}  # no screen id is held longer than its interval
