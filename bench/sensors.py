"""Sensor benchmark: parser throughput, the cost of 8 radars feeding the heat map, and counting
accuracy against an emulated scenario's ground truth with 1 % of the bytes corrupted.

Usage: .venv/bin/python bench/sensors.py [--json]

Throughput and accuracy run offline (frames generated for scenario time, fed straight to the
parsers). The 8-radar cost is measured live: eight LD2450 emulators in a separate process write real
frames at 10 Hz to eight ptys, and this process runs the daemon's FloorService on them for 20 s.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from device.floor.bins_store import FloorBinStore
from device.floor.config import FloorConfig, PlacementConfig
from device.floor.model import FloorModel
from device.floor.sensing import merge, observations_from
from device.floor.service import FloorService
from device.floor.tracker import Observation
from drivers.emulators.corruption import Corruption
from drivers.emulators.ld2450 import Ld2450Emulator
from drivers.emulators.scenario import Scenario, Walker
from drivers.serial import a02yyuw, ld2410, ld2450, maxbotix
from drivers.serial.base import Parser
from drivers.serial.geometry import Placement
from drivers.serial.ld2450 import Ld2450Config
from drivers.serial.readings import PresenceReading, Target

FLOOR = FloorConfig.model_validate(
    {
        "width_m": 8.0,
        "depth_m": 6.0,
        "zones": [
            {"name": "queue", "kind": "queue", "polygon": [(5, 1), (7, 1), (7, 3.5), (5, 3.5)]},
            {"name": "counter", "kind": "counter", "polygon": [(5, 4), (7, 4), (7, 5.5), (5, 5.5)]},
            {"name": "waiting", "kind": "waiting", "polygon": [(0.5, 2.5), (2.5, 2.5), (2.5, 5), (0.5, 5)]},
        ],
        "door_lines": [{"name": "main", "a": (1, 0), "b": (3, 0), "inside": "left"}],
    }
)
# An LD2450 reports at most 3 people, nearest first, so a branch needs radars enough that no more
# than 3 people usually stand in one's view: one faces the door from inside (it sees the street side
# too), two watch the room from the side walls.
RADARS = {
    "door": Placement(2.0, 3.5, 180.0),
    "west": Placement(0.2, 3.0, -90.0),
    "east": Placement(7.8, 3.0, 90.0),
}
TICK_S = 0.1


def branch_hour(seed: int = 7, people: int = 24, duration_s: float = 420.0) -> Scenario:
    """People come in through the door (x 1..3, from the street at y = -1), go to a zone, stay, and
    most leave again; a few are still inside at the end."""
    rng = random.Random(seed)
    spots = [(6.0, 2.0), (6.0, 4.7), (1.5, 3.5), (4.0, 3.0)]
    walkers = []
    for i in range(people):
        start = 5.0 + i * (duration_s - 60) / people + rng.uniform(0, 5)
        door_x = rng.uniform(1.4, 2.6)
        x, y = rng.choice(spots)
        x, y = x + rng.uniform(-0.4, 0.4), y + rng.uniform(-0.3, 0.3)
        walk_in = 2.5 + abs(x - door_x) / 1.2
        stay = rng.uniform(15, 60)
        points = [(start, door_x, -1.0), (start + 1.0, door_x, 0.4), (start + 1.0 + walk_in, x, y)]
        points.append((points[-1][0] + stay, x + 0.1, y))
        if i % 6 != 5:  # one in six is still inside when the scenario ends
            points.append((points[-1][0] + walk_in, door_x + 0.1, 0.4))
            points.append((points[-1][0] + 1.0, door_x + 0.1, -1.0))
        walkers.append(Walker(tuple(p for p in points if p[0] <= duration_s)))
    return Scenario(tuple(w for w in walkers if len(w.points) >= 2), duration_s)


def truth(scenario: Scenario, t: float) -> tuple[int, int, int]:
    """(people in, people out, occupancy) at t, from the scripted paths."""
    ins = outs = inside = 0
    for walker in scenario.walkers:
        pos = walker.position_at(t)
        crossed_in = walker.points[0][0] + 0.75 <= t  # at y = 0 three quarters into the first leg
        ins += crossed_in
        left = len(walker.points) == 6 and walker.points[-1][0] - 0.7 <= t
        outs += left
        inside += pos is not None and pos[1] > 0 and not left
    return ins, outs, inside


def accuracy(corruption: float) -> dict[str, float]:
    scenario = branch_hour()
    model = FloorModel(FLOOR)
    emulators = {
        name: (Ld2450Emulator(scenario, placement), ld2450.Ld2450Parser(), placement)
        for name, placement in RADARS.items()
    }
    noise = {
        name: Corruption(
            flip_bit_rate=corruption / 3, drop_byte_rate=corruption / 3, junk_rate=corruption / 3, seed=i
        )
        for i, name in enumerate(RADARS)
    }
    worst_occupancy, frames, bad = 0, 0, 0
    t = 0.0
    while t <= scenario.duration_s:
        per_sensor = []
        for name, (emulator, parser, placement) in emulators.items():
            seen: list[Observation] = []
            for reading in parser.feed(noise[name].apply(emulator.frame_at(t))):
                seen += observations_from(reading, placement, t) or []
            per_sensor.append(seen)
        model.ingest(t, merge(per_sensor, t), TICK_S)
        if round(t * 10) % 10 == 0 and t > 2:
            snapshot = model.snapshot(t)
            worst_occupancy = max(worst_occupancy, abs(snapshot.occupancy - truth(scenario, t - 0.5)[2]))
        t = round(t + TICK_S, 3)
    for _, parser, _ in emulators.values():
        frames += parser.frames_ok
        bad += parser.bad_frames
    final = model.snapshot(scenario.duration_s)
    true_in, true_out, _ = truth(scenario, scenario.duration_s)
    return {
        "people": len(scenario.walkers),
        "true_in": true_in,
        "true_out": true_out,
        "counted_in": final.ins_today["main"],
        "counted_out": final.outs_today["main"],
        "inout_error": abs(final.ins_today["main"] - true_in) + abs(final.outs_today["main"] - true_out),
        "occupancy_max_abs_error": worst_occupancy,
        "frames_ok": frames,
        "bad_frames": bad,
    }


def sample_streams(megabytes: float = 2.0) -> dict[str, tuple[Parser, bytes]]:
    rng = random.Random(1)

    def repeat(make: object) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while size < megabytes * 1e6:
            chunk = make()  # type: ignore[operator]
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)

    def radar() -> bytes:
        targets = tuple(
            Target(rng.randint(-3000, 3000), rng.randint(100, 6000), rng.randint(-100, 100), 320)
            for _ in range(rng.randint(0, 3))
        )
        return ld2450.encode_frame(targets)

    def presence() -> bytes:
        return ld2410.encode_frame(
            PresenceReading(3, rng.randint(30, 600), 50, rng.randint(30, 600), 40, 300)
        )

    return {
        "ld2450": (ld2450.Ld2450Parser(), repeat(radar)),
        "ld2410": (ld2410.Ld2410Parser(), repeat(presence)),
        "a02yyuw": (a02yyuw.A02yyuwParser(), repeat(lambda: a02yyuw.encode_frame(rng.randint(300, 4000)))),
        "maxbotix": (
            maxbotix.MaxbotixParser(),
            repeat(lambda: maxbotix.encode_frame(rng.randint(300, 4000))),
        ),
    }


def throughput() -> dict[str, float]:
    results = {}
    for name, (parser, stream) in sample_streams().items():
        started = time.process_time()
        for offset in range(0, len(stream), 4096):
            parser.feed(stream[offset : offset + 4096])
        results[name] = len(stream) / 1e6 / (time.process_time() - started)
    return results


EMULATOR_HOST = """
import sys, threading
from drivers.emulators.ld2450 import Ld2450Emulator
from drivers.emulators.scenario import Scenario, Walker
from drivers.serial.geometry import Placement
import bench.sensors as b
scenario = b.branch_hour()
emulators = [Ld2450Emulator(scenario, Placement(0.5 + i, 0.2, 0.0)) for i in range(8)]
print(" ".join(e.start() for e in emulators), flush=True)
sys.stdin.read()
for e in emulators:
    e.stop()
"""


def live_cost(seconds: float = 20.0) -> dict[str, float]:
    repo = Path(__file__).resolve().parents[1]
    host = subprocess.Popen(
        [sys.executable, "-c", EMULATOR_HOST],
        cwd=repo,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert host.stdout is not None and host.stdin is not None
    ports = host.stdout.readline().split()
    placements = {f"r{i}": PlacementConfig(x_m=0.5 + i, y_m=0.2, heading_deg=0.0) for i in range(8)}
    floor = FloorConfig.model_validate({**FLOOR.model_dump(), "placements": placements})
    sensors = [Ld2450Config(id=f"r{i}", port=port) for i, port in enumerate(ports)]
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        service = FloorService(floor, sensors, FloorBinStore(Path(tmp) / "b.db"), lambda _s: None)
        started_cpu, started = time.process_time(), time.monotonic()
        service.start()
        time.sleep(seconds)
        service.stop()
        cpu, wall = time.process_time() - started_cpu, time.monotonic() - started
    host.stdin.close()
    host.wait(10)
    readings = sum(s.readings for s in service.status.values())
    return {"cpu_pct": 100 * cpu / wall, "readings_per_s": readings / wall}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    rates = throughput()
    print(f"{'parser':10} {'MB/s':>8}")
    for name, rate in rates.items():
        print(f"{name:10} {rate:>8.1f}")
    clean, noisy = accuracy(0.0), accuracy(0.01)
    title = f"scenario ({clean['people']} people, 7 min)"
    print(f"\n{title:34} {'in':>4} {'out':>4} {'in/out err':>10} {'occ. max err':>12} {'bad frames':>10}")
    print(f"{'ground truth':34} {clean['true_in']:>4} {clean['true_out']:>4}")
    for label, result in (("clean bytes", clean), ("1 % of bytes corrupted", noisy)):
        print(
            f"{label:34} {result['counted_in']:>4} {result['counted_out']:>4} {result['inout_error']:>10} "
            f"{result['occupancy_max_abs_error']:>12} {result['bad_frames']:>10}"
        )
    live = live_cost()
    print(
        f"\n8 x LD2450 at 10 Hz into the heat map, live on ptys: {live['cpu_pct']:.2f} % of one core "
        f"({live['readings_per_s']:.0f} readings/s; target < 2 %)"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "ingest_cpu_pct_8x_ld2450": round(live["cpu_pct"], 3),
                    "min_parser_mb_s": round(min(rates.values()), 2),
                    "parser_mb_s": {k: round(v, 2) for k, v in rates.items()},
                    "inout_count_error": noisy["inout_error"],
                    "occupancy_max_abs_error": noisy["occupancy_max_abs_error"],
                    "inout_count_error_clean": clean["inout_error"],
                    "occupancy_max_abs_error_clean": clean["occupancy_max_abs_error"],
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
