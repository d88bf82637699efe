"""The work of `branchdoor heatmap`: the period's floor bins read, summed and drawn, or the reason
there is nothing to draw (the quarter hour still open, sensors silent since a time, ...)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from device.config import Config
from device.floor.config import FloorConfig


def draw_heatmap(config: Config, floor: FloorConfig, start: float, end: float, out: Path, now: float) -> int:
    """Exit status: 0 drawn, 1 nothing to draw (and why), 2 a period that is not one."""
    from device.floor.bins_store import read_period
    from device.floor.coverage import partial_notes, whole_bins, why_empty
    from device.floor.render import MapCaption, period_label, render_heatmap
    from device.floor.totals import FloorTotals

    if end <= start:
        print("--until must come after --since", file=sys.stderr)
        return 2
    since, until = whole_bins(start, end, floor.bin_s)
    bins, around = read_period(config.storage.database, since, until)
    label = period_label(datetime.fromtimestamp(since), datetime.fromtimestamp(until))
    try:
        totals = FloorTotals.of(bins, floor.grid_shape)
    except ValueError as exc:
        print(f"no heat map for {label}: {exc}", file=sys.stderr)
        return 1
    if totals.observed_s <= 0:
        print(
            f"no heat map for {label}: {why_empty(since, until, now, floor.bin_s, totals, around)}.",
            file=sys.stderr,
        )
        return 1
    caption = MapCaption(
        config.branch.id,
        datetime.fromtimestamp(since),
        datetime.fromtimestamp(until),
        datetime.fromtimestamp(now),
    )
    render_heatmap(floor, totals, caption, out)
    print(f"wrote {out}: {label}, {totals.people_in:,} people came in")
    if (since, until) != (start, end):
        print(f"note: the floor is stored by quarter hour, so the map covers {label}")
    for note in partial_notes(since, until, now, floor.bin_s, around):
        print(f"note: {note}")
    return 0
