"""`[cues]`: which fields a branch's cues may carry, and which zone/counter screens get which cues."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, StringConstraints

from common.sections import Section

CueField = Literal[
    "customer_ref",
    "greeting_name",
    "language",
    "interests",
    "service_hints",
    "visit_count",
    "last_visit",
    "confidence",
]
ALL_CUE_FIELDS: tuple[CueField, ...] = get_args(CueField)
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class CueRoute(Section):
    """Cues of customers matching any of these go to the screens of `zone` only."""

    zone: Name = Field(description="Zone or counter, as `[cues] screens` names it.")
    interests: list[str] = Field(default_factory=list, description="Any of these product interests.")
    service_hints: list[str] = Field(default_factory=list, description="Any of these service hints.")
    languages: list[str] = Field(default_factory=list, description="Any of these preferred languages.")


class CuesConfig(Section):
    fields: list[CueField] = Field(
        default_factory=lambda: list(ALL_CUE_FIELDS),
        description="Optional fields a cue may carry (ids, zone and times are always there). ID or "
        "account numbers, balances and images are not fields at all.",
    )
    routes: list[CueRoute] = Field(
        default_factory=list, description="First matching route wins; no match: every screen of the branch."
    )
    replay: bool = Field(True, description="Replay still-active cues to a screen that says hello late.")
    screens: dict[Name, Name] = Field(
        default_factory=dict,
        description="Screen id -> its zone/counter. The daemon, not the screen, decides a screen's zone: "
        "a hello naming another zone is refused, and an unlisted screen gets branch-wide cues only.",
    )
