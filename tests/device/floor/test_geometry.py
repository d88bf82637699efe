"""Geometry: which side, inside or not, crossing or not, including the awkward boundary cases."""

from __future__ import annotations

from device.floor.geometry import (
    point_in_polygon,
    polygon_within,
    segments_cross,
    segments_intersect,
    side_of_line,
    signed_distance,
)

SQUARE = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0)]
# An L-shaped floor: the square with its top-right quarter cut away.
ELL = [(0.0, 0.0), (4.0, 0.0), (4.0, 2.0), (2.0, 2.0), (2.0, 4.0), (0.0, 4.0)]


def test_side_of_a_directed_line_is_left_positive_right_negative_on_zero() -> None:
    assert side_of_line((0, 0), (1, 0), (0.5, 1)) == 1
    assert side_of_line((0, 0), (1, 0), (0.5, -1)) == -1
    assert side_of_line((0, 0), (1, 0), (7, 0)) == 0  # on the infinite line, beyond the segment
    assert side_of_line((1, 0), (0, 0), (0.5, 1)) == -1  # reversing the direction swaps sides


def test_signed_distance_is_metres_from_the_line() -> None:
    assert signed_distance((0, 0), (2, 0), (1, 0.75)) == 0.75
    assert signed_distance((0, 0), (0, 2), (0.5, 1)) == -0.5


def test_points_inside_outside_and_on_the_boundary() -> None:
    assert point_in_polygon((2, 2), SQUARE)
    assert not point_in_polygon((5, 2), SQUARE)
    assert point_in_polygon((4, 2), SQUARE)  # on an edge
    assert point_in_polygon((0, 0), SQUARE)  # on a corner
    assert not point_in_polygon((3, 3), ELL)  # in the notch of a concave floor
    assert point_in_polygon((1, 3), ELL)


def test_a_ray_through_a_vertex_is_counted_once() -> None:
    diamond = [(2.0, 0.0), (4.0, 2.0), (2.0, 4.0), (0.0, 2.0)]
    assert point_in_polygon((1.0, 2.0), diamond)  # the ray to +x passes the vertex (4, 2)
    assert not point_in_polygon((-1.0, 2.0), diamond)


def test_crossing_touching_and_parallel_segments() -> None:
    assert segments_cross((0, -1), (0, 1), (-1, 0), (1, 0))
    assert segments_intersect((0, -1), (0, 1), (-1, 0), (1, 0))
    # A T-junction touches but does not cross.
    assert segments_intersect((0, 0), (0, 1), (-1, 0), (1, 0))
    assert not segments_cross((0, 0), (0, 1), (-1, 0), (1, 0))
    # Collinear overlap touches; collinear with a gap does not.
    assert segments_intersect((0, 0), (2, 0), (1, 0), (3, 0))
    assert not segments_intersect((0, 0), (1, 0), (2, 0), (3, 0))
    assert not segments_intersect((0, 0), (1, 0), (0, 1), (1, 1))  # parallel
    assert not segments_intersect((0, -1), (0, 1), (0.5, 0), (2, 0))  # would meet only if extended


def test_a_zone_inside_a_concave_floor_must_not_span_the_notch() -> None:
    assert polygon_within([(0.5, 0.5), (1.5, 0.5), (1.5, 3.5)], ELL)
    assert polygon_within(SQUARE, SQUARE)  # touching boundaries is inside
    # All three corners are inside the L, but the edge from (3.5, 1.5) to (1.5, 3.5) cuts the notch.
    assert not polygon_within([(3.5, 1.5), (1.5, 3.5), (0.5, 0.5)], ELL)
