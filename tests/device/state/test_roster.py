"""The roster: what the kiosk holds about each customer, counted from the real tables; templates unread."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from device.domain import CheckIn, Consent, Profile
from device.state.store import Store
from tests.conftest import random_templates
from tests.keys import CIPHER


def grace() -> Profile:
    return Profile("C1", "Grace", "en", ("mortgage advice",), ("prefers a seat",), "1980-1989")


def test_each_customer_is_counted_from_what_is_held(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    store.enroll(grace(), Consent("v3", granted_at=1_000.0), random_templates(3))
    store.checkins.record(CheckIn("visit-1", "C1", "b1", "door-1", 2_000.0, "high", grace()))
    store.checkins.record(CheckIn("visit-2", "C1", "b1", "door-1", 3_000.0, "high", grace()))
    store.issue_token(Profile("C2", "Lin", "zh"), Consent("v3", channel="kiosk-token", granted_at=1_500.0))
    store.close()

    reopened = Store(tmp_path / "s.db")  # no key: nothing here opens a template
    roster = reopened.roster
    first, second = roster.all()
    assert (first.customer_ref, first.greeting_name, first.birth_year_band) == ("C1", "Grace", "1980-1989")
    assert first.consent == Consent("v3", granted_at=1_000.0)
    assert (first.templates, first.tokens, first.checkins, first.last_checkin_at) == (3, 0, 2, 3_000.0)
    assert first.uploads_waiting == 2 and first.recognised_by_face
    assert (second.customer_ref, second.templates, second.tokens, second.checkins) == ("C2", 0, 1, 0)
    assert second.last_checkin_at is None and not second.recognised_by_face
    assert roster.one("C2") == second and roster.one("C3") is None
    reopened.close()


def test_nothing_a_record_holds_is_a_template(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    store.enroll(grace(), Consent("v3", granted_at=1_000.0), random_templates(2))
    record = store.roster.one("C1")
    assert record is not None
    values = dataclasses.astuple(record)
    assert not any(isinstance(value, bytes | bytearray | memoryview | np.ndarray) for value in values)
    assert all(len(value) < 10 for value in values if isinstance(value, tuple)), "no vector of numbers"


def test_a_forgotten_customer_is_not_on_the_roster(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    store.enroll(grace(), Consent("v3"), random_templates(1))
    store.forget("C1")
    assert store.roster.all() == [] and store.roster.one("C1") is None
