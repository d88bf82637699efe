"""Roles at the door: everyone enrolled is a customer unless enrolled as staff; older databases read
everyone as a customer; forgetting a member of staff leaves no trace of the role either."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from device.domain import Consent, Profile
from device.state.store import Store
from tests.conftest import random_templates
from tests.keys import CIPHER


def test_enroll_keeps_the_role_and_the_old_signature_still_means_customer(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    store.enroll(Profile("C1", "Ada"), Consent("v1"), random_templates(1))
    store.enroll(Profile("S1", "Sam"), Consent("v1"), random_templates(1, seed=1), role="staff")
    assert store.roles.of("C1") == "customer" and store.roles.of("S1") == "staff"
    assert store.roles.of("nobody") is None
    assert store.roles.staff() == {"S1"}
    refs, _ = store.gallery_rows()
    assert sorted(refs) == ["C1", "S1"]  # staff are matched like everyone: a member of staff is no stranger


def test_a_token_for_staff_keeps_them_staff_and_re_enrollment_sets_the_role_anew(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    store.enroll(Profile("S1", "Sam"), Consent("v1"), random_templates(1), role="staff")
    store.issue_token(Profile("S1", "Sam"), Consent("v1"))
    assert store.roles.of("S1") == "staff"
    store.enroll(Profile("S1", "Sam"), Consent("v1"), random_templates(1, seed=2))
    assert store.roles.of("S1") == "customer"


def test_central_upserts_carry_the_role_and_an_upsert_without_it_is_a_customer(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    store.apply_gallery_delta(
        [(Profile("S1", "Sam"), Consent("v1"), random_templates(1)),
         (Profile("C1", "Ada"), Consent("v1"), random_templates(1, seed=1))],
        [], "c1", staff={"S1"},
    )  # fmt: skip
    assert store.roles.staff() == {"S1"}
    store.apply_gallery_delta([(Profile("S1", "Sam"), Consent("v1"), random_templates(1))], [], "c2")
    assert store.roles.staff() == frozenset()


def test_a_database_from_before_roles_opens_and_reads_everyone_as_a_customer(tmp_path: Path) -> None:
    """The customers table exactly as the version before roles created it, with a customer in it."""
    path = tmp_path / "s.db"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE customers (customer_ref TEXT PRIMARY KEY, greeting_name TEXT NOT NULL, language TEXT,
            interests TEXT NOT NULL DEFAULT '[]', service_hints TEXT NOT NULL DEFAULT '[]',
            enrolled_at REAL NOT NULL, updated_at REAL NOT NULL, birth_year_band TEXT);
        CREATE TABLE consents (customer_ref TEXT PRIMARY KEY REFERENCES customers(customer_ref)
            ON DELETE CASCADE, notice_version TEXT NOT NULL, purpose TEXT NOT NULL, scope TEXT NOT NULL,
            channel TEXT NOT NULL, granted_at REAL NOT NULL);
        INSERT INTO customers VALUES ('C1', 'Ada', 'en', '[]', '[]', 1.0, 1.0, NULL);
        INSERT INTO consents VALUES ('C1', 'v1', 'branch-check-in', 'branch-devices', 'kiosk', 1.0);
        """
    )
    old.close()
    store = Store(path, CIPHER)
    assert store.roles.of("C1") == "customer" and store.roles.staff() == frozenset()
    store.enroll(Profile("S1", "Sam"), Consent("v1"), random_templates(1), role="staff")
    store.close()
    reopened = Store(path, CIPHER)  # the next start finds the column there and the role kept
    assert reopened.roles.of("S1") == "staff" and reopened.roles.of("C1") == "customer"
    reopened.close()


def test_forgetting_a_member_of_staff_leaves_no_trace_of_them(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    store.enroll(Profile("S1", "Sam Staffer"), Consent("v1"), random_templates(1), role="staff")
    assert store.forget("S1").found
    assert store.roles.of("S1") is None and store.roles.staff() == frozenset()
    store.close()
    raw = sqlite3.connect(tmp_path / "s.db")
    assert raw.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0
    raw.close()
    assert b"Sam Staffer" not in (tmp_path / "s.db").read_bytes()
