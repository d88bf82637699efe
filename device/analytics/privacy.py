"""k-anonymity for the statistics of identified visitors: no shown group may be smaller than k people.

Groups under k are merged into one "other" group. When the groups split the people (age bands: each
person in one) and the merged group is itself under k, the next smallest groups join it until it is not:
otherwise its size would follow from the total minus the groups shown. Every number shown is then at
least k, and none can be recovered by subtraction. Where people may be in several groups (interests),
there is no such total: a merged group under k is shown as "<k" instead of hiding a real group. When all
the visitors together are fewer than k, nothing is shown but "fewer than k".
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass

K = 5


@dataclass(frozen=True, slots=True)
class Group:
    label: str
    people: int | None  # None: suppressed, shown as "<k"
    merged: tuple[str, ...] = ()  # the labels folded into this group, for the footnote

    def shown(self, k: int = K) -> str:
        return f"<{k}" if self.people is None else str(self.people)


def suppress_small_groups(
    groups: Mapping[str, Set[str]], k: int = K, other_label: str = "other", *, partition: bool = True
) -> list[Group]:
    """`groups` maps a label to the people (pseudonymous refs) in it; a person may be in several groups
    (product interests) or one (age bands). Returns the groups safe to show, in the given order, then the
    merged group if any. Empty groups are left out."""
    if k < 1:
        raise ValueError("k must be at least 1")
    present = {label: set(people) for label, people in groups.items() if people}
    everyone: set[str] = set().union(*present.values()) if present else set()
    if not present:
        return []
    if len(everyone) < k:
        return [Group(f"all {other_label}", None, tuple(present))]
    small = {label for label, people in present.items() if len(people) < k}
    if not small:
        return [Group(label, len(people)) for label, people in present.items()]
    merged_people = set().union(*(present[label] for label in small))
    # Fold in the smallest shown groups until the merged group is big enough (or everything is merged).
    by_size = sorted((label for label in present if label not in small), key=lambda lab: len(present[lab]))
    for label in by_size if partition else ():
        if len(merged_people) >= k:
            break
        small.add(label)
        merged_people |= present[label]
    shown = [Group(label, len(people)) for label, people in present.items() if label not in small]
    merged = tuple(label for label in present if label in small)
    shown.append(Group(other_label, len(merged_people) if len(merged_people) >= k else None, merged))
    return shown
