"""Names beside the plan: on the nearest side, spread until none overlaps, never on the floor."""

from __future__ import annotations

import itertools

from device.floor.labels import Box, Name, nearest_side, place, spread

PLAN = Box(0.0, 0.0, 8.0, 6.0)
FRAME = Box(-3.0, -1.0, 11.0, 7.0)


def test_names_crowding_one_spot_are_spread_along_their_side_in_order() -> None:
    centres = spread([3.0, 3.1, 3.05], [0.4, 0.4, 0.4], low=-1.0, high=7.0, gap=0.1)
    ordered = sorted(centres)
    assert [centres.index(c) for c in ordered] == [0, 2, 1]  # the order along the side is kept
    assert all(b - a >= 0.5 - 1e-9 for a, b in itertools.pairwise(ordered))


def test_names_pushed_past_the_end_come_back_inside() -> None:
    centres = spread([6.9, 6.95], [0.4, 0.4], low=-1.0, high=7.0, gap=0.1)
    assert max(centres) + 0.2 <= 7.0 + 1e-9 and abs(centres[0] - centres[1]) >= 0.5 - 1e-9


def test_each_name_goes_to_the_side_nearest_what_it_names() -> None:
    assert nearest_side((0.5, 3.0), PLAN) == "left"
    assert nearest_side((7.0, 2.5), PLAN) == "right"
    assert nearest_side((2.0, 0.0), PLAN) == "bottom"
    assert nearest_side((4.0, 5.9), PLAN) == "top"


def test_placed_names_are_outside_the_plan_and_apart() -> None:
    names = [
        Name("queue: 85 visits", (6.0, 2.5), 1.8, 0.3, "zone", ((5, 1), (7, 1), (7, 4), (5, 4))),
        Name("sensor east", (7.8, 3.0), 1.2, 0.3, "sensor"),
        Name("main: 132 in, 128 out", (2.0, 0.0), 2.2, 0.3, "door", ((1, 0), (3, 0))),
        Name("waiting", (1.4, 4.1), 0.8, 0.3, "zone"),
    ]
    placed = place(names, PLAN, FRAME, offset=0.2, gap=0.05)
    assert len(placed) == 4
    for one in placed:
        assert not one.box.overlaps(PLAN), one.name.text
    for i, one in enumerate(placed):
        assert not any(one.box.overlaps(other.box) for other in placed[i + 1 :])
    queue = next(p for p in placed if p.name.kind == "zone" and p.name.outline)
    assert queue.leader_end == (7.0, queue.leader_start[1])  # the leader stops on the zone's edge
