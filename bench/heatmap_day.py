"""An emulated day at the bench's branch, through the real floor model, drawn as the manager's heat map.

Usage: .venv/bin/python bench/heatmap_day.py [--out docs/heatmap-example.png]

About a hundred people come in between 09:00 and 17:00 on a Monday (arrivals follow the synthetic
branch's day profile), go to the queue and then a counter, or sit in the waiting area first, or stop
at the leaflet stand, and leave. Three emulated LD2450 radars (bench/sensors.py's placements) turn
them into real byte frames at 10 Hz; the parsers, the placement, the tracker, the door counter and the
15-minute bins are the daemon's own. The page is docs/heatmap-example.png; the run prints what it
took and how the door counts compare with the script.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.sensors import FLOOR, RADARS, TICK_S
from device.analytics.synthetic import DAY_PROFILE, WEEKDAY_FACTOR
from device.floor.config import FloorConfig, PlacementConfig
from device.floor.model import FloorModel
from device.floor.render import MapCaption, render_heatmap
from device.floor.sensing import merge, observations_from
from device.floor.totals import FloorTotals
from drivers.emulators.ld2450 import Ld2450Emulator
from drivers.emulators.scenario import Scenario, Walker
from drivers.serial import ld2450

DAY = datetime(2026, 11, 2)  # a Monday
OPENS, CLOSES = 9, 18  # the map covers 09:00-18:00; the last customer comes in before 17:00
WALK_M_S = 1.1
WINDOW_S = 900.0  # emulators see only the walkers of the quarter hour at hand: a day of walkers is slow

PLAN = FloorConfig.model_validate(
    {
        **FLOOR.model_dump(),
        "placements": {
            name: PlacementConfig(x_m=p.x_m, y_m=p.y_m, heading_deg=p.heading_deg)
            for name, p in RADARS.items()
        },
    }
)


def _leg(points: list[tuple[float, float, float]], x: float, y: float, stay_s: float = 0.0) -> None:
    """Walk from the last point to (x, y) at walking pace, then stand there `stay_s`."""
    t, x0, y0 = points[-1]
    t += max(0.5, ((x - x0) ** 2 + (y - y0) ** 2) ** 0.5 / WALK_M_S)
    points.append((t, x, y))
    if stay_s:
        points.append((t + stay_s, x + 0.05, y))


def day_of_walkers(seed: int = 11) -> list[Walker]:
    """Absolute times in seconds from 09:00."""
    rng = random.Random(seed)
    walkers = []
    for hour in range(OPENS, CLOSES - 1):
        for _ in range(round(DAY_PROFILE[hour] * WEEKDAY_FACTOR[DAY.weekday()])):
            start = (hour - OPENS) * 3600 + rng.uniform(0, 3600)
            door_x = rng.uniform(1.3, 2.7)
            points = [(start, door_x, -1.0)]
            _leg(points, door_x, 0.6)
            route = rng.random()
            if route < 0.55:  # queue, then a counter
                _leg(points, rng.uniform(5.5, 6.5), rng.uniform(1.3, 3.2), rng.uniform(60, 240))
                _leg(points, rng.uniform(5.4, 6.6), rng.uniform(4.4, 5.1), rng.uniform(120, 300))
            elif route < 0.8:  # the waiting area, then a counter
                _leg(points, rng.uniform(0.9, 2.1), rng.uniform(2.9, 4.6), rng.uniform(120, 420))
                _leg(points, rng.uniform(5.4, 6.6), rng.uniform(4.4, 5.1), rng.uniform(120, 300))
            else:  # the leaflet stand, and out
                _leg(points, rng.uniform(3.6, 4.4), rng.uniform(2.6, 3.4), rng.uniform(20, 90))
            _leg(points, door_x + rng.uniform(-0.3, 0.3), 0.6)
            _leg(points, points[-1][1], -1.0)
            walkers.append(Walker(tuple(points)))
    return walkers


def _window(walkers: list[Walker], start: float, end: float) -> Scenario:
    """The walkers on the floor in [start, end), with times counted from `start`."""
    inside = [
        Walker(tuple((t - start, x, y) for t, x, y in w.points))
        for w in walkers
        if w.points[0][0] < end and w.points[-1][0] >= start
    ]
    return Scenario(tuple(inside), end - start)


def run_day(walkers: list[Walker]) -> tuple[FloorModel, int, float]:
    model = FloorModel(PLAN)
    opens = DAY.replace(hour=OPENS).timestamp()
    parsers = {name: ld2450.Ld2450Parser() for name in RADARS}
    ticks, started = 0, time.process_time()
    for window_start in range(0, (CLOSES - OPENS) * 3600, int(WINDOW_S)):
        scenario = _window(walkers, window_start, window_start + WINDOW_S)
        emulators = {name: Ld2450Emulator(scenario, placement) for name, placement in RADARS.items()}
        for step in range(round(WINDOW_S / TICK_S)):
            t = step * TICK_S
            now = opens + window_start + t
            seen = []
            for name, emulator in emulators.items():
                placed = []
                for reading in parsers[name].feed(emulator.frame_at(t)):
                    placed += observations_from(reading, RADARS[name], now) or []
                seen.append(placed)
            model.ingest(now, merge(seen, now), TICK_S)
            ticks += 1
    return model, ticks, time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("docs/heatmap-example.png"))
    args = parser.parse_args()
    walkers = day_of_walkers()
    model, ticks, cpu_s = run_day(walkers)
    closes = DAY.replace(hour=CLOSES)
    bins = model.close_bins(closes.timestamp())
    totals = FloorTotals.of(bins, PLAN.grid_shape)
    caption = MapCaption("0427", DAY.replace(hour=OPENS), closes)
    out = render_heatmap(PLAN, totals, caption, args.out)
    print(
        f"{len(walkers)} people scripted; counted {totals.people_in} in, {totals.people_out} out; "
        f"at most {totals.occupancy_max} on the floor; {len(bins)} bins"
    )
    print(f"{ticks} ticks ({ticks * TICK_S / 3600:.0f} h at 10 Hz, 3 radars) in {cpu_s:.0f} s of CPU")
    print(f"wrote {out} ({out.stat().st_size / 1000:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
