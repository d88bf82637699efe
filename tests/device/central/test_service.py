"""The device in step with a real reference central service: gallery down, outbox up, faults survived."""

from __future__ import annotations

import random
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


def fault(sim: CentralSim, mode: str, scope: str = "all") -> None:
    sim.app.state.faults.set(Faults.model_validate({"mode": mode, "scope": scope}))


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


def test_exactly_the_record_the_service_names_as_malformed_is_set_aside_and_the_rest_go(
    sim: CentralSim, tmp_path: Path
) -> None:
    store = Store(tmp_path / "d.db", CIPHER)
    store.checkins.record(checkin("good-1"))
    with store._transaction():  # a record the contract does not allow (an extra field)
        store.outbox.enqueue("checkin", "bad-1", {"customer_ref": "C", "branch_id": "b", "x": 1}, now=1.0)
    store.checkins.record(checkin("good-2"))
    report = device(sim, store).sync_once()  # at the first refusal: the service named the record
    assert report.drained is not None and report.drained.quarantined == 1
    assert sim.db.records("checkins") == {"good-1": 1, "good-2": 1}
    assert store.outbox.depth() == {} and store.outbox.quarantined() == {"checkin": 1}
    [checkins] = [kind for kind in store.outbox.report(now=2.0) if kind.kind == "checkin"]
    assert checkins.set_aside == {
        "at: Field required; score_band: Field required; x: Extra inputs are not permitted": 1
    }
    # Set aside, not lost: an engineer puts it back, and the service is asked again.
    assert store.outbox.requeue("checkin") == 1 and store.outbox.depth() == {"checkin": 1}
    assert device(sim, store).sync_once().drained.quarantined == 1  # type: ignore[union-attr]


def test_a_refusal_that_names_no_record_sets_nothing_aside(sim: CentralSim, tmp_path: Path) -> None:
    store = Store(tmp_path / "d.db", CIPHER)
    with store._transaction():  # a record_id the service cannot name back: not text
        store.outbox.enqueue("checkin", "odd-1", {"record_id": 7, "customer_ref": "C"}, now=1.0)
    store.checkins.record(checkin("good-1"))
    sync = device(sim, store)
    for _ in range(5):
        with pytest.raises(CentralError) as refused:
            sync.sync_once()
        assert refused.value.status == 422
    assert store.outbox.quarantined() == {} and store.outbox.depth() == {"checkin": 2}
    [checkins] = [kind for kind in store.outbox.report(now=2.0) if kind.kind == "checkin"]
    assert checkins.in_flight == 2 and checkins.attempts == 5


# What a proxy, a secret being rotated, a throttling or failing service answer: nothing about the records.
REFUSALS = ["redirect", "unauthorized", "forbidden", "throttled", "error", "not_json"]


@pytest.mark.parametrize("mode", REFUSALS)
def test_records_refused_for_no_fault_of_their_own_all_arrive_once_after_a_restart(
    sim: CentralSim, tmp_path: Path, mode: str
) -> None:
    """Issue #14: a batch refused three times was set aside for ever. The refusal here outlasts many
    drain attempts and a restart of the device on the same database; every record must still arrive."""
    path = tmp_path / "d.db"
    store = Store(path, CIPHER)
    for i in range(10):
        store.checkins.record(checkin(f"v{i}"))
    fault(sim, mode, scope="uploads")  # the gallery answers; only the uploads are refused
    sync = device(sim, store, batch_size=4)
    for _ in range(5):
        with pytest.raises(CentralError):
            sync.sync_once()
    store.close()
    store = Store(path, CIPHER)  # the daemon restarted, the fault still on
    sync = device(sim, store, batch_size=4)
    for _ in range(2):
        with pytest.raises(CentralError):
            sync.sync_once()
    assert sim.db.records("checkins") == {}
    fault(sim, "ok")
    sync.sync_once()
    assert sim.db.records("checkins") == {f"v{i}": 1 for i in range(10)}
    assert store.outbox.depth() == {}


def test_a_refusal_raises_the_alarm_once_and_it_clears_once(
    sim: CentralSim, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(tmp_path / "d.db", CIPHER)
    store.checkins.record(checkin("v1"))
    sync = device(sim, store)
    fault(sim, "unauthorized", scope="uploads")
    for _ in range(4):
        with pytest.raises(CentralError):
            sync.sync_once()
    alarms = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ALARM")]
    assert alarms == [
        "ALARM: the central service refuses uploads (401 Unauthorized): every record stays queued and is "
        "retried with backoff, none is set aside; this clears by itself once the service accepts them"
    ]
    assert sync.alarm.since is not None and sync.alarm.failures == {"401": 4}
    fault(sim, "redirect", scope="uploads")  # a change of refusal is news, once
    for _ in range(2):
        with pytest.raises(CentralError):
            sync.sync_once()
    assert caplog.text.count("central uploads still failing, now with 302 Found") == 1
    fault(sim, "ok")
    sync.sync_once()
    sync.sync_once()
    cleared = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ALARM cleared")]
    assert len(cleared) == 1 and "after 6 failed attempt(s)" in cleared[0]
    assert sync.alarm.since is None and sim.db.records("checkins") == {"v1": 1}


def test_a_refusal_echoing_the_records_leaves_no_customer_ref_in_logs_or_database(
    sim: CentralSim, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The service echoes what it refused (FastAPI quotes each invalid record whole); journald cannot
    forget a customer who withdraws, so no ref may reach it, nor the device's stored errors."""
    store = Store(tmp_path / "d.db", CIPHER)
    with store._transaction():  # a record_id the service cannot name back, so it quotes the record
        store.outbox.enqueue("checkin", "odd-1", {"record_id": 7, "customer_ref": "CUST-ECHO"}, now=1.0)
    with pytest.raises(CentralError) as refused:
        device(sim, store).sync_once()
    assert refused.value.status == 422 and "<customer_ref>" in str(refused.value)
    assert "CUST-ECHO" not in str(refused.value) and "CUST-ECHO" not in caplog.text
    [checkins] = [kind for kind in store.outbox.report(now=2.0) if kind.kind == "checkin"]
    assert checkins.last_error is not None and "CUST-ECHO" not in checkins.last_error


def test_records_an_older_version_set_aside_reach_the_service_after_the_update(
    sim: CentralSim, tmp_path: Path
) -> None:
    path = tmp_path / "d.db"
    store = Store(path, CIPHER)
    for i in range(5):
        store.checkins.record(checkin(f"v{i}"))
    with store._transaction():  # what versions before issue #14 did after three 302s
        store._db.execute(
            "UPDATE outbox SET kind = 'quarantined:' || kind, batch_key = NULL, last_error = '302: <html>' "
            "WHERE record_id IN ('v1', 'v2')"
        )
    store.close()
    store = Store(path, CIPHER)  # the updated daemon starts
    device(sim, store).sync_once()
    assert sim.db.records("checkins") == {f"v{i}": 1 for i in range(5)}
    assert store.outbox.depth() == {} and store.outbox.quarantined() == {}


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
        assert sync.alarm.since is None  # the device's own database: not the service refusing
        outbox.damaged = ""  # mended (restored from a backup, say)
        assert eventually(lambda: sim.db.records("checkins") == {"v1": 1}, 30)
        assert eventually(lambda: faults.current() == [])
        assert thread.is_alive() and sync.errors >= 1
    finally:
        stop.set()
        thread.join(5)
        store.close()


def test_staff_enrolled_centrally_with_a_role_reach_the_device_as_staff(
    sim: CentralSim, tmp_path: Path
) -> None:
    sim.db.enroll(customer("CUST-1"))
    sim.db.enroll(customer("STAFF-1", "Sam").model_copy(update={"role": "staff"}))
    store = Store(tmp_path / "d.db", CIPHER)
    sync = device(sim, store)
    report = sync.sync_once()
    assert report.upserts == 2 and report.refused == 0
    assert store.roles.of("CUST-1") == "customer" and store.roles.of("STAFF-1") == "staff"
    sim.db.enroll(customer("STAFF-1", "Sam"))  # the bank's next upsert says no role: a customer again
    sync.sync_once()
    assert store.roles.staff() == frozenset()


def test_an_unknown_role_is_a_malformed_item_refused_reported_and_the_rest_applied(
    sim: CentralSim, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sim.db.enroll(customer("CUST-1"))
    sim.db.enroll(customer("STAFF-1", "Sam").model_copy(update={"role": "staff"}))
    store = Store(tmp_path / "d.db", CIPHER)
    sync = device(sim, store)
    sync.sync_once()
    # model_copy does not validate: this is what a bank's service with a role of its own would send.
    sim.db.enroll(customer("STAFF-1", "Sam").model_copy(update={"role": "manager"}))
    sim.db.enroll(customer("CUST-2"))
    audits_before = len(sim.db.records("audit"))
    with caplog.at_level("WARNING", logger="device.central.service"):
        report = sync.sync_once()
    assert report.refused == 1 and report.upserts == 1
    # As for every refused item, nothing older stays held for that reference.
    assert store.profile("STAFF-1") is None and store.profile("CUST-2") is not None
    assert "gallery item refused (in the audit trail): invalid item: upsert.role:" in caplog.text
    assert len(sim.db.records("audit")) > audits_before  # the refusal's audit record reached the service


def test_kiosks_started_together_drift_apart_instead_of_polling_in_step(
    sim: CentralSim, tmp_path: Path
) -> None:
    """A region's power cut restarts its kiosks in one second: with a fixed interval they would poll
    head office in step for good. Each cycle waits the interval give or take 10 %."""
    store = Store(tmp_path / "state.db", CIPHER)
    client = CentralClient(sim.base_url, "door-1", SECRET)
    kiosks = [CentralSync(store, client, interval_s=60.0, rng=random.Random(seed)) for seed in range(2)]
    waits = [[kiosk.next_interval_s() for _ in range(50)] for kiosk in kiosks]
    assert all(54.0 <= wait <= 66.0 for series in waits for wait in series)
    # After 50 cycles two kiosks that started together are seconds apart, not in step.
    assert abs(sum(waits[0]) - sum(waits[1])) > 5.0
    store.close()
