"""The retention policy: what was uploaded, or can never be, leaves the device on schedule."""

from __future__ import annotations

from pathlib import Path

from device.analytics.data import AnalyticsData
from device.domain import CheckIn, Profile
from device.privacy.config import PrivacyConfig
from device.privacy.retention import DAY_S, Housekeeper, purge
from device.state.store import Store

NOW = 2_000_000_000.0
POLICY = PrivacyConfig(checkin_retention_days=7, aggregate_retention_days=30, unsent_retention_days=3)


def checkin(visit: str, at: float) -> CheckIn:
    return CheckIn(visit, "C1", "b1", "door-1", at, "high", Profile("C1", "A"))


def store_with_history(tmp_path: Path) -> Store:
    store = Store(tmp_path / "s.db")
    for visit, days_ago in (("old", 10), ("recent", 1)):
        store.checkins.record(checkin(visit, NOW - days_ago * DAY_S))
    store.visit_counts.count_unidentified(NOW - 40 * DAY_S)
    store.visit_counts.count_unidentified(NOW - 2 * DAY_S)
    return store


def upload_everything(store: Store) -> None:
    for kind in ("checkin", "audit"):
        while (batch := store.outbox.next_batch(kind, 500)) is not None:
            store.outbox.acknowledged(batch)


def test_uploaded_check_ins_and_old_counts_are_purged_after_their_retention(tmp_path: Path) -> None:
    store = store_with_history(tmp_path)
    upload_everything(store)
    report = purge(store, POLICY, dedup_window_s=1800, uploads=True, now=NOW)
    assert (report.checkins, report.counts, report.unsent) == (1, 1, 0)
    assert [visit for visit, _ref, _at in store.checkins.all()] == ["recent"]
    assert store.visit_counts.unidentified_total() == 1


def test_a_check_in_not_yet_acknowledged_is_never_purged(tmp_path: Path) -> None:
    store = store_with_history(tmp_path)
    purge(store, POLICY, dedup_window_s=1800, uploads=True, now=NOW)
    assert [visit for visit, _ref, _at in store.checkins.all()] == ["old", "recent"]
    assert store.outbox.depth()["checkin"] == 2


def test_the_dedup_window_outlasts_a_shorter_retention(tmp_path: Path) -> None:
    store = store_with_history(tmp_path)
    upload_everything(store)
    purge(store, PrivacyConfig(checkin_retention_days=0), dedup_window_s=2 * DAY_S, uploads=True, now=NOW)
    assert [visit for visit, _ref, _at in store.checkins.all()] == ["recent"]


def test_without_a_central_service_queued_records_expire_after_the_unsent_retention(tmp_path: Path) -> None:
    store = store_with_history(tmp_path)
    report = purge(store, POLICY, dedup_window_s=1800, uploads=False, now=NOW)
    assert report.unsent == 1 and report.checkins == 1
    assert store.outbox.depth() == {"checkin": 1}


def test_the_housekeeper_applies_the_policy_once_per_interval(tmp_path: Path) -> None:
    store = store_with_history(tmp_path)
    upload_everything(store)
    clock = [NOW]
    keeper = Housekeeper(store, POLICY, 1800, uploads=True, clock=lambda: clock[0])
    keeper.tick()
    assert keeper.last is not None and keeper.last.checkins == 1
    store.checkins.record(checkin("later", NOW - 9 * DAY_S))
    upload_everything(store)
    clock[0] += POLICY.housekeeping_interval_s - 1
    keeper.tick()
    assert len(store.checkins.all()) == 2  # not yet
    clock[0] += 2
    keeper.tick()
    assert len(store.checkins.all()) == 1


def test_a_purged_check_in_lives_on_only_as_an_anonymous_count_in_its_bin(tmp_path: Path) -> None:
    store = store_with_history(tmp_path)
    upload_everything(store)
    old_visit_at = NOW - 10 * DAY_S
    purge(store, POLICY, dedup_window_s=1800, uploads=True, now=NOW)
    bins = AnalyticsData.of(store).visit_bins(old_visit_at - DAY_S, old_visit_at + DAY_S)
    assert [(b.start, b.identified, b.unidentified) for b in bins] == [
        (old_visit_at - old_visit_at % 900, 1, 0)
    ]
    assert AnalyticsData.of(store).visitors(old_visit_at - DAY_S, old_visit_at + DAY_S) == []  # nobody named


def test_anonymous_counts_go_after_their_own_retention(tmp_path: Path) -> None:
    store = store_with_history(tmp_path)
    upload_everything(store)
    purge(store, POLICY, dedup_window_s=1800, uploads=True, now=NOW)
    later = NOW + 25 * DAY_S  # the retired check-in's bin is now 35 days old: past the 30 of POLICY
    purge(store, POLICY, dedup_window_s=1800, uploads=True, now=later)
    assert AnalyticsData.of(store).visit_bins(NOW - 11 * DAY_S, NOW - 9 * DAY_S) == []
