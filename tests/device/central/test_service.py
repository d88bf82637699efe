"""The device in step with a real reference central service: gallery down, outbox up, faults survived."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.faults import Faults as DeviceFaults  # the simulator has Faults of its own
from device.central.service import CentralSync
from device.domain import CheckIn, Profile
from device.state.outbox import Batch, BudgetReport, Kind, Outbox
from device.state.store import Store
from sync.central_sim import CentralSim
from sync.central_sim.faults import Faults
from sync.client import CentralClient, CentralError
from tests.keys import CIPHER
from tests.sync.helpers import SECRET, SECRETS, customer
from tests.waiting import eventually


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[CentralSim]:
    with CentralSim(tmp_path / "central.db", secrets=SECRETS) as running:
        yield running


def device(sim: CentralSim, store: Store, skew_s: float = 0.0, batch_size: int = 500) -> CentralSync:
    client = CentralClient(sim.base_url, "door-1", SECRET, clock=lambda: time.time() + skew_s)
    return CentralSync(store, client, interval_s=1.0, batch_size=batch_size)


def fault(sim: CentralSim, mode: str) -> None:
    sim.app.state.faults.set(Faults.model_validate({"mode": mode}))


def checkin(visit: str, ref: str = "CUST-1") -> CheckIn:
    return CheckIn(visit, ref, "b1", "door-1", 1_800_000_000.0, "high", Profile(ref, "Ada"))


def test_customers_enrolled_centrally_reach_the_device(sim: CentralSim, tmp_path: Path) -> None:
    for i in range(5):
        sim.db.enroll(customer(f"CUST-{i}", f"Name{i}"))
    store = Store(tmp_path / "d.db", CIPHER)
    report = device(sim, store, batch_size=2).sync_once()
    assert report.pages == 3 and report.upserts == 5
    refs, _ = store.gallery_rows()
    assert sorted(set(refs)) == [f"CUST-{i}" for i in range(5)]
    profile = store.profile("CUST-3")
    assert profile is not None and profile.greeting_name == "Name3"


def test_a_withdrawal_removes_the_customer_and_is_acknowledged(sim: CentralSim, tmp_path: Path) -> None:
    sim.db.enroll(customer("CUST-1"))
    store = Store(tmp_path / "d.db", CIPHER)
    sync = device(sim, store)
    sync.sync_once()
    store.checkins.record(checkin("v-before"))
    sim.db.withdraw("CUST-1")
    report = sync.sync_once()
    assert report.deletions == 1
    assert store.customer_count() == 0 and store.checkins.all() == []
    assert sim.db.deletion_acks() == {"CUST-1": ["door-1"]}
    # The check-in recorded before the withdrawal carried their reference: it never leaves the device.
    assert sim.db.records("checkins") == {}


def test_check_ins_arrive_exactly_once_through_an_outage(sim: CentralSim, tmp_path: Path) -> None:
    store = Store(tmp_path / "d.db", CIPHER)
    sync = device(sim, store, batch_size=3)
    for i in range(7):
        store.checkins.record(checkin(f"v{i}"))
    fault(sim, "down")
    with pytest.raises(CentralError):
        sync.sync_once()
    assert sum(store.outbox.depth().values()) == 7  # nothing lost while the service is down
    fault(sim, "ok")
    sync.sync_once()
    assert sim.db.records("checkins") == {f"v{i}": 1 for i in range(7)}
    assert store.outbox.depth() == {}


def test_a_batch_lost_on_the_way_back_is_not_duplicated(sim: CentralSim, tmp_path: Path) -> None:
    store = Store(tmp_path / "d.db", CIPHER)
    for i in range(3):
        store.checkins.record(checkin(f"v{i}"))
    batch = store.outbox.next_batch("checkin", 10)
    assert batch is not None
    # The first attempt reached the server, but the device died before recording the answer.
    client = CentralClient(sim.base_url, "door-1", SECRET)
    client.upload("checkin", batch.key, batch.records)
    device(sim, store).sync_once()
    assert sim.db.records("checkins") == {"v0": 1, "v1": 1, "v2": 1}


def test_410_gone_wipes_and_rebuilds_the_gallery(sim: CentralSim, tmp_path: Path) -> None:
    sim.db.enroll(customer("CUST-1"))
    store = Store(tmp_path / "d.db", CIPHER)
    sync = device(sim, store)
    sync.sync_once()
    sim.db.enroll(customer("CUST-2"))
    sim.db.expire_cursors()  # what the `gone` fault does: every cursor handed out is now too old
    report = sync.sync_once()
    assert report.resynced
    refs, _ = store.gallery_rows()
    assert sorted(set(refs)) == ["CUST-1", "CUST-2"]


def test_a_malformed_item_is_refused_reported_and_the_rest_applied(sim: CentralSim, tmp_path: Path) -> None:
    for i in range(3):
        sim.db.enroll(customer(f"CUST-{i}"))
    store = Store(tmp_path / "d.db", CIPHER)
    fault(sim, "malformed")
    report = device(sim, store).sync_once()
    assert report.refused == 1
    refs, _ = store.gallery_rows()
    assert len(set(refs)) == report.upserts >= 2
    audits = sim.db.records("audit")
    assert len(audits) == 1


def test_consent_not_covering_branch_devices_is_refused(sim: CentralSim, tmp_path: Path) -> None:
    sim.db.enroll(customer("CUST-1", scope=("mobile-app",)))
    sim.db.enroll(customer("CUST-2"))
    store = Store(tmp_path / "d.db", CIPHER)
    report = device(sim, store).sync_once()
    assert report.refused == 1 and store.profile("CUST-1") is None and store.profile("CUST-2") is not None


def test_a_device_clock_hours_off_still_syncs(sim: CentralSim, tmp_path: Path) -> None:
    sim.db.enroll(customer("CUST-1"))
    store = Store(tmp_path / "d.db", CIPHER)
    store.checkins.record(checkin("v1"))
    device(sim, store, skew_s=-6 * 3600).sync_once()
    assert store.customer_count() == 1 and sim.db.records("checkins") == {"v1": 1}


def test_a_batch_the_service_keeps_refusing_is_set_aside_not_lost(sim: CentralSim, tmp_path: Path) -> None:
    store = Store(tmp_path / "d.db", CIPHER)
    with store._transaction():  # a record the contract does not allow (an extra field)
        store.outbox.enqueue("checkin", "bad-1", {"customer_ref": "C", "branch_id": "b", "x": 1}, now=1.0)
    store.checkins.record(checkin("good-1"))
    sync = device(sim, store, batch_size=1)
    for _ in range(2):
        with pytest.raises(CentralError) as refused:
            sync.sync_once()
        assert refused.value.status == 422
    report = sync.sync_once()  # the third refusal sets it aside; the records behind it go through
    assert report.drained is not None and report.drained.quarantined == 1
    assert sim.db.records("checkins") == {"good-1": 1}
    assert store.outbox.depth() == {"quarantined:checkin": 1}


class DamagedOutbox(Outbox):
    """The store's real outbox, answering as SQLite does over a damaged page while `damaged` names the
    call: there is no way to damage a real file's pages and then mend them under an open connection."""

    def __init__(self, store: Store, damaged: str) -> None:
        super().__init__(store.shared)
        self.damaged = damaged

    def _read(self, call: str) -> None:
        if call == self.damaged:
            raise sqlite3.DatabaseError("database disk image is malformed")

    def enforce_budget(self, budget_bytes: int) -> BudgetReport:
        self._read("check_budget")
        return super().enforce_budget(budget_bytes)

    def next_batch(self, kind: Kind, limit: int) -> Batch | None:
        self._read("drain")
        return super().next_batch(kind, limit)


@pytest.mark.parametrize("damaged", ["check_budget", "drain"])
def test_a_damaged_database_degrades_the_sync_thread_which_lives_on_and_recovers(
    sim: CentralSim, tmp_path: Path, damaged: str
) -> None:
    store = Store(tmp_path / "d.db", CIPHER)
    store.checkins.record(checkin("v1"))
    outbox = store.outbox = DamagedOutbox(store, damaged)
    faults, stop = DeviceFaults(), threading.Event()
    client = CentralClient(sim.base_url, "door-1", SECRET)
    sync = CentralSync(store, client, interval_s=0.2, faults=faults)
    thread = threading.Thread(target=sync.run, args=(stop,), name="central-sync")
    thread.start()
    try:
        assert eventually(lambda: faults.current() != [])
        assert [str(f) for f in faults.current()] == [
            "central: cannot sync (database disk image is malformed)"
        ]
        assert thread.is_alive() and sim.db.records("checkins") == {}
        outbox.damaged = ""  # mended (restored from a backup, say)
        assert eventually(lambda: sim.db.records("checkins") == {"v1": 1}, 30)
        assert eventually(lambda: faults.current() == [])
        assert thread.is_alive() and sync.errors >= 1
    finally:
        stop.set()
        thread.join(5)
        store.close()
