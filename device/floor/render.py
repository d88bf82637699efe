"""The heat map as a PNG a branch manager can read: floor plan, zones, doors and a colour legend.

The plan is drawn with y pointing up (the door wall at y = 0 at the bottom), as floor plans are drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from device.floor.config import DoorLineConfig, FloorConfig, ZoneConfig
from device.floor.geometry import Point
from device.floor.records import Grid

MARGIN_PX = 40
LEGEND_W_PX = 120
_BACKGROUND = (255, 255, 255)
_NO_HEAT = (235, 235, 235)  # floor where nobody stood: light grey, not the colour map's "cold"
_INK = (40, 40, 40)
_DOOR = (0, 160, 0)
_FONT = cv2.FONT_HERSHEY_SIMPLEX

Image = npt.NDArray[np.uint8]


def image_size(config: FloorConfig, px_per_m: int = 60) -> tuple[int, int]:
    """(width, height) in pixels of the rendered map."""
    plan_w, plan_h = _plan_size(config, px_per_m)
    return MARGIN_PX * 2 + plan_w + LEGEND_W_PX, MARGIN_PX * 2 + plan_h


def render_heatmap(
    config: FloorConfig,
    grid: Grid,
    zones: Sequence[ZoneConfig],
    door_lines: Sequence[DoorLineConfig],
    out: Path,
    px_per_m: int = 60,
) -> Path:
    """Draw `grid` (occupancy-seconds per cell, rows along y) on the plan and write it to `out`."""
    if grid.shape != config.grid_shape:
        raise ValueError(f"grid is {grid.shape}, the floor plan needs {config.grid_shape}")
    width, height = image_size(config, px_per_m)
    image: Image = np.full((height, width, 3), _BACKGROUND, dtype=np.uint8)
    peak = float(grid.max()) if grid.size else 0.0
    _draw_heat(image, config, grid, peak, px_per_m)
    to_px = _projector(config, px_per_m)
    outline = np.array([to_px(p) for p in config.floor_polygon], dtype=np.int32)
    cv2.polylines(image, [outline], isClosed=True, color=_INK, thickness=2)
    for zone in zones:
        corners = np.array([to_px(p) for p in zone.polygon], dtype=np.int32)
        cv2.polylines(image, [corners], isClosed=True, color=(90, 90, 90), thickness=2, lineType=cv2.LINE_AA)
        top_left = (int(corners[:, 0].min()) + 4, int(corners[:, 1].min()) + 16)
        _label(image, zone.name, top_left)
    for line in door_lines:
        _draw_door(image, line, to_px, px_per_m)
    _draw_legend(image, peak, config.cell_size_m)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), image):
        raise OSError(f"could not write {out}")
    return out


def _plan_size(config: FloorConfig, px_per_m: int) -> tuple[int, int]:
    return round(config.width_m * px_per_m), round(config.depth_m * px_per_m)


def _projector(config: FloorConfig, px_per_m: int) -> _Projector:
    return _Projector(MARGIN_PX, MARGIN_PX + _plan_size(config, px_per_m)[1], px_per_m)


class _Projector:
    def __init__(self, left: int, bottom: int, px_per_m: int) -> None:
        self.left, self.bottom, self.px_per_m = left, bottom, px_per_m

    def __call__(self, p: Point) -> tuple[int, int]:
        return round(self.left + p[0] * self.px_per_m), round(self.bottom - p[1] * self.px_per_m)


def _draw_heat(image: Image, config: FloorConfig, grid: Grid, peak: float, px_per_m: int) -> None:
    plan_w, plan_h = _plan_size(config, px_per_m)
    rows, cols = grid.shape
    # Cells beyond the floor's far edge (width not a whole number of cells) are cropped off.
    cell_px = config.cell_size_m * px_per_m
    full = cv2.resize(
        grid.astype(np.float32),
        (round(cols * cell_px), round(rows * cell_px)),
        interpolation=cv2.INTER_NEAREST,
    )[:plan_h, :plan_w]
    scaled = np.zeros(full.shape, dtype=np.uint8) if peak <= 0 else np.clip(full / peak * 255, 0, 255)
    coloured = cv2.applyColorMap(scaled.astype(np.uint8), cv2.COLORMAP_JET)
    coloured[full <= 0] = _NO_HEAT
    plan = np.full((plan_h, plan_w, 3), _BACKGROUND, dtype=np.uint8)
    mask = np.zeros((plan_h, plan_w), dtype=np.uint8)
    to_px = _Projector(0, plan_h, px_per_m)
    cv2.fillPoly(mask, [np.array([to_px(p) for p in config.floor_polygon], dtype=np.int32)], 255)
    flipped = coloured[::-1]  # grid row 0 is y = 0, which is the bottom of the picture
    plan[mask > 0] = flipped[mask > 0]
    image[MARGIN_PX : MARGIN_PX + plan_h, MARGIN_PX : MARGIN_PX + plan_w] = plan


def _draw_door(image: Image, line: DoorLineConfig, to_px: _Projector, px_per_m: int) -> None:
    cv2.line(image, to_px(line.a), to_px(line.b), _DOOR, thickness=4, lineType=cv2.LINE_AA)
    dx, dy = line.b[0] - line.a[0], line.b[1] - line.a[1]
    length = math.hypot(dx, dy)
    # Unit normal pointing into the branch: left of a->b is (-dy, dx).
    nx, ny = (-dy / length, dx / length) if line.inside == "left" else (dy / length, -dx / length)
    mid = ((line.a[0] + line.b[0]) / 2, (line.a[1] + line.b[1]) / 2)
    reach = 30 / px_per_m  # a 30-pixel arrow either side of the line, whatever the scale
    tail = (mid[0] - nx * reach, mid[1] - ny * reach)
    head = (mid[0] + nx * reach, mid[1] + ny * reach)
    cv2.arrowedLine(image, to_px(tail), to_px(head), _DOOR, thickness=2, tipLength=0.3, line_type=cv2.LINE_AA)
    hx, hy = to_px(head)
    _label(image, f"{line.name}: in", (hx + 6, hy + 4), color=_DOOR)


def _draw_legend(image: Image, peak: float, cell_size_m: float) -> None:
    height, width = image.shape[:2]
    left, top, bottom = width - LEGEND_W_PX + 10, MARGIN_PX + 20, height - MARGIN_PX
    ramp = np.linspace(255, 0, bottom - top).astype(np.uint8).reshape(-1, 1)
    bar = cv2.applyColorMap(np.repeat(ramp, 20, axis=1), cv2.COLORMAP_JET)
    image[top:bottom, left : left + 20] = bar
    cv2.rectangle(image, (left, top), (left + 19, bottom - 1), _INK, 1)
    _label(image, "time spent", (left - 4, MARGIN_PX - 16))
    _label(image, f"per {cell_size_m:g} m cell", (left - 4, MARGIN_PX))
    _label(image, _duration(peak), (left + 24, top + 10))
    _label(image, "0", (left + 24, bottom))


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 120:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def _label(image: Image, text: str, origin: tuple[int, int], color: tuple[int, int, int] = _INK) -> None:
    # A white halo keeps the text readable on any colour of the map.
    cv2.putText(image, text, origin, _FONT, 0.42, (255, 255, 255), 3, cv2.LINE_AA)
    cv2.putText(image, text, origin, _FONT, 0.42, color, 1, cv2.LINE_AA)
