"""Plane geometry in floor metres: pure functions, no state. Points on a boundary count as inside."""

from __future__ import annotations

import math
from collections.abc import Sequence

Point = tuple[float, float]
Polygon = Sequence[Point]

# Floor coordinates are metres from sensors good to a few centimetres; a micrometre is "exactly on".
EPS = 1e-9


def cross(o: Point, a: Point, b: Point) -> float:
    """z of (a - o) x (b - o): positive when b is left of the directed line o->a."""
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def side_of_line(a: Point, b: Point, p: Point) -> int:
    """+1 if p is left of the directed line a->b, -1 if right, 0 if on it."""
    value = cross(a, b, p)
    if value > EPS:
        return 1
    if value < -EPS:
        return -1
    return 0


def signed_distance(a: Point, b: Point, p: Point) -> float:
    """Distance of p from the infinite line a->b, positive on the left. a and b must differ."""
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    return cross(a, b, p) / length


def on_segment(p: Point, a: Point, b: Point) -> bool:
    """p lies on the closed segment a-b."""
    if abs(cross(a, b, p)) > EPS:
        return False
    return (
        min(a[0], b[0]) - EPS <= p[0] <= max(a[0], b[0]) + EPS
        and min(a[1], b[1]) - EPS <= p[1] <= max(a[1], b[1]) + EPS
    )


def segments_intersect(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """The closed segments p1-p2 and q1-q2 share at least one point (touching counts)."""
    d1 = side_of_line(q1, q2, p1)
    d2 = side_of_line(q1, q2, p2)
    d3 = side_of_line(p1, p2, q1)
    d4 = side_of_line(p1, p2, q2)
    if d1 * d2 < 0 and d3 * d4 < 0:
        return True
    return (
        (d1 == 0 and on_segment(p1, q1, q2))
        or (d2 == 0 and on_segment(p2, q1, q2))
        or (d3 == 0 and on_segment(q1, p1, p2))
        or (d4 == 0 and on_segment(q2, p1, p2))
    )


def segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """The segments cross at a single interior point of both (touching or overlapping does not count)."""
    return (
        side_of_line(q1, q2, p1) * side_of_line(q1, q2, p2) < 0
        and side_of_line(p1, p2, q1) * side_of_line(p1, p2, q2) < 0
    )


def point_in_polygon(p: Point, polygon: Polygon) -> bool:
    """Even-odd ray casting; a point on an edge or vertex is inside."""
    n = len(polygon)
    inside = False
    for i in range(n):
        a, b = polygon[i], polygon[(i + 1) % n]
        if on_segment(p, a, b):
            return True
        # Half-open rule on y so a ray through a vertex is counted once.
        if (a[1] > p[1]) != (b[1] > p[1]):
            x_at = a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
            if x_at > p[0]:
                inside = not inside
    return inside


def polygon_area(polygon: Polygon) -> float:
    """Unsigned area by the shoelace formula."""
    n = len(polygon)
    twice = sum(
        polygon[i][0] * polygon[(i + 1) % n][1] - polygon[(i + 1) % n][0] * polygon[i][1] for i in range(n)
    )
    return abs(twice) / 2.0


def segment_within(a: Point, b: Point, outer: Polygon) -> bool:
    """Both ends inside `outer` and no edge of `outer` crosses the segment (so concave notches count)."""
    if not (point_in_polygon(a, outer) and point_in_polygon(b, outer)):
        return False
    n = len(outer)
    if any(segments_cross(a, b, outer[i], outer[(i + 1) % n]) for i in range(n)):
        return False
    middle = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    return point_in_polygon(middle, outer)


def polygon_within(inner: Polygon, outer: Polygon) -> bool:
    """Every edge of `inner` lies inside `outer` (boundaries may touch)."""
    n = len(inner)
    return all(segment_within(inner[i], inner[(i + 1) % n], outer) for i in range(n))
