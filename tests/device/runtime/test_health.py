"""What /healthz says of central sync: since when it fails and with which status (never the server's
words: health is published), and the records set aside, until an engineer acts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.central.service import CentralSync
from device.demo.broker import free_port
from device.domain import CheckIn, Profile
from device.runtime.observability import central_problems
from device.state.store import Store
from sync.central_sim import CentralSim
from sync.central_sim.faults import Faults
from sync.client import CentralClient, CentralError
from tests.keys import CIPHER
from tests.sync.helpers import SECRET, SECRETS


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[CentralSim]:
    with CentralSim(tmp_path / "central.db", secrets=SECRETS) as running:
        yield running


def sync_with(url: str, store: Store) -> CentralSync:
    return CentralSync(store, CentralClient(url, "door-1", SECRET, timeout_s=5), interval_s=1.0)


def problems(sync: CentralSync, store: Store) -> list[str]:
    return central_problems(sync, store.outbox.quarantined())


def test_refused_uploads_degrade_health_with_the_status_until_they_are_accepted(
    sim: CentralSim, tmp_path: Path
) -> None:
    store = Store(tmp_path / "d.db", CIPHER)
    store.checkins.record(CheckIn("v1", "CUST-1", "b1", "d", 1.8e9, "high", Profile("CUST-1", "A")))
    sync = sync_with(sim.base_url, store)
    sim.app.state.faults.set(Faults(mode="unauthorized", scope="uploads"))
    for _ in range(3):
        with pytest.raises(CentralError):
            sync.sync_once()
    started = time.strftime("%H:%M", time.localtime(sync.alarm.since))
    assert problems(sync, store) == [f"central: uploads refused since {started} (401 Unauthorized)"]
    sim.app.state.faults.set(Faults())
    sync.sync_once()
    assert problems(sync, store) == []


def test_an_unreachable_service_is_said_so(tmp_path: Path) -> None:
    store = Store(tmp_path / "d.db", CIPHER)
    sync = sync_with(f"http://127.0.0.1:{free_port()}", store)  # nothing listens there
    with pytest.raises(CentralError):
        sync.sync_once()
    [problem] = problems(sync, store)
    assert problem.startswith("central: unreachable since ")


def test_records_set_aside_keep_health_degraded_until_requeued(sim: CentralSim, tmp_path: Path) -> None:
    store = Store(tmp_path / "d.db", CIPHER)
    with store._transaction():  # a record the contract does not allow
        store.outbox.enqueue("checkin", "bad-1", {"customer_ref": "CUST-9", "score_band": "low"}, now=1.0)
    sync = sync_with(sim.base_url, store)
    sync.sync_once()
    assert sync.records_set_aside == 1
    expected = (
        "outbox: 1 record(s) refused by the central service as malformed, set aside (checkin 1): "
        "see `branchdoor outbox show`"
    )
    assert problems(sync, store) == [expected]
    sync.sync_once()
    assert problems(sync, store) == [expected]  # it does not clear by itself
    store.outbox.requeue()
    assert problems(sync, store) == []
