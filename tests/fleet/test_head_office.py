"""docs/HEAD_OFFICE.md's example query, run as written against a real central service holding two
branches' uploads, each made by the kiosk's own forecast, staffing plan and sync client."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from device.analytics.config import AnalyticsConfig
from device.analytics.data import AnalyticsData
from device.analytics.series import Forecast, HourlyHistory
from device.analytics.service import ForecastService
from device.central.service import CentralSync
from device.staffing.config import StaffingConfig
from device.staffing.plan import StaffingPlan
from device.staffing.service import StaffingPlanner
from device.state.store import Store
from sync.central_sim import CentralSim
from sync.client import CentralClient
from tests.conftest import REPO
from tests.device.analytics.test_service import store_with_history
from tests.sync.helpers import SECRETS

SETTINGS = AnalyticsConfig(horizon_days=1, refit_interval_h=24)
STAFFING = StaffingConfig(max_counters=3)
QUIET = [0.0] * 9 + [8.0] * 8 + [0.0] * 7
BUSY = [0.0] * 9 + [30.0] * 4 + [120.0] + [30.0] * 3 + [0.0] * 7  # noon beyond 3 counters


def the_documented_query() -> Callable[[str, pd.DataFrame], pd.DataFrame]:
    text = (REPO / "docs/HEAD_OFFICE.md").read_text()
    [code] = re.findall(r"```python\n(.*?)```", text, re.S)
    scope: dict[str, Any] = {}
    exec(compile(code, "docs/HEAD_OFFICE.md", "exec"), scope)  # noqa: S102 - the doc's own example
    query: Callable[[str, pd.DataFrame], pd.DataFrame] = scope["compare_branches"]
    return query


def forecasting(arrivals: list[float], issued_at: float) -> Callable[..., Forecast]:
    def fit(history: HourlyHistory, _h: tuple[date, ...], horizon_h: int, _s: threading.Event) -> Forecast:
        last = float(history.starts[-1])
        starts = np.arange(last + 3600, last + 3600 * (horizon_h + 1), 3600, dtype=np.float64)
        mean = np.array(arrivals, dtype=np.float64)
        low, high = np.floor(mean * 0.8).astype(np.int64), np.ceil(mean * 1.2).astype(np.int64)
        return Forecast(starts, mean, low, high, issued_at, history.days, None, 0.0)

    return fit


def refit(store: Store, branch: str, arrivals: list[float], issued_at: float) -> StaffingPlan:
    data = AnalyticsData.of(store)
    planner = StaffingPlanner(
        STAFFING, branch, 240.0, {}, 56, lambda _s, _u: [], lambda _m, _e: None,
        lambda records: data.queue_aggregates(records, time.time()),
    )  # fmt: skip
    ForecastService(
        SETTINGS, store, branch, lambda _m, _e: None, fit=forecasting(arrivals, issued_at),
        refitted=planner.forecast_refitted,
    ).refit_once()  # fmt: skip
    assert planner.last_plan is not None
    return planner.last_plan


def upload(store: Store, sim: CentralSim, device_id: str) -> None:
    client = CentralClient(sim.base_url, device_id, SECRETS[device_id])
    report = CentralSync(store, client, interval_s=1.0).sync_once()
    assert report.drained is not None and report.drained.error is None


def test_head_offices_example_compares_two_branches_from_their_uploads(tmp_path: Path) -> None:
    quiet_store = store_with_history(tmp_path / "0427.db", days=21)
    busy_store = store_with_history(tmp_path / "0815.db", days=21)
    now = time.time()
    # 0815 refitted twice: yesterday's quiet forecast is replaced by today's busy one.
    refit(busy_store, "0815", QUIET, now - 86_400)
    busy = refit(busy_store, "0815", BUSY, now)
    quiet = refit(quiet_store, "0427", QUIET, now)
    with CentralSim(tmp_path / "central.db", secrets=SECRETS) as sim:
        upload(quiet_store, sim, "door-1")
        upload(busy_store, sim, "door-2")
        assert len(sim.db.records("aggregates")) == 2 * 24 * 3
    quiet_store.close()
    busy_store.close()

    register = pd.DataFrame({"device_id": ["door-1", "door-2"], "branch_id": ["0427", "0815"]})
    table = the_documented_query()(str(tmp_path / "central.db"), register)

    assert list(table.index) == ["0815", "0427"]  # the busy branch works its counters harder
    assert table.loc["0815", "visits"] == sum(BUSY) and table.loc["0427", "visits"] == sum(QUIET)
    for branch, plan in (("0815", busy), ("0427", quiet)):
        assert table.loc[branch, "counter_hours"] == sum(hour.counters for hour in plan.hours)
        assert table.loc[branch, "peak_counters"] == max(hour.counters for hour in plan.hours)
        assert table.loc[branch, "short_hours"] == len(plan.short_hours)
        bounded = [h.mean_wait_s for h in plan.hours if h.counters and h.meets_target]
        assert table.loc[branch, "mean_wait_s"] == pytest.approx(np.mean(bounded), abs=0.1)
    assert table.loc["0815", "short_hours"] == 1 and table.loc["0427", "short_hours"] == 0
