"""The SQLite store: consented templates in, everything about a customer out on `forget`."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from device.domain import CheckIn, Consent, Profile
from device.state.store import Store
from tests.conftest import random_templates
from tests.disks import small_disk
from tests.keys import CIPHER


def profile(ref: str = "C1") -> Profile:
    return Profile(ref, "Ada", "en", ("savings",), ("prefers a seat",))


def checkin(ref: str, at: float, visit: str = "v1") -> CheckIn:
    return CheckIn(visit, ref, "b1", "door-1", at, "high", profile(ref))


def test_enroll_keeps_templates_with_consent_and_profile(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    vectors = random_templates(2)
    assert store.enroll(profile(), Consent("v3", granted_at=1.0), vectors) == 2
    refs, held = store.gallery_rows()
    assert refs == ["C1", "C1"]
    np.testing.assert_array_equal(held, vectors)
    assert store.profile("C1") == profile()


def test_re_enrollment_adds_templates(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    store.enroll(profile(), Consent("v3"), random_templates(2, seed=1))
    assert store.enroll(profile(), Consent("v4"), random_templates(1, seed=2)) == 3


def test_forget_deletes_every_trace(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = Store(path, CIPHER)
    store.enroll(profile("C1"), Consent("v3"), random_templates(2))
    store.enroll(profile("C2"), Consent("v3"), random_templates(1, seed=5))
    store.checkins.record(checkin("C1", 10.0))
    report = store.forget("C1")
    assert (report.customers, report.encodings, report.checkins) == (1, 2, 1)
    store.close()
    with sqlite3.connect(path) as raw:
        for table in ("customers", "consents", "encodings", "checkins"):
            count = raw.execute(f"SELECT COUNT(*) FROM {table} WHERE customer_ref = 'C1'").fetchone()[0]  # noqa: S608
            assert count == 0, table
        assert raw.execute("SELECT COUNT(*) FROM encodings").fetchone()[0] == 1


def test_forgetting_an_unknown_customer_reports_nothing_found(tmp_path: Path) -> None:
    assert not Store(tmp_path / "s.db", CIPHER).forget("nobody").found


def test_templates_without_a_consent_record_are_not_in_the_gallery(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = Store(path, CIPHER)
    store.enroll(profile(), Consent("v3"), random_templates(1))
    with sqlite3.connect(path) as raw:
        raw.execute("DELETE FROM consents")
    refs, _ = store.gallery_rows()
    assert refs == []


def test_another_connections_commit_changes_data_version(tmp_path: Path) -> None:
    daemon_view, cli_view = Store(tmp_path / "s.db", CIPHER), Store(tmp_path / "s.db", CIPHER)
    before = daemon_view.data_version()
    cli_view.enroll(profile(), Consent("v1"), random_templates(1))
    assert daemon_view.data_version() != before


def test_last_checkin_and_unidentified_counts(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    assert store.checkins.last_at("C1") is None
    store.checkins.record(checkin("C1", 100.0, "v1"))
    store.checkins.record(checkin("C1", 200.0, "v2"))
    assert store.checkins.last_at("C1") == 200.0
    store.visit_counts.count_unidentified(at=1000.0)
    store.visit_counts.count_unidentified(at=1010.0)
    store.visit_counts.count_unidentified(at=2000.0)  # next 15-minute bin
    assert store.visit_counts.unidentified_total() == 3


def test_database_is_in_wal_mode(tmp_path: Path) -> None:
    Store(tmp_path / "s.db", CIPHER).close()
    with sqlite3.connect(tmp_path / "s.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_gallery_page_is_applied_whole_with_its_cursor(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    store.enroll(profile("C1"), Consent("v1"), random_templates(2, seed=1))
    store.checkins.record(checkin("C1", 10.0))
    new_templates = random_templates(3, seed=2)
    store.apply_gallery_delta(
        upserts=[(profile("C2"), Consent("v2", scope="branch-devices"), new_templates)],
        deletions=["C1"],
        cursor="c-42",
    )
    refs, vectors = store.gallery_rows()
    assert refs == ["C2"] * 3
    np.testing.assert_array_equal(vectors, new_templates)
    assert store.gallery_cursor() == "c-42"
    assert store.checkins.all() == []
    # The deletion is queued for acknowledgement to the central service.
    assert list(store.outbox.depth().items()) == [("deletion_ack", 1)]
    assert [r["customer_ref"] for r in store.outbox.records()] == ["C1"]


def test_an_upsert_replaces_the_templates_the_central_service_had_sent(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    store.apply_gallery_delta([(profile("C1"), Consent("v1"), random_templates(3, seed=1))], [], "c1")
    store.apply_gallery_delta([(profile("C1"), Consent("v1"), random_templates(1, seed=2))], [], "c2")
    refs, _ = store.gallery_rows()
    assert refs == ["C1"]


def test_a_failing_page_changes_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    store.apply_gallery_delta([(profile("C1"), Consent("v1"), random_templates(1))], [], "c1")
    bad_vectors = np.zeros((1, 64), np.float32)  # not a 128-number template: the page must roll back
    with pytest.raises(ValueError, match="reshape"):
        store.apply_gallery_delta([(profile("C2"), Consent("v1"), bad_vectors)], ["C1"], "c2")
    refs, _ = store.gallery_rows()
    assert refs == ["C1"] and store.gallery_cursor() == "c1"


def test_wipe_forgets_every_customer_and_the_cursor(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    store.apply_gallery_delta([(profile("C1"), Consent("v1"), random_templates(1))], [], "c9")
    store.wipe_gallery()
    assert store.customer_count() == 0 and store.gallery_cursor() is None


def test_gallery_version_sees_this_connections_own_gallery_changes(tmp_path: Path) -> None:
    """Central sync shares the daemon's connection, where data_version stays put."""
    store = Store(tmp_path / "s.db", CIPHER)
    before = store.gallery_version()
    store.apply_gallery_delta([(profile("C1"), Consent("v1"), random_templates(1))], [], "c1")
    after_sync = store.gallery_version()
    store.checkins.record(checkin("C1", 5.0))
    store.apply_gallery_delta([], [], "c2")  # a sync cycle that found nothing new
    assert before != after_sync == store.gallery_version()  # neither is a gallery change


def test_a_database_from_before_a_column_was_added_gains_it_and_keeps_its_customers(tmp_path: Path) -> None:
    """A kiosk updated in the field opens the database its older version wrote."""
    path = tmp_path / "s.db"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE customers (customer_ref TEXT PRIMARY KEY, greeting_name TEXT NOT NULL, language TEXT,
            interests TEXT NOT NULL DEFAULT '[]', service_hints TEXT NOT NULL DEFAULT '[]',
            enrolled_at REAL NOT NULL, updated_at REAL NOT NULL);
        INSERT INTO customers VALUES ('C1', 'Ada', 'en', '[]', '[]', 1.0, 1.0);
        """
    )
    old.close()
    store = Store(path, CIPHER)
    assert store.profile("C1") == Profile("C1", "Ada", "en")
    store.enroll(Profile("C2", "Bo", birth_year_band="1980-1989"), Consent("v1"), random_templates(1))
    assert store.profile("C2") == Profile("C2", "Bo", birth_year_band="1980-1989")
    store.close()
    Store(path, CIPHER).close()  # and the next start finds nothing left to add


@pytest.mark.subprocess
def test_a_field_engineer_can_read_the_tables_with_the_sqlite_utils_command(tmp_path: Path) -> None:
    """The README's read-only look at a kiosk's state: table names and row counts, no SQL typed."""
    store = Store(tmp_path / "s.db", CIPHER)
    store.enroll(profile("C1"), Consent("v1"), random_templates(2))
    store.checkins.record(checkin("C1", 1000.0))
    command = Path(sys.executable).with_name("sqlite-utils")
    done = subprocess.run(
        [str(command), "tables", str(tmp_path / "s.db"), "--counts"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    store.close()
    assert done.returncode == 0, done.stderr
    counts = {row["table"]: row["count"] for row in json.loads(done.stdout)}
    assert counts["customers"] == 1 and counts["encodings"] == 2 and counts["checkins"] == 1
    assert counts["outbox"] == 1


@pytest.mark.subprocess
def test_a_write_a_full_disk_refuses_says_so_and_the_store_carries_on_when_there_is_room(
    tmp_path: Path,
) -> None:
    with small_disk(tmp_path / "state", "1m") as disk:
        store = Store(disk.path / "s.db", CIPHER)
        try:
            disk.fill()
            # Too big for the page cache: SQLite spills, fails and rolls the transaction back itself.
            with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
                store.enroll(Profile("C1", "Ada"), Consent("v1"), random_templates(4000))
            disk.grow("64m")
            assert store.enroll(Profile("C1", "Ada"), Consent("v1"), random_templates(4000)) == 4000
        finally:
            store.close()
