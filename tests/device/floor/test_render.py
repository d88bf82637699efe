"""The heat map page: A4 landscape, titled with the branch, the period and its counts, viridis with a
labelled colour bar, and names beside the floor where they hide no path. Rendered for real (Agg)."""

from __future__ import annotations

import struct
import time
from datetime import datetime
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from device.floor.config import FloorConfig, PlacementConfig
from device.floor.render import MapCaption, heatmap_figure, period_label, render_heatmap
from device.floor.totals import FloorTotals
from tests.device.floor.plan import BRANCH

FLOOR = FloorConfig.model_validate(
    {
        **BRANCH.model_dump(),
        "placements": {
            "door-radar": PlacementConfig(x_m=2.0, y_m=4.5, heading_deg=180.0),
            "east": PlacementConfig(x_m=7.8, y_m=3.0, heading_deg=90.0),
        },
    }
)
DAY = MapCaption("0427", datetime(2026, 11, 2, 9, 0), datetime(2026, 11, 2, 18, 0))
NINE_HOURS = 9 * 3600.0


def cell(grid: np.ndarray, x_m: float, y_m: float) -> tuple[int, int]:
    return int(y_m / FLOOR.cell_size_m), int(x_m / FLOOR.cell_size_m)


def busy_day() -> FloorTotals:
    """People queued at (6, 2), waited at (1, 5), came through the door at (2, 0.5); the hottest squares
    are right where the old map wrote the zones' names (their top-left corners) and the door's."""
    grid = np.zeros(FLOOR.grid_shape, dtype=np.float32)
    grid[4:16, 20:28] = 240.0  # the queue zone, 5..7 x 1..4 m
    grid[10:22, 1:10] = 90.0  # waiting
    grid[0:4, 4:12] = 60.0  # the doorway
    for x_m, y_m in ((5.1, 3.9), (0.4, 5.6), (5.1, 5.9), (2.0, 0.1), (3.0, 0.1)):
        grid[cell(grid, x_m, y_m)] = 1500.0
    return FloorTotals(
        grid, {"main": 132}, {"main": 128}, {"queue": 85, "counter 1": 80, "waiting": 30}, 9, NINE_HOURS, 36
    )


def texts(figure: Figure) -> list[Text]:
    found = list(figure.texts)
    for axes in figure.axes:
        found += axes.texts
        found += [axes.yaxis.label, axes.xaxis.label]
    return [text for text in found if text.get_text()]


def names(figure: Figure) -> list[Text]:
    return [t for axes in figure.axes for t in axes.texts if str(t.get_gid()).startswith("name:")]


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return int(width), int(height)


def test_the_page_says_whose_floor_when_and_how_many_people(tmp_path: Path) -> None:
    figure = heatmap_figure(FLOOR, busy_day(), DAY)
    words = [text.get_text() for text in texts(figure)]
    assert "Branch 0427: where people spent their time" in words
    assert "Mon 2 November 2026, 09:00\u201318:00 (local time)" in words
    assert "132 people came in and 128 went out; at most 9 on the floor at once" in words
    assert "Door counts: main: 132 in, 128 out" in words
    assert {"queue: 85 visits", "counter 1: 80 visits", "waiting: 30 visits", "main: 132 in, 128 out"} <= {
        t.get_text() for t in names(figure)
    }
    assert {"sensor door-radar", "sensor east"} <= {t.get_text() for t in names(figure)}
    assert not any("sensors reported" in word for word in words)  # watched the whole time: no caveat
    [image] = [image for axes in figure.axes for image in axes.images]
    assert image.get_cmap().name == "viridis"
    bar_labels = [axes.get_ylabel() for axes in figure.axes if axes.get_ylabel()]
    assert bar_labels == ["time people spent per 0.25 m \u00d7 0.25 m square (minutes)"]


def test_it_prints_on_a4_landscape_at_150_dpi(tmp_path: Path) -> None:
    out = render_heatmap(FLOOR, busy_day(), DAY, tmp_path / "maps" / "heat.png")
    width, height = png_size(out)
    assert (width, height) == (1754, 1240)  # 297 x 210 mm at 150 dpi
    assert abs(width / height - 297 / 210) < 0.01
    assert out.stat().st_size < 300_000


def test_names_sit_beside_the_floor_never_on_its_hottest_squares() -> None:
    totals = busy_day()
    figure = heatmap_figure(FLOOR, totals, DAY)
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    figure.canvas.draw()
    [plan] = [axes for axes in figure.axes if axes.images]
    to_px = plan.transData.transform
    size = FLOOR.cell_size_m
    hottest = np.argwhere(totals.grid >= np.quantile(totals.grid, 0.97))
    assert len(hottest) >= 5
    hot = [Bbox(to_px([(c * size, r * size), ((c + 1) * size, (r + 1) * size)])) for r, c in hottest]
    floor = Bbox(to_px([(0.0, 0.0), (FLOOR.width_m, FLOOR.depth_m)]))
    page = figure.bbox
    boxes = [text.get_window_extent(renderer) for text in names(figure)]
    assert len(boxes) == 6
    for box, text in zip(boxes, names(figure), strict=True):
        assert not any(box.overlaps(square) for square in hot), f"{text.get_text()!r} covers a hot square"
        assert not box.overlaps(floor), f"{text.get_text()!r} sits on the floor"
        assert page.contains(box.x0, box.y0) and page.contains(box.x1, box.y1), f"{text.get_text()!r} is cut"
    for i, box in enumerate(boxes):
        assert not any(box.overlaps(other) for other in boxes[i + 1 :]), "two names overlap"


def test_the_hottest_square_is_the_top_of_the_scale_and_empty_floor_is_grey(tmp_path: Path) -> None:
    out = render_heatmap(FLOOR, busy_day(), DAY, tmp_path / "heat.png")
    figure = heatmap_figure(FLOOR, busy_day(), DAY)
    figure.canvas.draw()
    [plan] = [axes for axes in figure.axes if axes.images]
    pixels = matplotlib.image.imread(out)
    height = pixels.shape[0]

    def colour_at(x_m: float, y_m: float) -> list[int]:
        x, y = plan.transData.transform((x_m, y_m))
        return [round(v * 255) for v in pixels[height - 1 - int(y), int(x)][:3]]

    def near(got: list[int], want: list[int]) -> bool:
        return all(abs(a - b) <= 2 for a, b in zip(got, want, strict=True))

    top = [round(v * 255) for v in colormaps["viridis"](1.0)[:3]]
    assert near(colour_at(5.12, 3.87), top)  # viridis at its top: yellow
    assert near(colour_at(4.0, 5.0), [228, 228, 228])  # nobody stood there
    queue, waiting = colour_at(6.1, 2.1), colour_at(1.6, 3.1)
    assert queue != waiting and sum(queue[:2]) > sum(waiting[:2])  # longer is lighter


def test_an_empty_floor_and_silent_sensors_are_said_on_the_page() -> None:
    silent = FloorTotals(np.zeros(FLOOR.grid_shape, dtype=np.float32), {}, {}, {}, 0, 3600.0, 36)
    words = [text.get_text() for text in texts(heatmap_figure(FLOOR, silent, DAY))]
    assert "0 people came in and 0 went out; at most 0 on the floor at once" in words
    assert (
        "The floor sensors reported for 1 h of these 9 h: where they were silent, the map is blank." in words
    )


def test_a_still_running_period_is_measured_up_to_now() -> None:
    running = MapCaption("0427", DAY.since, DAY.until, now=datetime(2026, 11, 2, 10, 0))
    hour = FloorTotals(np.zeros(FLOOR.grid_shape, dtype=np.float32), {}, {}, {}, 0, 3600.0, 4)
    words = [text.get_text() for text in texts(heatmap_figure(FLOOR, hour, running))]
    assert not any("sensors reported" in word for word in words)


def test_a_night_the_clocks_go_forward_is_measured_in_real_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    """00:00-06:00 local on 29 March 2026 in London is 5 real hours: sensors up all along covered it all."""
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    try:
        night = MapCaption("0427", datetime(2026, 3, 29, 0, 0), datetime(2026, 3, 29, 6, 0))
        five_hours = FloorTotals(np.zeros(FLOOR.grid_shape, dtype=np.float32), {}, {}, {}, 0, 5 * 3600.0, 20)
        words = [text.get_text() for text in texts(heatmap_figure(FLOOR, five_hours, night))]
    finally:
        monkeypatch.undo()
        time.tzset()
    assert not any("sensors reported" in word for word in words), words


def test_a_plan_without_doors_says_nobody_is_counted() -> None:
    doorless = FloorConfig.model_validate({**BRANCH.model_dump(), "door_lines": []})
    totals = FloorTotals(np.zeros(doorless.grid_shape, dtype=np.float32), {}, {}, {}, 3, NINE_HOURS, 36)
    words = [text.get_text() for text in texts(heatmap_figure(doorless, totals, DAY))]
    assert (
        "No door line in the floor plan, so nobody is counted in or out; at most 3 on the floor at once"
        in words
    )


def test_a_grid_of_the_wrong_shape_is_refused() -> None:
    wrong = FloorTotals(np.zeros((3, 3), dtype=np.float32), {}, {}, {}, 0, 0.0, 0)
    with pytest.raises(ValueError, match="floor plan needs"):
        heatmap_figure(FLOOR, wrong, DAY)


@pytest.mark.parametrize(
    ("since", "until", "label"),
    [
        (datetime(2026, 11, 2), datetime(2026, 11, 3), "Mon 2 November 2026"),
        (datetime(2026, 11, 2), datetime(2026, 11, 9), "Mon 2 \u2013 Sun 8 November 2026"),
        (datetime(2026, 11, 30), datetime(2026, 12, 2), "Mon 30 November 2026 \u2013 Tue 1 December 2026"),
        (
            datetime(2026, 11, 2, 9),
            datetime(2026, 11, 3, 12),
            "Mon 2 November 2026 09:00 \u2013 Tue 3 November 2026 12:00",
        ),
    ],
)  # fmt: skip
def test_periods_are_written_as_people_write_them(since: datetime, until: datetime, label: str) -> None:
    assert period_label(since, until) == label
