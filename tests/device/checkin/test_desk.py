"""One check-in per visit, and none for a customer who is no longer held."""

from __future__ import annotations

from pathlib import Path

from device.checkin.desk import CheckinDesk
from device.domain import Consent, Identification, Profile
from device.state.store import Store
from tests.conftest import random_templates
from tests.keys import CIPHER


def desk_with_customer(tmp_path: Path, window_s: float = 600) -> tuple[CheckinDesk, Store]:
    store = Store(tmp_path / "s.db", CIPHER)
    store.enroll(Profile("C1", "Grace", "en"), Consent("v1"), random_templates(1))
    return CheckinDesk(store, "b1", "door-1", dedup_window_s=window_s), store


def seen(distance: float = 0.35) -> Identification:
    return Identification("C1", distance, 0.8, track_id=1)


def test_first_sighting_is_a_check_in_with_the_profile(tmp_path: Path) -> None:
    desk, store = desk_with_customer(tmp_path)
    checkin = desk.admit(seen(), at=1000.0)
    assert checkin is not None
    assert checkin.profile.greeting_name == "Grace" and checkin.branch_id == "b1"
    assert checkin.score_band == "high" and checkin.channel == "face"
    assert [row[1] for row in store.checkins.all()] == ["C1"]


def test_a_face_the_camera_could_not_vouch_for_checks_in_with_verify_before_greeting(tmp_path: Path) -> None:
    desk, _ = desk_with_customer(tmp_path)
    unsure = desk.admit(Identification("C1", 0.35, 0.8, track_id=1, liveness="unsure"), at=1000.0)
    assert unsure is not None and unsure.verify_before_greeting
    live = desk.admit(seen(), at=5000.0)
    assert live is not None and not live.verify_before_greeting


def test_seen_again_within_the_window_is_the_same_visit(tmp_path: Path) -> None:
    desk, store = desk_with_customer(tmp_path, window_s=600)
    assert desk.admit(seen(), at=1000.0) is not None
    assert desk.admit(seen(), at=1599.0) is None
    assert desk.admit(seen(), at=1601.0) is not None
    assert len(store.checkins.all()) == 2


def test_customer_forgotten_mid_visit_gets_no_check_in(tmp_path: Path) -> None:
    desk, store = desk_with_customer(tmp_path)
    store.forget("C1")
    assert desk.admit(seen(), at=1000.0) is None
    assert store.checkins.all() == []


def test_score_band_follows_distance() -> None:
    assert seen(0.30).score_band == "high"
    assert seen(0.45).score_band == "medium"


def forgets_after_reading(store: Store) -> Store:
    """The customer is forgotten (by another connection, as `branchdoor forget` does) just after the
    desk has read their last check-in: the race the check-in transaction must close."""
    read = store.checkins.last_at

    def last_at(customer_ref: str) -> float | None:
        last = read(customer_ref)
        other = Store(store.path, CIPHER)
        other.forget(customer_ref)
        other.close()
        return last

    store.checkins.last_at = last_at  # type: ignore[method-assign]
    return store


def test_a_forget_between_the_reads_and_the_check_in_leaves_no_check_in(tmp_path: Path) -> None:
    store = forgets_after_reading(Store(tmp_path / "s.db", CIPHER))
    store.enroll(Profile("C1", "Grace", "en"), Consent("v1"), random_templates(1))
    desk = CheckinDesk(store, "b1", "door-1", dedup_window_s=600)
    assert desk.admit(seen(), at=1000.0) is None
    assert store.checkins.all() == []
    assert not any(r.get("customer_ref") == "C1" for r in store.outbox.records())


def test_face_and_scanner_racing_for_one_customer_make_one_visit(tmp_path: Path) -> None:
    desk, store = desk_with_customer(tmp_path)
    late_reader = CheckinDesk(store, "b1", "door-1", dedup_window_s=600)
    # Both paths read "no recent check-in" before either writes: only the transaction can tell.
    store.checkins.last_at = lambda customer_ref: None  # type: ignore[method-assign]
    results = [desk.admit(seen(), at=1000.0), late_reader.admit_token("C1", at=1001.0)]
    assert sum(r is not None for r in results) == 1
    assert len(store.checkins.all()) == 1


def test_a_check_in_keeps_whether_it_was_a_face_or_a_scanned_token(tmp_path: Path) -> None:
    """The report counts face check-ins apart from QR code or card ones: the channel is recorded."""
    desk, store = desk_with_customer(tmp_path, window_s=600)
    by_face = desk.admit(seen(), at=1000.0)
    by_token = desk.admit_token("C1", at=2000.0)
    assert by_face is not None and by_face.channel == "face"
    assert by_token is not None and by_token.channel == "token"
    rows = store.shared.db.execute("SELECT channel FROM checkins ORDER BY at").fetchall()
    assert [channel for (channel,) in rows] == ["face", "token"]


def test_staff_are_never_checked_in_by_face_or_token_and_their_passes_are_audited(tmp_path: Path) -> None:
    desk, store = desk_with_customer(tmp_path)
    store.enroll(Profile("S1", "Sam"), Consent("v1"), random_templates(1, seed=1), role="staff")
    token = store.issue_token(Profile("S1", "Sam"), Consent("v1"))
    staff_seen = Identification("S1", 0.3, 0.8, track_id=2)
    assert desk.admit(staff_seen, at=1000.0) is None
    assert desk.admit_token("S1", at=1001.0) is None and token
    assert store.checkins.all() == []
    desk.audit_staff_pass(staff_seen)
    staff_records = [r for r in store.outbox.records() if r.get("customer_ref") == "S1"]
    # Audited as an identification (the privacy rule: every identification is), and nothing else:
    # the audits of the token issue (none here: issued without any) and no check-in record.
    assert [(r["event"], r["rule"]) for r in staff_records] == [
        ("identification", "open-set; staff, not a visit")
    ]
