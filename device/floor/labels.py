"""Where the heat map's names go: beside the floor, never on it.

Each name (a zone, a door, a sensor) is set outside the plan, on the side nearest to what it names,
and joined to it by a thin leader line; names on one side are spread along it until none overlaps
another. So no name hides a path people walked, whatever the floor looks like. Pure: sizes come in,
positions go out, all in one unit (the renderer uses pixels).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from device.floor.geometry import Point

Side = Literal["left", "right", "bottom", "top"]
SIDES: tuple[Side, ...] = ("left", "right", "bottom", "top")


@dataclass(frozen=True, slots=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def around(cls, points: Sequence[Point]) -> Box:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return cls(min(xs), min(ys), max(xs), max(ys))

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def overlaps(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


@dataclass(frozen=True, slots=True)
class Name:
    """A name to set: its text, the plan point it names, and its size once drawn."""

    text: str
    anchor: Point
    width: float
    height: float
    kind: str  # "zone", "door" or "sensor": how the renderer styles it
    outline: tuple[Point, ...] = ()  # the zone's corners or the door's ends: the leader stops on them


def nearest_side(anchor: Point, plan: Box) -> Side:
    """The side of `plan` closest to `anchor`; ties go left, right, bottom, top in that order."""
    distances = {
        "left": anchor[0] - plan.x0,
        "right": plan.x1 - anchor[0],
        "bottom": anchor[1] - plan.y0,
        "top": plan.y1 - anchor[1],
    }
    return min(SIDES, key=lambda side: distances[side])


def spread(
    wanted: Sequence[float], sizes: Sequence[float], low: float, high: float, gap: float
) -> list[float]:
    """Centres along one line, as near to `wanted` as can be with at least `gap` between neighbours
    (each item `sizes` long), kept within [low, high] when they fit. Returned in the order given."""
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    centres = [0.0] * len(wanted)
    edge = low
    for i in order:  # forward: push each one past the one before
        centres[i] = max(wanted[i], edge + sizes[i] / 2)
        edge = centres[i] + sizes[i] / 2 + gap
    edge = high
    for i in reversed(order):  # backward: pull back what ran past the end, never before `low`
        centres[i] = max(low + sizes[i] / 2, min(centres[i], edge - sizes[i] / 2))
        edge = centres[i] - sizes[i] / 2 - gap
    return centres


@dataclass(frozen=True, slots=True)
class Placed:
    name: Name
    side: Side
    box: Box  # where the text goes

    @property
    def leader_end(self) -> Point:
        """Where the leader line meets what it names: the nearest point of its outline, or its anchor."""
        outline = self.name.outline
        if not outline:
            return self.name.anchor
        start = self.leader_start
        ends = list(zip(outline, outline[1:] + outline[:1], strict=True)) if len(outline) > 2 else [outline]
        return min(
            (_nearest_on_segment(start, a, b) for a, b in ends),
            key=lambda p: math.hypot(p[0] - start[0], p[1] - start[1]),
        )

    @property
    def leader_start(self) -> Point:
        """The point of the text's box facing the plan, where the leader line begins."""
        box = self.box
        middle = ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)
        return {
            "left": (box.x1, middle[1]),
            "right": (box.x0, middle[1]),
            "bottom": (middle[0], box.y1),
            "top": (middle[0], box.y0),
        }[self.side]


def _nearest_on_segment(p: Point, a: Point, b: Point) -> Point:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    f = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    return a[0] + f * dx, a[1] + f * dy


def place(names: Sequence[Name], plan: Box, frame: Box, offset: float, gap: float) -> list[Placed]:
    """Each name outside `plan` (the floor and its sensors), `offset` from its nearest side, within
    `frame` (the drawing area around the plan) where they fit, none overlapping another."""
    placed: list[Placed] = []
    for side in SIDES:
        mine = [name for name in names if nearest_side(name.anchor, plan) == side]
        if not mine:
            continue
        if side in ("left", "right"):
            ys = spread([n.anchor[1] for n in mine], [n.height for n in mine], frame.y0, frame.y1, gap)
            for name, y in zip(mine, ys, strict=True):
                x0 = plan.x0 - offset - name.width if side == "left" else plan.x1 + offset
                box = Box(x0, y - name.height / 2, x0 + name.width, y + name.height / 2)
                placed.append(Placed(name, side, box))
        else:
            xs = spread([n.anchor[0] for n in mine], [n.width for n in mine], frame.x0, frame.x1, gap)
            for name, x in zip(mine, xs, strict=True):
                y0 = plan.y0 - offset - name.height if side == "bottom" else plan.y1 + offset
                box = Box(x - name.width / 2, y0, x + name.width / 2, y0 + name.height)
                placed.append(Placed(name, side, box))
    return placed


def margins(names: Sequence[Name], plan: Box, offset: float) -> dict[Side, float]:
    """How much room each side of the plan needs for its names."""
    need = dict.fromkeys(SIDES, 0.0)
    for name in names:
        side = nearest_side(name.anchor, plan)
        extent = name.width if side in ("left", "right") else name.height
        need[side] = max(need[side], offset + extent)
    return need
