"""The daemon's staffing planner reads the floor's stored counter stays from the kiosk's own database,
and without a central service queues nothing."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from common.faults import Faults
from device.analytics.series import HourlyHistory
from device.config import Config
from device.floor.bins_store import FloorBinStore
from device.mqtt.config import MqttConfig
from device.mqtt.link import MqttLink
from device.mqtt.topics import Topics
from device.runtime.staffing import staffing_planner
from device.state.store import Store
from tests.device.floor.plan import BRANCH
from tests.device.staffing.test_plan import stays_bin
from tests.device.staffing.test_service import fixed_forecast
from tests.keys import CIPHER


def test_the_daemons_planner_learns_service_times_from_its_own_floor_bins(tmp_path: Path) -> None:
    config = Config.model_validate(
        {"branch": {"id": "0427"}, "storage": {"state_dir": tmp_path}, "floor": BRANCH.model_dump()}
    )
    floor = FloorBinStore(config.storage.database)
    recent = time.time() // 900 * 900 - 86_400
    floor.save([stays_bin(recent - 900 * i, "counter 1", [150.0, 450.0]) for i in range(20)])
    floor.close()
    store = Store(config.storage.database, CIPHER)
    link = MqttLink(MqttConfig(), Topics("branchdoor", "0427", "door-1"), client_id="door-1")  # not started
    planner = staffing_planner(config, store, link, Faults())
    history = HourlyHistory(np.arange(0, 3600 * 24 * 15, 3600, dtype=np.float64), np.zeros(360, np.int64))
    plan = planner.plan(fixed_forecast(history, (), 24, threading.Event()), 3600)
    service = plan.hours[9].service
    assert (service.source, service.stays, round(service.mean_s), round(service.cv, 2)) == (
        "overall",
        40,
        300,
        0.5,
    )
    assert store.outbox.next_batch("aggregate", 10) is None  # no [central]: nothing would ever take them
    store.close()
