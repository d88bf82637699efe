"""A refit becomes a staffing plan: retained on the staffing topic, in the contract, uploaded beside the
forecast as staffing_counters aggregates the real central service accepts."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from common.faults import Faults
from device.analytics.config import AnalyticsConfig
from device.analytics.data import AnalyticsData
from device.analytics.series import Forecast, HourlyHistory
from device.analytics.service import ForecastService
from device.central.service import CentralSync
from device.demo.broker import MosquittoBroker
from device.floor.bins_store import FloorBinStore
from device.mqtt.config import MqttConfig
from device.mqtt.contract.models import StaffingPayload
from device.mqtt.link import MqttLink
from device.mqtt.topics import Topics
from device.runtime.staffing import staffing_publisher
from device.staffing.config import StaffingConfig
from device.staffing.service import StaffingPlanner
from device.state.store import Store
from sync.central_sim import CentralSim
from sync.client import CentralClient
from sync.models import AggregateRecord
from tests.contract_check import assert_in_contract
from tests.device.analytics.test_service import store_with_history
from tests.device.staffing.test_plan import KINDS, stays_bin
from tests.keys import CIPHER
from tests.mqtt_helpers import Subscriber
from tests.sync.helpers import SECRET, SECRETS
from tests.waiting import PATIENCE_S

SETTINGS = AnalyticsConfig(horizon_days=1, refit_interval_h=24)
STAFFING = StaffingConfig(target_wait_s=300, target_share=0.8, max_counters=4)
# The next 24 hours: closed at night, 30 an hour by day, one rush hour no branch of 4 counters can serve.
ARRIVALS = [0.0] * 8 + [30.0] * 3 + [400.0] + [30.0] * 6 + [0.0] * 6


def fixed_forecast(
    history: HourlyHistory, _holidays: tuple[date, ...], horizon_h: int, _stop: threading.Event
) -> Forecast:
    last = float(history.starts[-1])
    starts = np.arange(last + 3600, last + 3600 * (horizon_h + 1), 3600, dtype=np.float64)
    mean = np.array(ARRIVALS[:horizon_h], dtype=np.float64)
    low, high = np.floor(mean * 0.8).astype(np.int64), np.ceil(mean * 1.2).astype(np.int64)
    return Forecast(starts, mean, low, high, time.time(), history.days, None, 0.0)


def floor_with_service_stays(path: Path) -> FloorBinStore:
    """Forty services ended in the last days, 100 s and 300 s alike: mean 200 s, cv 0.5."""
    floor = FloorBinStore(path)
    recent = time.time() // 900 * 900 - 86_400
    floor.save([stays_bin(recent - 900 * i, "desk 1", [100.0, 300.0]) for i in range(20)])
    return floor


@pytest.mark.subprocess
def test_a_refit_publishes_the_plan_retained_and_uploads_it(broker: MosquittoBroker, tmp_path: Path) -> None:
    branch = f"st-{uuid.uuid4().hex[:8]}"
    store = store_with_history(tmp_path / "kiosk.db", days=21)
    floor = floor_with_service_stays(tmp_path / "kiosk.db")
    data = AnalyticsData.of(store)
    link = MqttLink(MqttConfig(port=broker.port), Topics("branchdoor", branch, "door-1"), client_id=branch)
    planner = StaffingPlanner(
        STAFFING, branch, 240.0, KINDS, 56, floor.zone_stays, staffing_publisher(link),
        lambda records: data.queue_aggregates(records, time.time()),
    )  # fmt: skip
    link.start()
    try:
        assert link.wait_connected(PATIENCE_S)
        forecaster = ForecastService(
            SETTINGS, store, branch, link.publish_forecast, fit=fixed_forecast,
            refitted=planner.forecast_refitted,
        )  # fmt: skip
        assert forecaster.refit_once() is not None
    finally:
        link.stop()
    plan = planner.last_plan
    assert plan is not None and len(plan.hours) == 24
    assert [hour.counters for hour in plan.hours[:8]] == [0] * 8  # forecast closed
    assert {hour.service.source for hour in plan.hours} == {"overall"}
    assert plan.hours[8].service.mean_s == pytest.approx(200) and plan.hours[8].service.cv == pytest.approx(
        0.5
    )
    assert [hour.start for hour in plan.short_hours] == [plan.hours[11].start]

    screen = Subscriber(broker.port, f"branchdoor/{branch}/staffing")
    try:
        assert screen.wait_for(lambda: len(screen.on("/staffing")) == 1)
        [received] = screen.on("/staffing")
    finally:
        screen.close()
    assert received.retain and received.qos == 1
    assert assert_in_contract(received) == "staffing"
    assert received.expiry is not None and 47 * 3600 < received.expiry <= 48 * 3600
    message = StaffingPayload.model_validate(json.loads(received.payload))
    assert message.short_hours == 1 and message.hours[11].expected_wait_s is None
    assert message.hours[11].counters == 4 and not message.hours[11].meets_target
    assert message.hours[9].service_source == "overall"

    with CentralSim(tmp_path / "central.db", secrets=SECRETS) as sim:
        client = CentralClient(sim.base_url, "door-1", SECRET)
        report = CentralSync(store, client, interval_s=1.0).sync_once()
        assert report.drained is not None and report.drained.error is None
        uploaded = sim.db.records("aggregates")
    assert len([r for r in uploaded if r.startswith("st-")]) == 24
    assert len([r for r in uploaded if r.startswith("fc-")]) == 24
    floor.close()
    store.close()


def test_a_plan_that_fails_is_a_fault_and_the_forecast_is_still_out(tmp_path: Path) -> None:
    store = store_with_history(tmp_path / "kiosk.db", days=21)
    published: list[str] = []

    def broken_history(_since: float, _until: float) -> list[object]:
        raise OSError("disk I/O error")

    faults = Faults()
    planner = StaffingPlanner(
        STAFFING, "b1", 240.0, KINDS, 56, broken_history,  # type: ignore[arg-type]
        lambda message, _e: published.append(message["schema"]), None, faults=faults,
    )  # fmt: skip
    forecaster = ForecastService(
        SETTINGS, store, "b1", lambda message, _e: published.append(message["schema"]), upload=False,
        fit=fixed_forecast, refitted=planner.forecast_refitted,
    )  # fmt: skip
    assert forecaster.refit_once() is not None
    assert published == ["branchdoor/forecast/1"]
    assert faults.failing("staffing", "plan from the forecast")
    assert planner.last_plan is None
    store.close()


def test_without_a_store_the_kiosk_uses_the_configured_service_time(tmp_path: Path) -> None:
    store = Store(tmp_path / "k.db", CIPHER)
    store.close()
    planner = StaffingPlanner(STAFFING, "b1", 240.0, {}, 56, lambda _s, _u: [], lambda _m, _e: None, None)
    history = HourlyHistory(np.arange(0, 3600 * 24 * 15, 3600, dtype=np.float64), np.zeros(360, np.int64))
    plan = planner.plan(fixed_forecast(history, (), 24, threading.Event()), 3600)
    assert {hour.service.source for hour in plan.hours} == {"configured"}
    assert {hour.service.cv for hour in plan.hours} == {1.0}


def test_the_central_contract_takes_staffing_hours_and_keeps_their_fields_to_them() -> None:
    base = {"record_id": "st-1", "bin_start": "2026-12-01T09:00:00Z", "bin_s": 3600, "value": 3}
    staffing = base | {
        "metric": "staffing_counters",
        "expected_wait_s": None,  # the line grows all hour
        "served_within_target": 0.0,
        "meets_target": False,
        "issued_at": "2026-11-30T06:00:00Z",
    }
    assert AggregateRecord.model_validate(staffing).meets_target is False
    with pytest.raises(ValidationError, match="staffing_counters needs"):
        AggregateRecord.model_validate(staffing | {"meets_target": None})
    with pytest.raises(ValidationError, match="belong to forecast_visits only"):
        AggregateRecord.model_validate(staffing | {"low80": 1, "high80": 4})
    with pytest.raises(ValidationError, match="belong to staffing only"):
        AggregateRecord.model_validate(base | {"metric": "door_in", "expected_wait_s": 30.0})
    with pytest.raises(ValidationError, match="less than or equal to 1"):
        AggregateRecord.model_validate(staffing | {"served_within_target": 1.5})
