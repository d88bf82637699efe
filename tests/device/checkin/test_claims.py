"""One visit per branch: the tie-break between two kiosks' claims, and what the loser merges."""

from __future__ import annotations

from pathlib import Path

from device.checkin.claims import Claim, ClaimBook, Duplicate, Won, cause_of, claim_key, winner
from device.checkin.desk import CheckinDesk
from device.domain import Consent, Identification, Profile
from device.state.store import Store
from tests.conftest import random_templates
from tests.keys import CIPHER

WINDOW_S = 600.0


def test_the_earlier_whole_second_wins_then_the_lower_device_id() -> None:
    door_2_earlier = Claim("v2", "C1", "door-2", 1000.9)
    door_1_later = Claim("v1", "C1", "door-1", 1001.0)
    assert winner(door_1_later, door_2_earlier) is door_2_earlier
    # Within one whole second the clocks' fractions decide nothing: the lower device id wins.
    door_2_first = Claim("v2", "C1", "door-2", 1000.1)
    door_1_same_second = Claim("v1", "C1", "door-1", 1000.8)
    assert winner(door_2_first, door_1_same_second) is door_1_same_second
    assert winner(door_1_same_second, door_2_first) is door_1_same_second  # the same at every kiosk
    assert cause_of(door_2_first, door_1_same_second) == "same_second"
    assert cause_of(door_1_later, door_2_earlier) == "partition"


def test_the_claim_key_is_stable_and_names_no_customer() -> None:
    assert claim_key("CUST-1001") == claim_key("CUST-1001") != claim_key("CUST-1002")
    assert len(claim_key("CUST-1001")) == 32 and "CUST" not in claim_key("CUST-1001")


def kiosk(tmp_path: Path, device_id: str) -> tuple[CheckinDesk, ClaimBook, Store]:
    store = Store(tmp_path / f"{device_id}.db", CIPHER)
    store.enroll(Profile("C1", "Grace", "en"), Consent("v1"), random_templates(1))
    return (
        CheckinDesk(store, "b1", device_id, WINDOW_S),
        ClaimBook(store, device_id, WINDOW_S),
        store,
    )


def seen() -> Identification:
    return Identification("C1", 0.35, 0.8, track_id=1)


def rules(store: Store) -> list[str]:
    return [str(r.get("rule")) for r in store.outbox.records() if r.get("event") == "identification"]


def test_a_claim_from_another_door_is_the_same_visit_here(tmp_path: Path) -> None:
    desk, book, store = kiosk(tmp_path, "door-2")
    assert book.receive(Claim("v-door-1", "C1", "door-1", 1000.0), now=1000.2) == "noted"
    assert desk.admit(seen(), at=1010.0) is None
    assert store.checkins.all() == []
    assert rules(store) == ["open-set; same visit (door-1's visit v-door-1)"]
    # Past the window the customer is on a new visit again.
    assert desk.admit(seen(), at=1000.0 + WINDOW_S) is not None


def test_the_loser_merges_its_check_in_and_counts_it(tmp_path: Path) -> None:
    desk, book, store = kiosk(tmp_path, "door-2")
    ours = desk.admit(seen(), at=1000.5)
    assert ours is not None
    outcome = book.receive(Claim("v-door-1", "C1", "door-1", 1000.7), now=1001.0)
    assert isinstance(outcome, Duplicate)
    assert outcome.loser.visit_id == ours.visit_id and outcome.won.visit_id == "v-door-1"
    assert outcome.cause == "same_second" and not outcome.already_uploaded
    # One check-in per branch: ours is gone, with its upload; the audit trail says where it went.
    assert store.checkins.all() == []
    assert not [r for r in store.outbox.records() if r.get("record_id") == ours.visit_id]
    assert rules(store)[-1] == "one visit per branch; duplicate visit reconciled into v-door-1"
    assert book.duplicates == {"same_second": 1, "partition": 0}
    # Heard again (the winner claims again): nothing more to merge, nothing counted twice.
    assert book.receive(Claim("v-door-1", "C1", "door-1", 1000.7), now=1002.0) == "noted"
    assert book.duplicates["same_second"] == 1
    assert desk.admit(seen(), at=1003.0) is None


def test_a_check_in_already_uploaded_is_marked_merged_by_its_audit(tmp_path: Path) -> None:
    desk, book, store = kiosk(tmp_path, "door-2")
    ours = desk.admit(seen(), at=1030.0)
    assert ours is not None
    batch = store.outbox.next_batch("checkin", 10)
    assert batch is not None  # on its way to the central service
    outcome = book.receive(Claim("v-door-1", "C1", "door-1", 1000.0), now=1031.0)
    assert isinstance(outcome, Duplicate) and outcome.already_uploaded and outcome.cause == "partition"
    assert book.duplicates["partition"] == 1


def test_the_winner_keeps_its_visit_and_claims_it_again(tmp_path: Path) -> None:
    desk, book, store = kiosk(tmp_path, "door-1")
    ours = desk.admit(seen(), at=1000.5)
    assert ours is not None
    outcome = book.receive(Claim("v-door-2", "C1", "door-2", 1000.2), now=1001.0)
    assert outcome == Won(Claim(ours.visit_id, "C1", "door-1", 1000.5))
    assert [row[0] for row in store.checkins.all()] == [ours.visit_id]
    assert book.duplicates == {"same_second": 0, "partition": 0}
    # The losing claim is not kept: this kiosk's own visit is the one it names.
    assert store.claims.holder("C1", since=0) is None


def test_own_stale_future_and_unknown_claims_change_nothing(tmp_path: Path) -> None:
    _, book, store = kiosk(tmp_path, "door-2")
    assert book.receive(Claim("v1", "C1", "door-2", 1000.0), now=1000.0) == "ours"
    assert book.receive(Claim("v1", "C1", "door-1", 1000.0), now=1000.0 + WINDOW_S) == "stale"
    assert book.receive(Claim("v1", "C1", "door-1", 2000.0), now=1000.0) == "stale"  # a clock far ahead
    assert book.receive(Claim("v1", "NOBODY", "door-1", 1000.0), now=1000.0) == "unknown_customer"
    assert store.claims.holder("C1", since=0) is None and store.claims.holder("NOBODY", since=0) is None


def test_a_forgotten_customer_leaves_no_claim_behind(tmp_path: Path) -> None:
    desk, book, store = kiosk(tmp_path, "door-2")
    assert book.receive(Claim("v-door-1", "C1", "door-1", 1000.0), now=1000.0) == "noted"
    store.forget("C1")
    assert store.claims.holder("C1", since=0) is None
    assert desk.admit(seen(), at=1001.0) is None  # not held any more


def test_a_third_door_hearing_both_claims_names_the_winners_visit(tmp_path: Path) -> None:
    desk, book, store = kiosk(tmp_path, "door-3")
    # Door 2 named them later in the same second: door 1 (the lower id) keeps the visit.
    assert book.receive(Claim("v-door-1", "C1", "door-1", 1000.1), now=1001.0) == "noted"
    assert book.receive(Claim("v-door-2", "C1", "door-2", 1000.9), now=1001.0) == "noted"
    assert desk.admit(seen(), at=1005.0) is None
    assert rules(store) == ["open-set; same visit (door-1's visit v-door-1)"]
