"""The rendered heat map: a PNG of the plan's size, hot where people stood, grey where nobody did."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from device.floor.render import render_heatmap
from tests.device.floor.plan import BRANCH

PX_PER_M = 60
# 8 x 6 m at 60 px/m is a 480 x 360 plan, with a 40 px margin all round and a 120 px legend on the right.
EXPECTED_W, EXPECTED_H = 40 + 480 + 40 + 120, 40 + 360 + 40


def pixel_at(image: np.ndarray, x_m: float, y_m: float) -> np.ndarray:
    """The image pixel over floor point (x_m, y_m); the plan is drawn with y up."""
    pixel: np.ndarray = image[round(40 + 360 - y_m * PX_PER_M), round(40 + x_m * PX_PER_M)]
    return pixel


def test_render_writes_a_png_hot_where_people_stood(tmp_path: Path) -> None:
    grid = np.zeros(BRANCH.grid_shape, dtype=np.float32)
    grid[int(2.0 / 0.25), int(6.0 / 0.25)] = 300.0  # five minutes at (6, 2) in the queue
    grid[int(5.0 / 0.25), int(1.0 / 0.25)] = 60.0  # one minute at (1, 5), in the waiting area
    out = render_heatmap(BRANCH, grid, BRANCH.zones, BRANCH.door_lines, tmp_path / "maps" / "heat.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = cv2.imread(str(out))
    assert image is not None and image.shape == (EXPECTED_H, EXPECTED_W, 3)

    hot = pixel_at(image, 6.12, 2.12)
    warm = pixel_at(image, 1.12, 5.12)
    empty = pixel_at(image, 3.6, 3.6)
    assert hot.tolist() != empty.tolist() and warm.tolist() != empty.tolist()
    assert hot.tolist() != warm.tolist()
    # JET: the hottest cell is red (BGR), the cooler one bluer, and the unvisited floor a flat grey.
    assert hot[2] > 100 and hot[0] < 50
    assert warm[0] > warm[2]
    assert empty.tolist() == [235, 235, 235]


def test_an_empty_grid_renders_a_plain_plan(tmp_path: Path) -> None:
    grid = np.zeros(BRANCH.grid_shape, dtype=np.float32)
    out = render_heatmap(BRANCH, grid, BRANCH.zones, BRANCH.door_lines, tmp_path / "empty.png")
    image = cv2.imread(str(out))
    assert image is not None and pixel_at(image, 6.12, 2.12).tolist() == [235, 235, 235]


def test_a_grid_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="floor plan needs"):
        render_heatmap(BRANCH, np.zeros((3, 3), dtype=np.float32), [], [], tmp_path / "x.png")
