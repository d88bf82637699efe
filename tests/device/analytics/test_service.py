"""The daemon's forecast: fitted in a real child process, published retained on a real Mosquitto, and
uploaded to a real reference central service as aggregates."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from common.faults import Faults
from device.analytics.config import AnalyticsConfig
from device.analytics.data import AnalyticsData
from device.analytics.series import Forecast, HourlyHistory
from device.analytics.service import FitError, ForecastService, fit_in_child
from device.analytics.synthetic import synthetic_branch
from device.central.service import CentralSync
from device.demo.broker import MosquittoBroker
from device.mqtt.config import MqttConfig
from device.mqtt.link import MqttLink
from device.mqtt.topics import Topics
from device.state.store import Store
from sync.central_sim import CentralSim
from sync.client import CentralClient
from tests.contract_check import assert_in_contract
from tests.keys import CIPHER
from tests.mqtt_helpers import Subscriber
from tests.sync.helpers import SECRET, SECRETS
from tests.waiting import PATIENCE_S, eventually

SETTINGS = AnalyticsConfig(horizon_days=2, refit_interval_h=24)


def store_with_history(path: Path, days: int) -> Store:
    store = Store(path, CIPHER)
    branch = synthetic_branch(date.today() - timedelta(days=days), days, seed=5)
    AnalyticsData.of(store).import_unidentified_counts(
        (float(start), int(visits))
        for start, visits in zip(branch.history.starts, branch.history.counts, strict=True)
    )
    return store


@pytest.mark.subprocess
def test_a_refit_is_published_retained_and_uploaded_as_aggregates(
    broker: MosquittoBroker, tmp_path: Path
) -> None:
    branch = f"fc-{uuid.uuid4().hex[:8]}"
    store = store_with_history(tmp_path / "kiosk.db", days=35)
    link = MqttLink(MqttConfig(port=broker.port), Topics("branchdoor", branch, "door-1"), client_id=branch)
    link.start()
    try:
        assert link.wait_connected(PATIENCE_S)
        forecast = ForecastService(SETTINGS, store, branch, link.publish_forecast).refit_once()
        assert forecast is not None and len(forecast.starts) == 48
    finally:
        link.stop()
    # A planning screen that connects later still gets today's forecast at once: it is retained.
    screen = Subscriber(broker.port, f"branchdoor/{branch}/forecast")
    try:
        assert screen.wait_for(lambda: len(screen.on("/forecast")) == 1)
        [received] = screen.on("/forecast")
    finally:
        screen.close()
    assert received.retain and received.qos == 1
    assert assert_in_contract(received) == "forecast"
    assert received.expiry is not None and 47 * 3600 < received.expiry <= 48 * 3600
    message = json.loads(received.payload)
    assert message["schema"] == "branchdoor/forecast/1" and message["branch_id"] == branch
    assert len(message["hours"]) == 48
    assert all(h["low80"] <= h["visits"] <= h["high80"] for h in message["hours"])
    first = datetime.fromisoformat(message["hours"][0]["start"]).timestamp()
    assert first == forecast.starts[0] and first > time.time() - 3600

    with CentralSim(tmp_path / "central.db", secrets=SECRETS) as sim:
        client = CentralClient(sim.base_url, "door-1", SECRET)
        report = CentralSync(store, client, interval_s=1.0).sync_once()
        assert report.drained is not None and report.drained.error is None
        assert len(sim.db.records("aggregates")) == 48
    store.close()


def test_too_little_history_waits_without_publishing(tmp_path: Path) -> None:
    published: list[object] = []
    store = store_with_history(tmp_path / "kiosk.db", days=5)
    service = ForecastService(SETTINGS, store, "b1", lambda message, _expiry: published.append(message))
    assert service.refit_once() is None
    assert published == [] and store.outbox.next_batch("aggregate", 10) is None


@pytest.mark.subprocess
def test_stopping_ends_a_fit_in_progress(tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    history = synthetic_branch(date(2026, 9, 1), 20).history
    started = time.monotonic()
    assert fit_in_child(history, (), 24, stop) is None
    assert time.monotonic() - started < 2.0


@pytest.mark.subprocess
def test_a_failing_fit_is_reported_from_the_child(tmp_path: Path) -> None:
    short = synthetic_branch(date(2026, 9, 1), 20).history
    broken = HourlyHistory(short.starts[:100], short.counts[:100])  # 4 days: the model refuses it
    with pytest.raises(FitError, match="NotEnoughHistory"):
        fit_in_child(broken, (), 24, threading.Event())


def test_the_service_thread_refits_on_its_schedule(tmp_path: Path) -> None:
    fitted = threading.Event()
    store = store_with_history(tmp_path / "kiosk.db", days=20)

    def fit(
        history: HourlyHistory, holidays: tuple[date, ...], horizon_h: int, stop: threading.Event
    ) -> Forecast:
        from device.analytics.forecast import fit_forecast

        fitted.set()
        return fit_forecast(history, holidays, horizon_h)

    service = ForecastService(SETTINGS, store, "b1", lambda _m, _e: None, first_after_s=0.05, fit=fit)
    service.start()
    try:
        assert fitted.wait(PATIENCE_S)
        assert eventually(lambda: service.last_forecast is not None)
        assert service.failures == 0
    finally:
        service.stop()
        store.close()


def test_a_failed_refit_is_a_fault_tried_again_soon_not_a_day_later(tmp_path: Path) -> None:
    store = store_with_history(tmp_path / "kiosk.db", days=20)
    attempts: list[float] = []

    def fit(
        history: HourlyHistory, holidays: tuple[date, ...], horizon_h: int, stop: threading.Event
    ) -> Forecast:
        from device.analytics.forecast import fit_forecast

        attempts.append(time.monotonic())
        if len(attempts) == 1:  # what fit_in_child raises when the kernel kills the child for memory
            raise FitError("the forecast process ended (exit code -9)")
        return fit_forecast(history, holidays, horizon_h)

    faults = Faults()
    service = ForecastService(
        SETTINGS,
        store,
        "b1",
        lambda _m, _e: None,
        first_after_s=0.05,
        fit=fit,
        faults=faults,
        retry_after_s=0.5,
    )
    service.start()
    try:
        assert eventually(lambda: faults.current() != [])
        assert [str(f) for f in faults.current()] == ["forecast: cannot refit (FitError, see the log)"]
        assert eventually(lambda: service.last_forecast is not None, 30)  # SETTINGS refit daily
        assert faults.current() == [] and service.failures == 1 and len(attempts) == 2
    finally:
        service.stop()
        store.close()


@pytest.mark.subprocess
def test_a_kiosk_without_a_central_service_publishes_the_forecast_but_queues_nothing(tmp_path: Path) -> None:
    published: list[object] = []
    store = store_with_history(tmp_path / "kiosk.db", days=35)
    service = ForecastService(SETTINGS, store, "b1", lambda m, _e: published.append(m), upload=False)
    assert service.refit_once() is not None
    assert len(published) == 1 and store.outbox.next_batch("aggregate", 10) is None
    store.close()


@pytest.mark.subprocess
def test_the_configured_school_holidays_reach_the_fit_in_its_child_process(tmp_path: Path) -> None:
    store = store_with_history(tmp_path / "kiosk.db", days=20)
    tomorrow = date.today() + timedelta(days=1)
    # A week of school holidays ahead and none in the history: the child's forecast says so.
    settings = AnalyticsConfig(
        horizon_days=7, refit_interval_h=24, school_holidays=[(tomorrow, tomorrow + timedelta(days=6))]
    )
    service = ForecastService(settings, store, "b1", lambda _m, _e: None, upload=False)
    try:
        forecast = service.refit_once()
        assert forecast is not None and forecast.unsure_reason is not None
        assert "school holidays" in forecast.unsure_reason
    finally:
        store.close()
