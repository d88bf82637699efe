"""The heat map as a page a branch manager can print: A4 landscape, titled with the branch, the period
and its counts, the floor in a perceptual colour scale (viridis) with a labelled colour bar, and the
names of zones, doors and sensors set beside the plan, where they hide no path.

The plan is drawn with y pointing up (the door wall at y = 0 at the bottom), as floor plans are drawn.
matplotlib's object interface (no pyplot): nothing global, so renders can run side by side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Polygon
from matplotlib.patheffects import withStroke

from device.floor.config import FloorConfig
from device.floor.geometry import Point
from device.floor.labels import Box, Name, Placed, margins, place
from device.floor.totals import FloorTotals

DPI = 150
A4_LANDSCAPE_PX = (1754, 1240)  # 297 x 210 mm at 150 dpi: sharp on paper, small enough to mail
COLORMAP = "viridis"  # perceptually uniform, readable in grey and by most colour-blind readers
NOBODY = "#e4e4e4"  # floor where nobody stood: grey, apart from the scale's darkest "a little"
DOOR = "#d81b60"  # apart from every viridis colour
INK = "#1d2733"
MUTED = "#52606d"
LABEL_PT = 10
OFFSET_PX, GAP_PX = 14, 6  # a name's distance from the plan, and between two names
# The drawing's share of the page, in figure fractions: the header above, the colour bar right.
PLAN_AREA = Box(0.03, 0.07, 0.84, 0.79)
COLOUR_BAR = (0.875, 0.12, 0.018, 0.62)
DASH, TIMES = "\u2013", "\u00d7"  # en dash for ranges, the multiplication sign for areas
# A square-root scale: a queue where people stand for minutes would otherwise leave the paths
# walked in seconds all the same dark colour.
GAMMA = 0.5


@dataclass(frozen=True, slots=True)
class MapCaption:
    branch_id: str
    since: datetime  # local time, as the manager asked for it
    until: datetime  # exclusive
    now: datetime | None = None  # a period still running is covered only up to now


def period_label(since: datetime, until: datetime) -> str:
    """ "Mon 2 November 2026", "Mon 2 - Sun 8 November 2026", "Mon 2 November 2026, 09:00-18:00"... (with
    en dashes, as printed ranges are written)."""
    if since.time() == until.time() == datetime.min.time():
        last = datetime.fromordinal(until.toordinal() - 1)
        if last.date() <= since.date():
            return _day(since)
        if (since.year, since.month) == (last.year, last.month):
            return f"{since:%a} {since.day} {DASH} {_day(last)}"
        return f"{_day(since)} {DASH} {_day(last)}"
    if since.date() == until.date():
        return f"{_day(since)}, {since:%H:%M}{DASH}{until:%H:%M}"
    return f"{_day(since)} {since:%H:%M} {DASH} {_day(until)} {until:%H:%M}"


def _day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%B %Y}"


def duration_label(seconds: float) -> str:
    if seconds >= 3600:
        hours, minutes = divmod(round(seconds / 60), 60)
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def header_lines(config: FloorConfig, totals: FloorTotals, caption: MapCaption) -> list[str]:
    """What the page says above the map: title, period, people, doors, and what the sensors missed."""
    lines = [
        f"Branch {caption.branch_id}: where people spent their time",
        f"{period_label(caption.since, caption.until)} (local time)",
    ]
    peak = f"at most {totals.occupancy_max} on the floor at once"
    if config.door_lines:
        lines.append(f"{totals.people_in:,} people came in and {totals.people_out:,} went out; {peak}")
        doors = [
            f"{line.name}: {totals.line_in.get(line.name, 0):,} in, {totals.line_out.get(line.name, 0):,} out"
            for line in config.door_lines
        ]
        lines.append("Door counts: " + "; ".join(doors))
    else:
        lines.append(f"No door line in the floor plan, so nobody is counted in or out; {peak}")
    end = min(caption.until, caption.now) if caption.now else caption.until
    elapsed = end.timestamp() - caption.since.timestamp()  # real seconds, as observed_s: a DST change counts
    if elapsed > 0 and totals.observed_s < 0.95 * elapsed:
        lines.append(
            f"The floor sensors reported for {duration_label(totals.observed_s)} of these "
            f"{duration_label(elapsed)}: where they were silent, the map is blank."
        )
    return lines


def heatmap_figure(config: FloorConfig, totals: FloorTotals, caption: MapCaption) -> Figure:
    """The page, drawn and ready to save."""
    if totals.grid.shape != config.grid_shape:
        raise ValueError(f"grid is {totals.grid.shape}, the floor plan needs {config.grid_shape}")
    figure = Figure(figsize=(A4_LANDSCAPE_PX[0] / DPI, A4_LANDSCAPE_PX[1] / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    names = _names(figure, config, totals)
    axes, scale = _plan_axes(figure, config, names)
    image = _draw_heat(axes, config, totals)
    _draw_plan(axes, config)
    in_metres = [replace(n, width=n.width / scale, height=n.height / scale) for n in names]
    for placed in place(in_metres, _plan_box(config), _frame(axes), OFFSET_PX / scale, GAP_PX / scale):
        _draw_name(axes, placed)
    unit, _ = _unit(float(totals.grid.max()))
    bar = figure.colorbar(image, cax=figure.add_axes(COLOUR_BAR))
    bar.set_label(
        f"time people spent per {config.cell_size_m:g} m {TIMES} {config.cell_size_m:g} m square ({unit})",
        fontsize=LABEL_PT,
    )
    bar.ax.tick_params(labelsize=LABEL_PT - 1)
    _draw_header(figure, header_lines(config, totals, caption))
    figure.text(
        PLAN_AREA.x0,
        0.045,
        "Grey: nobody stood there. Colour: time summed over the period, on a square-root scale so that "
        "paths walked in seconds show beside queues.\nAnonymous: the floor sensors see positions, never who.",
        fontsize=LABEL_PT - 1,
        color=MUTED,
        va="top",
        linespacing=1.5,
    )
    return figure


def render_heatmap(config: FloorConfig, totals: FloorTotals, caption: MapCaption, out: Path) -> Path:
    """Draw the page and write it to `out` as PNG."""
    figure = heatmap_figure(config, totals, caption)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out


def _plan_box(config: FloorConfig) -> Box:
    """The floor and every sensor on it (a sensor may sit outside, looking in)."""
    points = [*config.floor_polygon, *((p.x_m, p.y_m) for p in config.placements.values())]
    return Box.around(points)


def _names(figure: Figure, config: FloorConfig, totals: FloorTotals) -> list[Name]:
    """Every name to set, measured in pixels as it will be drawn."""
    wanted: list[tuple[str, Point, str, tuple[Point, ...]]] = []
    for zone in config.zones:
        visits = totals.zone_visits.get(zone.name)
        text = zone.name if not visits else f"{zone.name}: {visits:,} visits"
        xs, ys = [p[0] for p in zone.polygon], [p[1] for p in zone.polygon]
        centre = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
        wanted.append((text, centre, "zone", tuple(zone.polygon)))
    for line in config.door_lines:
        middle = ((line.a[0] + line.b[0]) / 2, (line.a[1] + line.b[1]) / 2)
        counts = f"{totals.line_in.get(line.name, 0):,} in, {totals.line_out.get(line.name, 0):,} out"
        wanted.append((f"{line.name}: {counts}", middle, "door", (line.a, line.b)))
    for sensor_id, placement in config.placements.items():
        wanted.append((f"sensor {sensor_id}", (placement.x_m, placement.y_m), "sensor", ()))
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    names = []
    for text, anchor, kind, outline in wanted:
        probe = figure.text(0, 0, text, fontsize=LABEL_PT, fontweight=_weight(kind))
        extent = probe.get_window_extent(renderer)
        probe.remove()
        names.append(Name(text, anchor, extent.width, extent.height, kind, outline))
    return names


def _weight(kind: str) -> str:
    return "bold" if kind == "door" else "normal"


def _plan_axes(figure: Figure, config: FloorConfig, names: list[Name]) -> tuple[Axes, float]:
    """Axes holding the plan and its names at one scale (pixels per metre), centred in the area."""
    width_px, height_px = figure.bbox.width, figure.bbox.height
    plan = _plan_box(config)
    need = margins(names, plan, OFFSET_PX)  # pixels, whatever the scale
    area_w = PLAN_AREA.width * width_px - need["left"] - need["right"]
    area_h = PLAN_AREA.height * height_px - need["bottom"] - need["top"]
    scale = max(1.0, min(area_w / max(plan.width, 1e-6), area_h / max(plan.height, 1e-6)))
    box_w = plan.width * scale + need["left"] + need["right"]
    box_h = plan.height * scale + need["bottom"] + need["top"]
    left = PLAN_AREA.x0 * width_px + (PLAN_AREA.width * width_px - box_w) / 2
    bottom = PLAN_AREA.y0 * height_px + (PLAN_AREA.height * height_px - box_h) / 2
    axes = figure.add_axes((left / width_px, bottom / height_px, box_w / width_px, box_h / height_px))
    axes.set_xlim(plan.x0 - need["left"] / scale, plan.x1 + need["right"] / scale)
    axes.set_ylim(plan.y0 - need["bottom"] / scale, plan.y1 + need["top"] / scale)
    axes.set_aspect("equal")
    axes.set_axis_off()
    return axes, scale


def _frame(axes: Axes) -> Box:
    (x0, x1), (y0, y1) = axes.get_xlim(), axes.get_ylim()
    return Box(x0, y0, x1, y1)


def _unit(peak_s: float) -> tuple[str, float]:
    """The colour bar's unit for this much time in the busiest square."""
    if peak_s >= 2 * 3600:
        return "hours", 3600.0
    if peak_s >= 120:
        return "minutes", 60.0
    return "seconds", 1.0


def _draw_heat(axes: Axes, config: FloorConfig, totals: FloorTotals) -> AxesImage:
    _, per = _unit(float(totals.grid.max()))
    values = np.ma.masked_less_equal(totals.grid.astype(np.float64) / per, 0.0)
    peak = float(values.max()) if values.count() else 1.0
    rows, cols = totals.grid.shape
    floor = Polygon(config.floor_polygon, closed=True, facecolor=NOBODY, edgecolor="none", zorder=1)
    axes.add_patch(floor)
    image = axes.imshow(
        values,
        cmap=colormaps[COLORMAP],
        norm=PowerNorm(GAMMA, vmin=0.0, vmax=peak),
        origin="lower",  # grid row 0 is y = 0, the bottom of the plan
        extent=(0.0, cols * config.cell_size_m, 0.0, rows * config.cell_size_m),
        interpolation="nearest",
        zorder=2,
    )
    image.set_clip_path(floor)  # cells past the floor's edge (or outline) are not floor
    return image


def _draw_plan(axes: Axes, config: FloorConfig) -> None:
    halo = [withStroke(linewidth=3.5, foreground="white")]
    axes.add_patch(
        Polygon(config.floor_polygon, closed=True, fill=False, edgecolor=INK, linewidth=2, zorder=4)
    )
    for zone in config.zones:
        axes.add_patch(
            Polygon(
                zone.polygon, closed=True, fill=False, edgecolor=INK, linewidth=1.2, linestyle=(0, (4, 3)),
                path_effects=halo, zorder=4,
            )
        )  # fmt: skip
    for line in config.door_lines:
        axes.plot(
            [line.a[0], line.b[0]], [line.a[1], line.b[1]], color=DOOR, linewidth=5, solid_capstyle="butt",
            path_effects=halo, zorder=5,
        )  # fmt: skip
    for placement in config.placements.values():
        # A triangle pointing where the sensor looks (heading 0 = along +y, counter-clockwise).
        axes.plot(
            placement.x_m, placement.y_m, marker=(3, 0, placement.heading_deg), markersize=11,
            color=INK, markeredgecolor="white", markeredgewidth=1.2, linestyle="none", zorder=6,
        )  # fmt: skip


def _draw_name(axes: Axes, placed: Placed) -> None:
    box, name = placed.box, placed.name
    start = placed.leader_start
    end = placed.leader_end if name.outline else _short_of(name.anchor, start)
    axes.plot(
        [start[0], end[0]], [start[1], end[1]], color=MUTED, linewidth=0.8, zorder=3,
        path_effects=[withStroke(linewidth=2.2, foreground="white")],
    )  # fmt: skip
    axes.text(
        (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2, name.text, ha="center", va="center",
        fontsize=LABEL_PT, fontweight=_weight(name.kind), color=DOOR if name.kind == "door" else INK,
        gid=f"name:{name.kind}", zorder=7,
    )  # fmt: skip


def _short_of(anchor: Point, start: Point) -> Point:
    """Stop a hair short of a sensor, so the line points at its marker without covering it."""
    dx, dy = anchor[0] - start[0], anchor[1] - start[1]
    length = math.hypot(dx, dy)
    if length < 1e-9:
        return anchor
    short = min(0.08, length / 2)
    return anchor[0] - dx / length * short, anchor[1] - dy / length * short


def _draw_header(figure: Figure, lines: list[str]) -> None:
    title, period, *rest = lines
    figure.text(PLAN_AREA.x0, 0.955, title, fontsize=18, fontweight="bold", color=INK, va="top")
    figure.text(PLAN_AREA.x0, 0.905, period, fontsize=13, color=INK, va="top")
    for i, line in enumerate(rest):
        warn = line.startswith("The floor sensors reported")
        figure.text(
            PLAN_AREA.x0, 0.868 - i * 0.027, line, fontsize=11, va="top", color="#b54708" if warn else INK
        )
