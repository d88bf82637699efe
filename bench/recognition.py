"""Recognition benchmark: the real daemon at the door, measured at the teller's screen.

Usage: .venv/bin/python bench/recognition.py [--json] [--cpu-cap PCT] [--scene door|staff|attacks]
       [--limit N] [--data DIR] [--skip-naive] [--matching-only]

A seeded door sequence built from a labeled face set (device/demo/doorset.py) is served as an IP
camera serves video (bench/door_stream.py: MJPEG over HTTP, 640x480 at 15 fps, real-time pace).
`branchdoor run` reads it, pinned to one core, with a real Mosquitto; a subscriber standing in for a
teller screen stamps each cue as it arrives (bench/kiosk_rig.py). Latency is from the sending of the
first frame in which the face has the configured minimum face size (`[recognition] min_face_px`) to
the cue at the screen; beside it, from the smallest face searched for (`scan_min_face_px`) and, the
figure before, from the frame in which the face is 80 px tall (negative: named before 80 px).

`--cpu-cap 25` runs the daemon, and every process it starts, under a cgroup CPU quota of 25 % of one
core (bench/cpu_cap.py), created and removed by the bench (root needed; it says so when it cannot).
The scene, the broker and the screen stay outside the quota. The baseline, face_recognition's
"faster webcam" loop reading the same stream in this process, runs only without a cap.
"""

from __future__ import annotations

import os

# One core means one BLAS thread too: two OpenBLAS threads fighting over one core slow matching 8x.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cpu_cap import CapUnavailable, CpuCap
from bench.door_scenes import Scene, build_scene
from bench.door_score import Tally
from bench.gallery_matching import print_matching
from bench.kiosk_rig import run_kiosk
from bench.naive_loop import decoding_cost, run_naive
from device.demo.faceset import face_data_dir


def print_rows(rows: list[Tally]) -> None:
    header = f"{'pipeline':44} {'visits':>6} {'named':>5} {'wrong':>5} {'str.named':>9} {'dup':>3} "
    header += f"{'cpu s/s':>7} {'screen p50':>10} {'p95':>5} {'max':>5} {'from 56px p95':>13} "
    header += f"{'80px p50':>8} {'p95':>5} {'in view p50':>11} {'p95':>5} {'dropped':>7}"
    print(header)
    for row in rows:
        print(
            f"{row.name:44} {row.visits:>6} {row.correct:>5} {row.wrong_identity:>5} "
            f"{row.strangers_named:>9} {row.duplicates:>3} {row.cpu_per_video_s:>7.4f} "
            f"{Tally.percentile(row.latency_screen_ms, 50):>10.0f} "
            f"{Tally.percentile(row.latency_screen_ms, 95):>5.0f} "
            f"{Tally.percentile(row.latency_screen_ms, 100):>5.0f} "
            f"{Tally.percentile(row.latency_searched_ms, 95):>13.0f} "
            f"{Tally.percentile(row.latency_80px_ms, 50):>8.0f} "
            f"{Tally.percentile(row.latency_80px_ms, 95):>5.0f} "
            f"{Tally.percentile(row.latency_entered_ms, 50):>11.0f} "
            f"{Tally.percentile(row.latency_entered_ms, 95):>5.0f} {row.dropped:>7}"
        )


def print_details(tally: Tally) -> None:
    print(f"\n{'group size':>10} {'visits':>6} {'named':>5}   ({tally.name})")
    for size in sorted(tally.groups):
        visits, correct = tally.groups[size]
        print(f"{size:>10} {visits:>6} {correct:>5}")
    for note in tally.notes:
        print(f"  {note}")
    if tally.staff_passes:
        print(f"staff passes {tally.staff_passes}, staff cued {tally.staff_cued}")
    if tally.attacks:
        print(
            f"attacks {tally.attacks}: greeted {tally.attacks_greeted}, flagged 'verify before greeting' "
            f"{tally.attacks_flagged}; genuine cues flagged {tally.genuine_flagged}"
        )


def result_json(ours: Tally, naive: Tally | None, budget_pct: float, extra: dict[str, float | None]) -> str:
    result = {
        "visits": ours.visits,
        "stranger_visits": ours.stranger_visits,
        "correct": ours.correct,
        "wrong_identity": ours.wrong_identity,
        "strangers_named": ours.strangers_named,
        "missed": ours.missed,
        "duplicates": ours.duplicates,
        "cpu_s_per_video_s": round(ours.cpu_per_video_s, 5),
        "baseline_cpu_s_per_video_s": round(naive.cpu_per_video_s, 5) if naive else None,
        "baseline_wrong_identity": naive.wrong_identity if naive else None,
        "baseline_strangers_named": naive.strangers_named if naive else None,
        # From the frame in which the face is 80 px tall (the figure before #16), beside the new one.
        "latency_p50_ms": round(Tally.percentile(ours.latency_80px_ms, 50), 1),
        "latency_p95_ms": round(Tally.percentile(ours.latency_80px_ms, 95), 1),
        "latency_screen_p50_ms": round(Tally.percentile(ours.latency_screen_ms, 50), 1),
        "latency_screen_p95_ms": round(Tally.percentile(ours.latency_screen_ms, 95), 1),
        "latency_screen_max_ms": round(Tally.percentile(ours.latency_screen_ms, 100), 1),
        "latency_screen_from_smallest_searched_p95_ms": round(
            Tally.percentile(ours.latency_searched_ms, 95), 1
        ),
        "latency_since_in_view_p50_ms": round(Tally.percentile(ours.latency_entered_ms, 50), 1),
        "latency_since_in_view_p95_ms": round(Tally.percentile(ours.latency_entered_ms, 95), 1),
        "dropped_frames": ours.dropped,
        "budget_pct": budget_pct,
        "group_visits": ours.group_visits(),
        "group_correct": ours.group_correct(),
        "staff_passes": ours.staff_passes,
        "staff_cued": ours.staff_cued,
        "attacks": ours.attacks,
        "attacks_greeted": ours.attacks_greeted,
        "attacks_flagged": ours.attacks_flagged,
        "genuine_flagged": ours.genuine_flagged,
    }
    return json.dumps(result | extra)


def matching_json() -> dict[str, float | None]:
    matching = print_matching()
    return {
        # The worst case: 3 templates per customer, a stranger's probe.
        "match_ms_1k": round(matching[(1_000, 3, "stranger")].gallery_ms, 4),
        "match_ms_10k": round(matching[(10_000, 3, "stranger")].gallery_ms, 4),
        "match_ms_100k": round(matching[(100_000, 3, "stranger")].gallery_ms, 4),
        "match_ms_100k_customer_probe": round(matching[(100_000, 3, "customer")].gallery_ms, 4),
        "match_ms_100k_one_template": round(matching[(100_000, 1, "stranger")].gallery_ms, 4),
        "match_ms_100k_exact_scan_baseline": round(matching[(100_000, 3, "stranger")].exact_scan_ms, 4),
        "match_ms_100k_p95": round(matching[(100_000, 3, "stranger")].gallery_p95_ms, 4),
        "match_disagreements": sum(t.disagreements for t in matching.values()),
        "match_full_scans": sum(t.full_scans for t in matching.values()),
    }


def run_ours(scene: Scene, cpu: int, cap_pct: float | None, workdir: Path | None) -> Tally | None:
    cap = None
    if cap_pct is not None:
        try:
            cap = CpuCap.create(cap_pct)
        except CapUnavailable as exc:
            print(f"no CPU cap here, so no capped run: {exc}", file=sys.stderr)
            return None
        print(f"daemon under a CPU quota of {cap.describe()}", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="branchdoor-bench-") as tmp:
            kiosk = workdir or Path(tmp)
            kiosk.mkdir(parents=True, exist_ok=True)
            result = run_kiosk(kiosk, scene.script, scene.enrollees, core=cpu, cap=cap)
    finally:
        if cap is not None:
            cap.remove()
            print(f"CPU quota removed ({cap.path})", flush=True)
    name = "branchdoor run" + (f", {cap_pct:g} % of one core" if cap_pct else "")
    tally = scene.score(name, result.arrivals(), result.stream.sent, result.cpu_s)
    tally.dropped = int(result.health.get("dropped_frames", 0))
    if result.throttled_s is not None:
        print(f"the quota held the daemon back for {result.throttled_s:.1f} s in all", flush=True)
    return tally


def empty_door_cost(scene: Scene, cpu: int, seconds: float = 60.0) -> float:
    """CPU seconds per second of video the daemon spends with nobody at the door: reading the camera,
    the motion gate, health, housekeeping. Recognition work is what comes on top."""
    empty = scene.script.model_copy(update={"actors": [], "duration_s": seconds})
    with tempfile.TemporaryDirectory(prefix="branchdoor-bench-") as tmp:
        return run_kiosk(Path(tmp), empty, scene.enrollees, core=cpu).cpu_s / seconds


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON object")
    parser.add_argument("--cpu-cap", type=float, metavar="PCT", help="run the daemon under this CPU quota")
    parser.add_argument("--scene", choices=("door", "staff", "attacks"), default="door")
    parser.add_argument("--limit", type=int, default=0, help="only the first N visits (for development)")
    parser.add_argument("--data", type=Path, help="labeled face set (default: $BRANCHDOOR_FACE_DATA)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="the daemon's config, log and state here")
    parser.add_argument("--skip-naive", action="store_true", help="development only: no baseline row")
    parser.add_argument("--matching-only", action="store_true", help="only the gallery-matching table")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    if args.matching_only:
        os.sched_setaffinity(0, {cores[0]})
        print_matching()
        return 0
    root = args.data or face_data_dir()
    if root is None:
        print("no labeled face set: set BRANCHDOOR_FACE_DATA to a folder with labels.csv", file=sys.stderr)
        return 2
    # The daemon gets a core of its own; the camera, broker, screen and baseline share the other.
    daemon_cpu, bench_cpu = cores[0], cores[-1]
    os.sched_setaffinity(0, {bench_cpu})
    with tempfile.TemporaryDirectory(prefix="branchdoor-bench-scene-") as pictures:
        scene = build_scene(args.scene, root, Path(pictures), args.limit)
        print(
            f"{scene.describe()}; daemon on cpu {daemon_cpu}, camera and screen on cpu {bench_cpu}",
            flush=True,
        )
        ours = run_ours(scene, daemon_cpu, args.cpu_cap, args.keep)
        if ours is None:
            return 3
        naive = None if args.skip_naive or args.cpu_cap else run_naive(scene)
        # What reading the stream costs, and what the daemon spends at an empty door, beside the runs.
        decoding = decoding_cost(scene) if naive is not None else None
        idle = empty_door_cost(scene, daemon_cpu) if naive is not None else None
    print_rows([ours] + ([naive] if naive else []))
    print_details(ours)
    matching = matching_json() if args.scene == "door" and args.cpu_cap is None and not args.limit else {}
    if naive is not None and decoding is not None and idle is not None:
        ratio = ours.cpu_per_video_s / naive.cpu_per_video_s
        less = (ours.cpu_per_video_s - idle) / (naive.cpu_per_video_s - decoding)
        print(
            f"\ncpu vs naive: {ratio:.3f} as measured. An empty door costs the daemon {idle:.4f} s/s, "
            f"the naive loop {decoding:.4f} (reading the camera's MJPEG). "
            f"The recognition work alone, each less its empty door: {less:.3f} (target <= 0.2)"
        )
    if args.json:
        costs = {
            "camera_decoding_cpu_s_per_video_s": round(decoding, 5) if decoding is not None else None,
            "empty_door_cpu_s_per_video_s": round(idle, 5) if idle is not None else None,
        }
        print(result_json(ours, naive, args.cpu_cap or 100.0, matching | costs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
