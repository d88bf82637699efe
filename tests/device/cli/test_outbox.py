"""`branchdoor outbox show|requeue` on a real kiosk database: counts, ages, errors and reasons, never a
customer ref or a payload; records set aside go back in the queue, all of them or one kind."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from device.cli import main
from device.cli.outbox import KIND_CHOICES
from device.domain import AuditRecord, CheckIn, Profile
from device.state.outbox import KINDS, Kind
from device.state.store import Store


def kiosk(tmp_path: Path) -> tuple[Path, Path]:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[branch]\nid = "b1"\n[storage]\nstate_dir = "{tmp_path / "state"}"\n')
    return config, tmp_path / "state" / "branchdoor.db"


def checkin(visit: str, ref: str, at: float) -> CheckIn:
    return CheckIn(visit, ref, "b1", "door-1", at, "high", Profile(ref, "Ada"))


def test_the_command_offers_every_kind_the_outbox_has() -> None:
    assert sorted(KIND_CHOICES) == sorted(KINDS)


def test_show_tells_counts_ages_errors_and_reasons_and_no_customer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, database = kiosk(tmp_path)
    store = Store(database)
    now = time.time()
    for i in range(3):
        store.checkins.record(checkin(f"visit-{i}", f"CUST-{i}", now - 7200))
    store.record_audit(AuditRecord(event="enrollment", customer_ref="CUST-AUDIT", record_id="audit-1"))
    batch = store.outbox.next_batch("checkin", 2)
    assert batch is not None
    store.outbox.failed(batch, "401: bad signature for {'customer_ref': 'CUST-0'}")
    store.outbox.failed(batch, "401: bad signature for {'customer_ref': 'CUST-0'}")
    audit = store.outbox.next_batch("audit", 10)
    assert audit is not None
    store.outbox.quarantine(audit, {"audit-1": "event: Input should be 'identification' or ..."})
    store.close()
    assert main(["outbox", "show", "--config", str(config)]) == 0
    shown = capsys.readouterr().out
    lines = shown.splitlines()
    assert lines[0].split() == ["kind", "queued", "in", "flight", "set", "aside", "oldest"]
    assert lines[2].split() == ["checkin", "3", "2", "0", "2h", "00m"]
    assert lines[3].split() == ["audit", "0", "0", "1", "-"]
    assert "checkin: batch in flight refused 2 time(s), last error: 401: bad signature" in shown
    assert "audit              1  event: Input should be 'identification' or ..." in shown
    assert "CUST-" not in shown and "visit-" not in shown and "Ada" not in shown


def test_requeue_puts_records_set_aside_back_by_kind_or_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, database = kiosk(tmp_path)
    store = Store(database)
    store.checkins.record(checkin("visit-1", "CUST-1", 100.0))
    store.record_audit(AuditRecord(event="enrollment", customer_ref="CUST-1", record_id="audit-1"))
    kinds: tuple[Kind, ...] = ("checkin", "audit")
    for kind in kinds:
        batch = store.outbox.next_batch(kind, 10)
        assert batch is not None
        store.outbox.quarantine(batch, {r["record_id"]: "malformed" for r in batch.records})
    assert main(["outbox", "requeue", "--kind", "audit", "--config", str(config)]) == 0
    assert capsys.readouterr().out.startswith("1 audit record(s) back in the queue")
    assert store.outbox.quarantined() == {"checkin": 1}  # another connection's commit, seen at once
    assert main(["outbox", "requeue", "--config", str(config)]) == 0
    assert store.outbox.quarantined() == {} and store.outbox.depth() == {"checkin": 1, "audit": 1}
    assert main(["outbox", "requeue", "--config", str(config)]) == 0
    assert "nothing to requeue" in capsys.readouterr().out


def test_a_kiosk_without_a_database_is_told_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, database = kiosk(tmp_path)
    assert main(["outbox", "show", "--config", str(config)]) == 1
    assert "no database at" in capsys.readouterr().err and not database.exists()
    with pytest.raises(SystemExit):
        main(["outbox", "requeue", "--kind", "visits", "--config", str(config)])
