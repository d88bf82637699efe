"""A real reference central service on a free loopback port, over a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.central_sim import CentralSim
from tests.sync.helpers import SECRETS, Device


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[CentralSim]:
    with CentralSim(tmp_path / "central.db", secrets=SECRETS) as running:
        yield running


@pytest.fixture
def device(sim: CentralSim) -> Iterator[Device]:
    client = Device(sim.base_url)
    yield client
    client.http.close()
