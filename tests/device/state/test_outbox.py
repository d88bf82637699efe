"""The outbox: written with the event it carries, retried as the very same batch, gone once acknowledged."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from device.domain import CheckIn, Profile
from device.state.store import Store


def checkin(visit: str, ref: str = "C1", at: float = 100.0) -> CheckIn:
    return CheckIn(visit, ref, "b1", "door-1", at, "high", Profile(ref, "Ada"))


def test_a_check_in_and_its_outbox_record_are_stored_together(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.checkins.record(checkin("v1"))
    [record] = list(store.outbox.records())
    assert record == {
        "record_id": "v1",
        "customer_ref": "C1",
        "branch_id": "b1",
        "at": "1970-01-01T00:01:40+00:00",
        "score_band": "high",
    }
    # Neither half is stored without the other: a duplicate visit id rolls back both.
    with pytest.raises(sqlite3.IntegrityError):
        store.checkins.record(checkin("v1"))
    assert len(store.checkins.all()) == 1 and store.outbox.depth() == {"checkin": 1}


def test_a_batch_is_handed_out_again_with_the_same_key_until_acknowledged(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    for i in range(5):
        store.checkins.record(checkin(f"v{i}", at=100.0 + i))
    first = store.outbox.next_batch("checkin", limit=3)
    assert first is not None and [r["record_id"] for r in first.records] == ["v0", "v1", "v2"]
    store.outbox.failed(first, "503 Service Unavailable")
    retry = store.outbox.next_batch("checkin", limit=3)
    assert retry is not None and retry.key == first.key and retry.records == first.records
    assert retry.attempts == 1
    assert store.outbox.acknowledged(retry) == 3
    rest = store.outbox.next_batch("checkin", limit=3)
    assert rest is not None and rest.key != first.key
    assert [r["record_id"] for r in rest.records] == ["v3", "v4"]
    store.outbox.acknowledged(rest)
    assert store.outbox.next_batch("checkin", limit=3) is None
    assert store.outbox.depth() == {}


@pytest.mark.subprocess
def test_the_batch_in_flight_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = Store(path)
    store.checkins.record(checkin("v1"))
    taken = store.outbox.next_batch("checkin", limit=10)
    assert taken is not None
    # A new process (the daemon restarted after a crash) sees the same batch under the same key.
    code = (
        "import sys; from pathlib import Path; from device.state.store import Store; "
        f"b = Store(Path({str(path)!r})).outbox.next_batch('checkin', 10); print(b.key)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == taken.key


def test_forgetting_a_customer_removes_their_pending_records(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.checkins.record(checkin("v1", "C1"))
    store.checkins.record(checkin("v2", "C2"))
    store.forget("C1")
    assert [r["record_id"] for r in store.outbox.records()] == ["v2"]


def test_a_rekeyed_batch_gets_a_new_key(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.checkins.record(checkin("v1"))
    batch = store.outbox.next_batch("checkin", 10)
    assert batch is not None
    store.outbox.rekey(batch)
    again = store.outbox.next_batch("checkin", 10)
    assert again is not None and again.key != batch.key and again.records == batch.records


def test_depth_and_age_for_health(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    assert store.outbox.oldest_age_s(now=500.0) is None
    store.checkins.record(checkin("v1", at=100.0))
    assert store.outbox.depth() == {"checkin": 1}
    assert store.outbox.oldest_age_s(now=160.0) == 60.0


def test_over_budget_the_oldest_aggregates_go_and_check_ins_never(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    for i in range(20):
        store.checkins.record(checkin(f"v{i}"))
    with store._transaction():  # aggregates as the floor would queue them
        for i in range(30):
            store.outbox.enqueue("aggregate", f"agg-{i}", {"metric": "door_in", "value": i}, now=float(i))
    checkins_bytes = sum(len(json.dumps(r)) for r in store.outbox.records() if r["record_id"].startswith("v"))
    report = store.outbox.enforce_budget(budget_bytes=checkins_bytes + 300)
    assert report.aggregates_dropped > 0 and not report.over_budget
    remaining = [r["record_id"] for r in store.outbox.records()]
    assert [r for r in remaining if r.startswith("v")] == [f"v{i}" for i in range(20)]
    assert remaining[-1] == "agg-29"  # the newest aggregates stay
    # Below what the check-ins alone need, nothing more is dropped: the alarm is raised instead.
    alarm = store.outbox.enforce_budget(budget_bytes=10)
    assert alarm.over_budget and store.outbox.depth()["checkin"] == 20
    assert "aggregate" not in store.outbox.depth()
