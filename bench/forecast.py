"""Forecast benchmark: a year of synthetic hourly visits, the final 30 days held out.

Usage: taskset -c 1 .venv/bin/python bench/forecast.py [--seeds 5] [--json]

Each seed draws a year (2026) of a branch with known daily and weekly seasonality, +15 %/year trend,
closed holidays (including 25-26 December, inside the held-out month) and overdispersed noise with a
random factor per day (device/analytics/synthetic.py). branchdoor's model is fitted on the first 335
days and forecasts the last 30, against the seasonal-naive baseline (each hour repeats the same hour
of the last week). Measures:

- mape: the weighted MAPE (WAPE), sum |actual - forecast| / sum actual over every held-out hour, in %.
  Plain MAPE divides by each hour's visits: closed hours (0) make it infinite and a quiet hour (1 visit)
  weighs as much as noon. mape_open_hours is plain MAPE over the hours with at least one visit, for
  reference.
- coverage80: % of held-out open hours (forecast open, or with visits in fact: a visit in an hour
  forecast closed is a miss) whose visits fell inside the 80 % interval. Hours closed in both are
  trivially covered (0 in [0, 0]); coverage80_all_hours counts them too. The table shows each seed.
- fit_s: wall time of fit and 30-day forecast (run it under `taskset -c 1` for one core).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from device.analytics.forecast import fit_forecast
from device.analytics.series import Floats, Ints, coverage, seasonal_naive, wape
from device.analytics.synthetic import synthetic_branch

HELD_OUT_H = 30 * 24


def plain_mape(actual: Ints, predicted: Floats) -> float:
    visited = actual > 0
    return 100.0 * float(np.mean(np.abs(actual[visited] - predicted[visited]) / actual[visited]))


def run_seed(seed: int) -> dict[str, float]:
    branch = synthetic_branch(date(2026, 1, 1), 365, seed=seed)
    train, test = branch.history.split(HELD_OUT_H)
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    forecast = fit_forecast(train, branch.holidays, HELD_OUT_H)
    fit_s, fit_cpu_s = time.perf_counter() - started_wall, time.process_time() - started_cpu
    baseline = seasonal_naive(train, HELD_OUT_H)
    # Open in the forecast or in fact: an hour forecast closed that had visits is a miss, not left out.
    open_hours = (forecast.mean > 0) | (test.counts > 0)
    return {
        "fit_s": fit_s,
        "fit_cpu_s": fit_cpu_s,
        "mape": wape(test.counts, forecast.mean),
        "baseline_mape": wape(test.counts, baseline),
        "mape_open_hours": plain_mape(test.counts, forecast.mean),
        "baseline_mape_open_hours": plain_mape(test.counts, baseline),
        "coverage80": coverage(test.counts, forecast.low80, forecast.high80, open_hours),
        "coverage80_all_hours": coverage(test.counts, forecast.low80, forecast.high80),
        "open_hours": float(open_hours.sum()),
        "history_h": float(len(train.counts)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=5, help="synthetic years to backtest (default 5)")
    parser.add_argument("--json", action="store_true", help="end with one JSON object")
    args = parser.parse_args()
    if hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) > 1:
        print("note: not pinned to one core; run under `taskset -c 1` for the one-core figure", flush=True)
    fit_forecast(synthetic_branch(date(2026, 1, 1), 21).history)  # warm-up: imports and caches
    results = [run_seed(seed) for seed in range(args.seeds)]
    print(
        f"{'seed':>4} {'fit+forecast s':>14} {'WAPE %':>7} {'naive WAPE %':>12} {'MAPE open %':>11} "
        f"{'naive MAPE open %':>17} {'80% cover (open) %':>18} {'(all hours) %':>13}"
    )
    for seed, r in enumerate(results):
        print(
            f"{seed:>4} {r['fit_s']:>14.2f} {r['mape']:>7.1f} {r['baseline_mape']:>12.1f} "
            f"{r['mape_open_hours']:>11.1f} {r['baseline_mape_open_hours']:>17.1f} {r['coverage80']:>18.1f} "
            f"{r['coverage80_all_hours']:>13.1f}"
        )
    summary = {key: statistics.fmean(r[key] for r in results) for key in results[0]}
    summary["fit_s_max"] = max(r["fit_s"] for r in results)
    print(
        f"{'mean':>4} {summary['fit_s']:>14.2f} {summary['mape']:>7.1f} {summary['baseline_mape']:>12.1f} "
        f"{summary['mape_open_hours']:>11.1f} {summary['baseline_mape_open_hours']:>17.1f} "
        f"{summary['coverage80']:>18.1f} {summary['coverage80_all_hours']:>13.1f}"
    )
    beats = summary["mape"] < summary["baseline_mape"]
    covers = 75 <= summary["coverage80"] <= 85
    fast = summary["fit_s_max"] <= 10
    print(
        f"targets: WAPE below seasonal-naive: {'yes' if beats else 'NO'}; "
        f"80 % coverage in 75-85 %: {'yes' if covers else 'NO'}; "
        f"fit + forecast <= 10 s: {'yes' if fast else 'NO'}"
    )
    if args.json:
        print(json.dumps({"seeds": args.seeds, "held_out_h": HELD_OUT_H, "mape_is": "WAPE", **summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
