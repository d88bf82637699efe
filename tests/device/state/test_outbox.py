"""The outbox: written with the event it carries, retried as the very same batch, gone once acknowledged."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from device.domain import AuditRecord, CheckIn, Profile
from device.state.outbox import Kind
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


# The outbox table as versions before issue #14 created it, and how they set a batch aside.
OLDER_SCHEMA = """
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, record_id TEXT NOT NULL UNIQUE,
    customer_ref TEXT, payload TEXT NOT NULL, created_at REAL NOT NULL, batch_key TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT
);
"""


def test_records_an_older_version_set_aside_are_queued_again_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "s.db"
    older = sqlite3.connect(path)
    older.executescript(OLDER_SCHEMA)
    rows = [
        ("quarantined:checkin", "v1", "302: <html>Please sign in</html>"),
        ("quarantined:checkin", "v2", "302: <html>Please sign in</html>"),
        ("quarantined:audit", "a1", "401: bad signature"),
        ("checkin", "v3", None),
    ]
    for kind, record_id, error in rows:
        older.execute(
            "INSERT INTO outbox (kind, record_id, customer_ref, payload, created_at, attempts, last_error) "
            "VALUES (?, ?, 'C1', ?, 1.0, ?, ?)",
            [kind, record_id, json.dumps({"record_id": record_id}), 0 if error is None else 3, error],
        )
    older.commit()
    older.close()
    store = Store(path)
    assert store.outbox.depth() == {"checkin": 3, "audit": 1}
    assert store.outbox.quarantined() == {}
    assert "3 record(s) an older version had set aside are queued again" in caplog.text
    assert "302: 2, 401: 1" in caplog.text
    batch = store.outbox.next_batch("checkin", 10)
    assert batch is not None and [r["record_id"] for r in batch.records] == ["v1", "v2", "v3"]
    assert batch.attempts == 0  # a fresh start, not three strikes already
    store.close()
    caplog.clear()
    Store(path).close()  # released once: the next start has nothing to say
    assert "older version" not in caplog.text


def test_the_named_records_are_set_aside_and_the_rest_leave_under_a_new_key(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    for i in range(4):
        store.checkins.record(checkin(f"v{i}", ref=f"C{i}"))
    batch = store.outbox.next_batch("checkin", 10)
    assert batch is not None
    assert store.outbox.quarantine(batch, {"v1": "score_band: not allowed (C1)", "elsewhere": "?"}) == 1
    assert store.outbox.quarantined() == {"checkin": 1} and store.outbox.depth() == {"checkin": 3}
    rest = store.outbox.next_batch("checkin", 10)
    assert rest is not None and rest.key != batch.key
    assert [r["record_id"] for r in rest.records] == ["v0", "v2", "v3"]
    [report] = [kind for kind in store.outbox.report(now=200.0) if kind.kind == "checkin"]
    assert report.set_aside == {"score_band: not allowed (<customer_ref>)": 1}
    assert (report.queued, report.in_flight, report.oldest_age_s) == (3, 3, 100.0)


def test_requeue_puts_back_what_was_set_aside_of_one_kind_or_all(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.checkins.record(checkin("v1"))
    store.record_audit(AuditRecord(event="enrollment", customer_ref="C1", record_id="a1"))
    kinds: tuple[Kind, ...] = ("checkin", "audit")
    for kind in kinds:
        batch = store.outbox.next_batch(kind, 10)
        assert batch is not None
        store.outbox.quarantine(batch, {r["record_id"]: "bad" for r in batch.records})
    assert store.outbox.quarantined() == {"checkin": 1, "audit": 1}
    assert store.outbox.requeue("audit") == 1
    assert store.outbox.quarantined() == {"checkin": 1} and store.outbox.depth() == {"audit": 1}
    assert store.outbox.requeue() == 1 and store.outbox.quarantined() == {}
    assert store.outbox.depth() == {"checkin": 1, "audit": 1}


def test_an_error_that_echoes_customer_refs_is_stored_without_them(tmp_path: Path) -> None:
    """A proxy or a server may echo what it was sent. A forgotten customer's ref must not live on in
    the error stored on another customer's record, nor be printed by `branchdoor outbox show`."""
    store = Store(tmp_path / "s.db")
    store.checkins.record(checkin("v1", ref="CUST-GONE"))
    store.checkins.record(checkin("v2", ref="CUST-STAYS"))
    batch = store.outbox.next_batch("checkin", 10)
    assert batch is not None
    store.outbox.failed(batch, "400: bad input {'customer_ref': 'CUST-GONE'}, {'customer_ref': 'CUST-STAYS'}")
    store.forget("CUST-GONE")
    store.close()
    database = (tmp_path / "s.db").read_bytes()
    assert b"CUST-GONE" not in database
    [report] = [kind for kind in Store(tmp_path / "s.db").outbox.report(now=0.0) if kind.kind == "checkin"]
    assert report.last_error is not None and "CUST-STAYS" not in report.last_error
