"""The database's backup copies: verified, private, sealed as the original, a few kept; made without
waiting on the store; and after any erasure of a customer, no copy older than it is left."""

from __future__ import annotations

import sqlite3
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from device.checkin.desk import CheckinDesk
from device.checkin.scanner import WITHDRAW_CODE, ScannerCheckins
from device.domain import AuditRecord, Consent, Profile
from device.privacy.forgetting import kiosk_withdrawal
from device.state.backups import BackupError, Backups, verify
from device.state.check import quick_check, row_counts
from device.state.files import ASIDE_MARK, utc_stamp
from device.state.sealing import TemplateCipher, key_id_of
from device.state.store import Store
from tests.conftest import random_templates
from tests.keys import CIPHER

NAME = "Grace Forgettable"


def encoding_blobs(database: Path) -> list[bytes]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return [bytes(r[0]) for r in db.execute("SELECT vector FROM encodings ORDER BY customer_ref, rowid")]


def test_a_copy_is_verified_private_self_contained_and_sealed_like_the_original(tmp_path: Path) -> None:
    store = Store(tmp_path / "branchdoor.db", CIPHER)
    vectors = random_templates(3, seed=4)
    store.enroll(Profile("C1", NAME), Consent("v1"), vectors)

    copy = store.backups.make(keep=3)

    assert copy.path.parent == tmp_path / "backups" and copy.size_bytes == copy.path.stat().st_size
    assert stat.S_IMODE(copy.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(copy.path.parent.stat().st_mode) == 0o700
    assert quick_check(copy.path, read_only=True) == ["ok"] and verify(copy.path) is None
    assert copy.path.read_bytes()[18:20] == b"\x01\x01"  # rollback journal: one file, no -wal needed
    assert sorted(p.name for p in copy.path.parent.iterdir()) == [copy.path.name]
    assert encoding_blobs(copy.path) == encoding_blobs(store.path)  # the same sealed bytes
    assert vectors.tobytes()[:64] not in copy.path.read_bytes()
    assert row_counts(copy.path, read_only=True)["customers"] == 1


def test_the_newest_copies_are_kept_and_numbered_whatever_the_clock_says(tmp_path: Path) -> None:
    store = Store(tmp_path / "branchdoor.db", CIPHER)
    made = [store.backups.make(keep=3).path for _ in range(5)]
    assert store.backups.copies() == made[:1:-1]  # newest first: 5, 4, 3
    assert [p.name.split("-")[1] for p in store.backups.copies()] == ["000005", "000004", "000003"]
    assert not made[0].exists() and not made[1].exists()


def test_a_copy_is_made_while_the_store_holds_a_write_transaction_open(tmp_path: Path) -> None:
    """The copy reads on a connection of its own and never takes the store's lock: a recognition
    thread in the middle of writing a check-in is not waited for, and does not wait."""
    store = Store(tmp_path / "branchdoor.db", CIPHER)
    store.enroll(Profile("C1", NAME), Consent("v1"), random_templates(1))
    inside, release = threading.Event(), threading.Event()

    def writer() -> None:
        with store.shared.transaction():
            store.outbox.enqueue("audit", "uncommitted", {"event": "x"}, time.time())
            inside.set()
            release.wait(60)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert inside.wait(30)
        copied: list[Path] = []
        copier = threading.Thread(target=lambda: copied.append(store.backups.make(keep=3).path))
        copier.start()
        copier.join(60)
        assert copied, "the copy waited for the store's open transaction"
    finally:
        release.set()
        thread.join(30)
    assert row_counts(copied[0], read_only=True)["outbox"] == 0  # committed state only


def test_a_failed_copy_says_why_in_one_line_and_leaves_nothing_behind(tmp_path: Path) -> None:
    backups = Backups(tmp_path / "branchdoor.db")  # no database at all
    with pytest.raises(BackupError) as failed:
        backups.make(keep=3)
    assert "\n" not in str(failed.value) and str(tmp_path / "branchdoor.db") in str(failed.value)
    assert backups.last_error == str(failed.value)
    assert list((tmp_path / "backups").iterdir()) == []


# --- erasure: no copy older than the deletion survives it ---------------------------------------------


def forget(store: Store) -> None:
    store.forget("C1", kiosk_withdrawal("C1", "operator", "branchdoor forget"))


def withdraw_at_the_kiosk(store: Store) -> None:
    token = store.issue_token(Profile("C1", NAME), Consent("v1"))
    scanner = ScannerCheckins(store, CheckinDesk(store, "b1", "door-1", 600), lambda _: None)
    store.backups.make(keep=3)  # the token's own change is in a copy too
    for step, code in enumerate((WITHDRAW_CODE, token, WITHDRAW_CODE)):
        scanner.handle(code, 1000.0 + step)
    assert scanner.stats.withdrawn == 1


def central_deletion(store: Store) -> None:
    store.apply_gallery_delta([], ["C1"], "cursor-2")


def gallery_wipe(store: Store) -> None:
    store.wipe_gallery()


ERASURES: dict[str, Callable[[Store], None]] = {
    "forget": forget,
    "kiosk withdrawal": withdraw_at_the_kiosk,
    "central deletion": central_deletion,
    "gallery wipe": gallery_wipe,
}


@pytest.mark.parametrize("erasure", ERASURES)
def test_after_an_erasure_no_backup_holds_the_customer(tmp_path: Path, erasure: str) -> None:
    state = tmp_path / "state"
    store = Store(state / "branchdoor.db", CIPHER)
    store.enroll(Profile("C1", NAME, "en", ("mortgage",)), Consent("v1"), random_templates(2, seed=1))
    store.enroll(Profile("C2", "Kept Customer"), Consent("v1"), random_templates(1, seed=2))
    store.record_audit(AuditRecord(event="cue_shown", customer_ref="C1", screen="branchdoor/b1/cues"))
    sealed = [blob[-64:] for blob in encoding_blobs(store.path)[:2]]  # C1's two templates
    for _ in range(3):
        store.backups.make(keep=3)
    (state / "backups" / ".branchdoor-000009-20260101T000000Z.db.partial").write_bytes(
        store.backups.copies()[0].read_bytes()
    )  # a copy a power cut interrupted
    # A damaged database `state restore` set aside (here: another copy, as good a holder of C1).
    aside = state / f"branchdoor.db{ASIDE_MARK}{utc_stamp()}"
    aside.write_bytes(store.backups.copies()[0].read_bytes())
    traces = [NAME.encode(), b"mortgage", *sealed]
    holders = [p for p in state.rglob("*") if (p.is_file() and p.parent.name == "backups") or p == aside]
    assert len(holders) == 5 and all(all(t in p.read_bytes() for t in traces) for p in holders)

    ERASURES[erasure](store)

    for path in (p for p in state.rglob("*") if p.is_file()):
        data = path.read_bytes()
        left = [t for t in traces if t in data]
        assert left == [], f"{path.relative_to(state)} still holds {left}"
    [fresh] = store.backups.copies()
    assert verify(fresh) is None
    assert row_counts(fresh, read_only=True)["customers"] == (0 if erasure == "gallery wipe" else 1)
    assert sorted(p.name for p in (state / "backups").iterdir()) == [fresh.name]


def test_an_erasure_without_any_backup_makes_none(tmp_path: Path) -> None:
    store = Store(tmp_path / "branchdoor.db", CIPHER)
    store.enroll(Profile("C1", NAME), Consent("v1"), random_templates(1))
    forget(store)
    assert not (tmp_path / "backups").exists()


def test_a_key_rotation_leaves_no_copy_sealed_under_the_retired_key(tmp_path: Path) -> None:
    store = Store(tmp_path / "branchdoor.db", CIPHER)
    store.enroll(Profile("C1", NAME), Consent("v1"), random_templates(2))
    old = store.backups.make(keep=3).path
    new = TemplateCipher(bytes(range(1, 33)))

    store.rotate_key(new, AuditRecord(event="key_rotated", actor="operator"))

    [fresh] = store.backups.copies()
    assert fresh != old and not old.exists()
    assert encoding_blobs(fresh) == encoding_blobs(store.path)
    assert {key_id_of(blob) for blob in encoding_blobs(fresh)} == {new.key_id}


def test_a_copy_that_cannot_be_erased_is_reported_and_the_deletion_still_stands(tmp_path: Path) -> None:
    store = Store(tmp_path / "branchdoor.db", CIPHER)
    store.enroll(Profile("C1", NAME), Consent("v1"), random_templates(1))
    store.backups.make(keep=3)
    stuck = store.backups.folder / "branchdoor-000000-20260101T000000Z.db"
    stuck.mkdir()  # named like a copy, but nothing can overwrite it

    report = store.forget("C1", kiosk_withdrawal("C1", "operator", "branchdoor forget"))

    assert report.found and store.profile("C1") is None
    assert report.backup_problem is not None and str(stuck) in report.backup_problem
    assert "\n" not in report.backup_problem and store.backups.last_error == report.backup_problem
