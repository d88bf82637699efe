"""No statistic shows a group of fewer than k customers, directly or by subtraction."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from device.analytics.privacy import Group, suppress_small_groups


def people(prefix: str, n: int) -> set[str]:
    return {f"{prefix}{i}" for i in range(n)}


def test_groups_of_k_or_more_are_shown_as_they_are() -> None:
    groups = {"30-39": people("a", 5), "40-49": people("b", 8)}
    assert suppress_small_groups(groups, k=5) == [Group("30-39", 5), Group("40-49", 8)]


def test_small_groups_are_merged_into_other() -> None:
    groups = {
        "20-29": people("a", 3),
        "30-39": people("b", 9),
        "40-49": people("c", 7),
        "70-79": people("d", 2),
    }
    assert suppress_small_groups(groups, k=5, other_label="other ages") == [
        Group("30-39", 9),
        Group("40-49", 7),
        Group("other ages", 5, ("20-29", "70-79")),
    ]


def test_a_merged_group_still_under_k_takes_in_the_next_smallest_group() -> None:
    # 1 + 2 = 3 people would single them out as "other: 3": the smallest shown group (6) joins them.
    groups = {
        "20-29": people("a", 1),
        "30-39": people("b", 9),
        "40-49": people("c", 6),
        "70-79": people("d", 2),
    }
    shown = suppress_small_groups(groups, k=5)
    assert shown == [Group("30-39", 9), Group("other", 9, ("20-29", "40-49", "70-79"))]


def test_overlapping_groups_show_a_small_merged_group_as_under_k_rather_than_hide_another() -> None:
    # Interests: a person may name several, so there is no total to subtract "other" from.
    groups = {"savings": people("s", 10), "leasing": people("l", 6), "car loan": {"l1", "x"}}
    shown = suppress_small_groups(groups, k=5, partition=False)
    assert shown == [Group("savings", 10), Group("leasing", 6), Group("other", None, ("car loan",))]
    assert shown[-1].shown(5) == "<5"


def test_fewer_than_k_people_in_all_shows_nothing_but_that() -> None:
    shown = suppress_small_groups({"a": people("a", 2), "b": people("b", 1)}, k=5)
    assert shown == [Group("all other", None, ("a", "b"))]
    assert shown[0].shown(5) == "<5"


def test_people_in_several_groups_are_counted_once_in_the_merged_group() -> None:
    both = {"p1", "p2", "p3"}
    groups = {"savings": people("s", 10), "car loan": both, "leasing": both | {"p4", "p5"}}
    shown = suppress_small_groups(groups, k=5)
    assert shown == [Group("savings", 10), Group("other", 5, ("car loan", "leasing"))]


@given(st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=8), st.integers(5, 8))
def test_no_number_shown_is_under_k(sizes: list[int], k: int) -> None:
    groups = {f"g{i}": people(f"g{i}-", n) for i, n in enumerate(sizes)}
    shown = suppress_small_groups(groups, k=k)
    for group in shown:
        assert group.people is None or group.people >= k
    total = sum(sizes)
    if total >= k:
        # Everyone is accounted for exactly once (groups here are disjoint): nothing to subtract.
        assert sum(group.people or 0 for group in shown) == total
