"""The branch broker (one per test module: Mosquitto takes a while to start on a loaded machine) and
the dashboard server the browser tests open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from device.dashboard.server import DashboardServer
from device.demo.broker import MosquittoBroker
from tests.device.dashboard.screen import dashboard_for, teller_broker


@pytest.fixture(scope="module")
def ws_broker() -> Iterator[MosquittoBroker]:
    with teller_broker() as broker:
        yield broker


@pytest.fixture
def dashboard(ws_broker: MosquittoBroker) -> Iterator[DashboardServer]:
    with dashboard_for(ws_broker) as server:
        yield server
