"""What the statistics read from a real SQLite store, and the forecast's way into the outbox."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from device.analytics.data import AnalyticsData, VisitBin, Visitor
from device.central.service import _profile
from device.domain import CheckIn, Consent, Profile
from device.state.store import Store
from sync.models import AggregateRecord, GalleryUpsert
from tests.conftest import random_templates
from tests.keys import CIPHER
from tests.sync.helpers import customer

T0 = 1_888_888 * 3600.0  # a whole hour


def enroll(store: Store, ref: str, band: str | None, interests: tuple[str, ...] = ()) -> Profile:
    profile = Profile(ref, "Ada", "en", interests, (), band)
    store.enroll(profile, Consent("v1"), random_templates(1))
    return profile


def visit(store: Store, profile: Profile, at: float, visit_id: str) -> None:
    store.checkins.record(CheckIn(visit_id, profile.customer_ref, "b1", "door-1", at, "high", profile))


def test_visits_are_counted_per_bin_from_checkins_and_unidentified_counts(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    ada = enroll(store, "C1", "1980-1989")
    visit(store, ada, T0 + 100, "v1")
    visit(store, ada, T0 + 1000, "v2")
    store.visit_counts.count_unidentified(T0 + 10)
    AnalyticsData.of(store).import_unidentified_counts([(T0 + 900, 3), (T0 + 3600, 2), (T0 + 7200, 0)])
    assert AnalyticsData.of(store).visit_bins(T0, T0 + 7200) == [
        VisitBin(T0, 1, 1),
        VisitBin(T0 + 900, 1, 3),
        VisitBin(T0 + 3600, 0, 2),
    ]
    assert AnalyticsData.of(store).visit_bins(T0, T0 + 7200, bin_s=3600) == [
        VisitBin(T0, 2, 4),
        VisitBin(T0 + 3600, 0, 2),
    ]
    with pytest.raises(ValueError, match="multiple of 900"):
        AnalyticsData.of(store).visit_bins(T0, T0 + 7200, bin_s=600)
    assert AnalyticsData.of(store).first_visit_at() == T0


def test_visitors_carry_the_profile_band_and_interests_never_a_name(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    ada = enroll(store, "C1", "1980-1989", ("savings",))
    bob = enroll(store, "C2", None)
    visit(store, ada, T0, "v1")
    visit(store, ada, T0 + 5000, "v2")
    visit(store, bob, T0 + 10, "v3")
    visit(store, bob, T0 - 10, "v0")  # before the period
    assert AnalyticsData.of(store).visitors(T0, T0 + 9000) == [
        Visitor("C1", 2, "1980-1989", ("savings",)),
        Visitor("C2", 1, None, ()),
    ]
    store.forget("C1")
    assert [v.customer_ref for v in AnalyticsData.of(store).visitors(T0, T0 + 9000)] == ["C2"]


def test_hourly_history_fills_quiet_hours_with_zero(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    AnalyticsData.of(store).import_unidentified_counts([(T0, 2), (T0 + 3 * 3600 + 900, 5)])
    history = AnalyticsData.of(store).hourly_history(T0 + 5 * 3600, max_days=30)
    assert history is not None
    assert history.counts.tolist() == [2, 0, 0, 5, 0]
    assert history.starts[0] == T0
    assert AnalyticsData.of(store).hourly_history(T0, max_days=30) is None  # nothing before T0


def test_an_old_database_gains_the_birth_year_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE customers (customer_ref TEXT PRIMARY KEY, greeting_name TEXT NOT NULL, language TEXT, "
        "interests TEXT NOT NULL DEFAULT '[]', service_hints TEXT NOT NULL DEFAULT '[]', "
        "enrolled_at REAL NOT NULL, updated_at REAL NOT NULL)"
    )
    old.execute("INSERT INTO customers VALUES ('C0', 'Old', 'en', '[]', '[]', 1.0, 1.0)")
    old.commit()
    old.close()
    store = Store(path, CIPHER)
    enroll(store, "C1", "1990-1999")
    assert store.profile("C1") == Profile("C1", "Ada", "en", (), (), "1990-1999")
    assert store.profile("C0") == Profile("C0", "Old", "en")


def test_the_central_profile_band_reaches_the_store(tmp_path: Path) -> None:
    item = customer("CUST-7").model_copy(update={"birth_year_band": "1970-1979"})
    store = Store(tmp_path / "s.db", CIPHER)
    store.apply_gallery_delta([_profile(item)], [], "cursor-1")
    profile = store.profile("CUST-7")
    assert profile is not None and profile.birth_year_band == "1970-1979"


@pytest.mark.parametrize("band", ["1980-1990", "1985-1994", "80-89", "1980", "1980-1989 "])
def test_a_birth_year_band_is_one_decade(band: str) -> None:
    fields = customer("CUST-7").model_dump() | {"birth_year_band": band}
    with pytest.raises(ValidationError, match="birth_year_band"):
        GalleryUpsert.model_validate(fields)


def test_forecast_aggregates_are_queued_for_upload_in_one_transaction(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    payload = {
        "bin_start": datetime.fromtimestamp(T0, UTC).isoformat(),
        "bin_s": 3600,
        "metric": "forecast_visits",
        "value": 7,
        "low80": 4,
        "high80": 10,
        "issued_at": datetime.fromtimestamp(T0 - 60, UTC).isoformat(),
    }
    assert AnalyticsData.of(store).queue_aggregates([("fc-1", payload), ("fc-2", payload)], T0) == 2
    batch = store.outbox.next_batch("aggregate", 10)
    assert batch is not None and [r["record_id"] for r in batch.records] == ["fc-1", "fc-2"]
    for record in batch.records:
        AggregateRecord.model_validate(json.loads(json.dumps(record)))


def test_forecast_fields_belong_to_forecast_records_only() -> None:
    base = {"record_id": "a1", "bin_start": "2026-12-01T09:00:00Z", "bin_s": 3600}
    with pytest.raises(ValidationError, match="forecast_visits needs low80"):
        AggregateRecord.model_validate(base | {"metric": "forecast_visits", "value": 3})
    with pytest.raises(ValidationError, match="low80 <= value <= high80"):
        AggregateRecord.model_validate(
            base
            | {
                "metric": "forecast_visits",
                "value": 3,
                "low80": 4,
                "high80": 9,
                "issued_at": "2026-11-30T06:00:00Z",
            }
        )
    with pytest.raises(ValidationError, match="belong to forecast_visits only"):
        AggregateRecord.model_validate(base | {"metric": "door_in", "value": 3, "low80": 1})


def test_face_and_token_check_ins_are_counted_apart_even_after_retention(tmp_path: Path) -> None:
    """A QR code or card scanned at the kiosk is a check-in, but not a face check-in."""
    from device.checkin.desk import CheckinDesk
    from device.domain import Identification

    store = Store(tmp_path / "s.db", CIPHER)
    enroll(store, "C1", "1980-1989")
    enroll(store, "C2", None)
    desk = CheckinDesk(store, "b1", "door-1", dedup_window_s=600)
    assert desk.admit(Identification("C1", 0.3, 0.8, track_id=1), at=T0 + 10) is not None
    assert desk.admit_token("C2", at=T0 + 20) is not None
    assert desk.admit_token("C1", at=T0 + 3600) is not None
    expected = [VisitBin(T0, 2, 0, by_token=1), VisitBin(T0 + 3600, 1, 0, by_token=1)]
    assert AnalyticsData.of(store).visit_bins(T0, T0 + 7200, bin_s=3600) == expected
    assert [b.by_face for b in expected] == [1, 0]
    while (batch := store.outbox.next_batch("checkin", 500)) is not None:
        store.outbox.acknowledged(batch)  # uploaded: retention may fold them into counts
    assert store.visit_counts.retire_checkins(before=T0 + 7200, counts_before=0) == (3, 0)
    assert store.checkins.all() == []
    assert AnalyticsData.of(store).visit_bins(T0, T0 + 7200, bin_s=3600) == expected


def test_check_ins_an_older_kiosk_recorded_say_their_channel_is_unknown(tmp_path: Path) -> None:
    """A database from before the channel was recorded gets the column at the next start; its check-ins
    are neither face nor token, and stay so when retention folds them into counts."""
    path = tmp_path / "s.db"
    store = Store(path, CIPHER)
    ada = enroll(store, "C1", None)
    store.close()
    with sqlite3.connect(path) as old:  # the tables as the previous release made them
        old.execute("ALTER TABLE checkins DROP COLUMN channel")
        old.execute("ALTER TABLE retired_checkin_counts DROP COLUMN face_visits")
        old.execute("ALTER TABLE retired_checkin_counts DROP COLUMN token_visits")
        old.execute("INSERT INTO checkins VALUES ('v0', 'C1', 'b1', 'door-1', ?, 'high')", [T0])
        old.execute("INSERT INTO retired_checkin_counts VALUES (?, 2)", [T0 - 3600])
    old.close()
    store = Store(path, CIPHER)
    visit(store, ada, T0 + 1800, "v1")
    assert AnalyticsData.of(store).visit_bins(T0 - 3600, T0 + 3600, bin_s=3600) == [
        VisitBin(T0 - 3600, 2, 0, channel_unknown=2),
        VisitBin(T0, 2, 0, channel_unknown=1),
    ]
    while (batch := store.outbox.next_batch("checkin", 500)) is not None:
        store.outbox.acknowledged(batch)
    store.visit_counts.retire_checkins(before=T0 + 3600, counts_before=0)
    assert AnalyticsData.of(store).visit_bins(T0, T0 + 3600, bin_s=3600) == [
        VisitBin(T0, 2, 0, channel_unknown=1)
    ]


def test_the_history_knows_the_hours_the_kiosk_was_not_counting(tmp_path: Path) -> None:
    """An hour nobody counted is missing, not an hour nobody came: before the record, every hour with
    no visit read as 0 visitors. Hours before the kiosk kept the record (or imported) count as watched;
    an hour with a visit was watched whatever the record says."""
    store = Store(tmp_path / "s.db", CIPHER)
    data = AnalyticsData.of(store)
    data.import_unidentified_counts([(T0, 2), (T0 + 5 * 3600, 1)])
    store.visit_counts.mark_watched(T0 + 2 * 3600 + 10)
    store.visit_counts.mark_watched(T0 + 2 * 3600 + 3000)  # the same hour: one record
    store.visit_counts.mark_watched(T0 + 4 * 3600)
    history = data.hourly_history(T0 + 7 * 3600, 30)
    assert history is not None and history.watched is not None
    assert history.counts.tolist() == [2, 0, 0, 0, 0, 1, 0]
    assert history.watched.tolist() == [True, True, True, False, True, True, False]
    with sqlite3.connect(tmp_path / "s.db") as raw:
        assert raw.execute("SELECT COUNT(*) FROM watched_hours").fetchone() == (2,)
