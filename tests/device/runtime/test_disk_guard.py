"""Disk nearly full: queued aggregates go, check-ins and audit records stay, and the alarm is raised."""

from __future__ import annotations

from pathlib import Path

import pytest

from device.domain import CheckIn, Profile
from device.runtime import observability
from device.state.store import Store


def test_a_nearly_full_disk_drops_aggregates_and_keeps_check_ins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(tmp_path / "s.db")
    store.checkins.record(CheckIn("v1", "C1", "b1", "d", 1.0, "high", Profile("C1", "A")))
    with store._transaction():
        for i in range(3):
            store.outbox.enqueue("aggregate", f"agg-{i}", {"metric": "door_in", "value": i}, now=float(i))
    observability.guard_disk(store)  # this machine's real disk has room: nothing happens
    assert store.outbox.depth() == {"checkin": 1, "aggregate": 3}
    # Filling a real disk in a test is not an option: the free-space reading is what is replaced.
    monkeypatch.setattr(observability, "disk_free_mb", lambda _folder: 50.0)
    observability.guard_disk(store)
    assert store.outbox.depth() == {"checkin": 1}
    assert "ALARM: disk nearly full (50 MB free); 3 queued aggregate(s) dropped" in caplog.text
