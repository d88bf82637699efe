"""History: 15-minute bins close on the clock's quarter hours and are stored once, in real SQLite."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from device.floor.bins_store import FloorBinStore
from device.floor.model import FloorModel
from device.floor.records import FloorBin
from tests.conftest import REPO
from tests.device.floor.plan import BRANCH, T0
from tests.device.floor.test_footfall import MORNING
from tests.device.floor.walkers import frames
from tests.disks import small_disk

# The morning scene starts 30 s before a quarter hour: the five come in before it, three leave after.
START = T0 + 870.0
QUARTER = T0 + 900.0


def morning_model() -> FloorModel:
    model = FloorModel(BRANCH)
    for t, observations in frames(MORNING, start=START, end=60.0):
        model.ingest(t, observations, frame_period_s=0.1)
    return model


def test_bins_close_on_quarter_hours_and_only_once_finished() -> None:
    model = morning_model()
    assert model.close_bins(QUARTER - 1) == []
    [first] = model.close_bins(QUARTER)
    assert (first.start, first.end) == (T0, QUARTER)
    assert first.line_in == {"main": 5} and first.line_out == {"main": 0}
    assert abs(first.observed_s - 30.0) < 1e-6
    assert model.close_bins(QUARTER + 899) == []  # the second quarter is still running
    [second] = model.close_bins(QUARTER + 900)
    assert second.start == QUARTER
    assert second.line_in == {"main": 0} and second.line_out == {"main": 3}
    assert second.zone_visits == {"queue": 2, "counter 1": 0, "waiting": 1}
    mean_queue = second.zone_mean_dwell_s["queue"]
    assert mean_queue is not None and abs(mean_queue - 32.0) <= 1.5
    assert second.zone_mean_dwell_s["counter 1"] is None
    assert first.occupancy_max == 5 and 0 < first.occupancy_mean < 5
    # The heat map holds the people's time on the floor: about 5 people x tens of seconds, all inside.
    assert 0 < first.grid.sum() <= 30.0 * 5
    assert model.close_bins(QUARTER + 5000) == []  # no frames, no invented empty bins


def test_bins_persist_idempotently_and_read_back_equal(tmp_path: Path) -> None:
    model = morning_model()
    bins = model.close_bins(QUARTER + 900)
    database = tmp_path / "state" / "branchdoor.db"
    store = FloorBinStore(database)
    assert store.save(bins) == 2
    assert store.save(bins) == 0  # a retried save changes nothing
    store.close()

    reopened = FloorBinStore(database)
    stored = reopened.bins(T0, QUARTER + 900)
    assert stored == bins
    for saved, original in zip(stored, bins, strict=True):
        assert np.array_equal(saved.grid, original.grid)
    assert reopened.bins(QUARTER, QUARTER + 900) == bins[1:]  # [since, until): the first bin is before
    assert reopened.bins(T0, QUARTER) == bins[:1]
    reopened.close()
    # WAL is a property of the file: the daemon's other connections see it too.
    with closing(sqlite3.connect(database)) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_summed_grid_adds_the_bins_in_range(tmp_path: Path) -> None:
    bins = morning_model().close_bins(QUARTER + 900)
    store = FloorBinStore(tmp_path / "branchdoor.db")
    store.save(bins)
    total = store.summed_grid(T0, QUARTER + 900)
    assert total is not None and total.shape == BRANCH.grid_shape
    np.testing.assert_allclose(total, bins[0].grid + bins[1].grid, rtol=1e-6)
    assert store.summed_grid(T0 - 900, T0) is None


def test_a_bin_serialises_to_json_ready_data() -> None:
    [first, _] = morning_model().close_bins(QUARTER + 900)
    data = first.to_dict()
    assert data["lines"] == {"main": {"in": 5, "out": 0}}
    assert data["grid_shape"] == [24, 32] and len(data["grid_s"]) == 24


def split_morning(stop_at: float) -> tuple[list[FloorBin], FloorModel]:
    """The morning scene up to `stop_at`, then the model stops; a fresh model resumes what it kept."""
    before = FloorModel(BRANCH)
    after = FloorModel(BRANCH)
    kept: list[FloorBin] = []
    finished: list[FloorBin] = []
    for t, observations in frames(MORNING, start=START, end=60.0):
        if t >= stop_at and not kept:
            finished += before.close_bins(t)
            kept = before.take_open_bins()
            finished += after.resume(kept, t)
        (before if t < stop_at else after).ingest(t, observations, frame_period_s=0.1)
    return finished, after


def test_a_restart_carries_on_the_quarter_hour_that_was_running() -> None:
    uninterrupted = morning_model().close_bins(QUARTER + 900)
    finished, resumed = split_morning(stop_at=QUARTER + 20.0)  # stopped 20 s into the second quarter
    carried_on = finished + resumed.close_bins(QUARTER + 900)
    assert [b.start for b in carried_on] == [b.start for b in uninterrupted]
    for got, want in zip(carried_on, uninterrupted, strict=True):
        assert got.line_in == want.line_in
        assert got.observed_s == pytest.approx(want.observed_s, abs=0.2)
        assert got.occupancy_max == want.occupancy_max
        assert got.grid.sum() == pytest.approx(want.grid.sum(), rel=0.05)
    # Nobody is double-counted: the people present at the stop are new tracks to the resumed model,
    # but crossings are what the door counts, and none happened during the restart.
    assert sum(b.line_out["main"] for b in carried_on) <= 3


def test_a_bin_kept_at_stop_whose_quarter_ended_meanwhile_is_stored_as_it_was() -> None:
    model = morning_model()
    kept = model.take_open_bins()
    assert [b.start for b in kept] == [T0, QUARTER]
    later = FloorModel(BRANCH)
    assert later.resume(kept, now=QUARTER + 3600) == kept
    assert later.close_bins(QUARTER + 7200) == []


def test_open_bins_are_kept_on_disk_and_taken_back_once(tmp_path: Path) -> None:
    kept = morning_model().take_open_bins()
    store = FloorBinStore(tmp_path / "branchdoor.db")
    store.keep_open(kept)
    store.close()
    reopened = FloorBinStore(tmp_path / "branchdoor.db")
    assert reopened.take_open() == kept
    assert reopened.take_open() == []  # a crash after resuming cannot resume the same bin again
    assert reopened.bins(T0, QUARTER + 900) == []  # kept bins are not history until finished


@pytest.mark.subprocess
def test_a_save_a_full_disk_refuses_says_so_and_succeeds_once_there_is_room(tmp_path: Path) -> None:
    with small_disk(tmp_path / "state", "1m") as disk:
        store = FloorBinStore(disk.path / "b.db")
        try:
            disk.fill()
            # More than SQLite's page cache holds: it spills, fails and rolls the transaction back itself.
            grid = np.zeros((300, 300), np.float32)
            big = [FloorBin(T0 + 900 * i, 900, 900.0, {}, {}, {}, {}, 0, 0.0, grid) for i in range(10)]
            with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
                store.save(big)
            disk.grow("64m")
            assert store.save(big) == 10
        finally:
            store.close()


BINS_UNDER_UMASK_022 = """
import json, os, stat, sys
from pathlib import Path
os.umask(0o022)
from device.floor.bins_store import FloorBinStore
state = Path(sys.argv[1])
FloorBinStore(state / "branchdoor.db").close()
print(json.dumps({str(p): stat.S_IMODE(p.stat().st_mode) for p in [state, *state.rglob("*")]}))
"""


@pytest.mark.subprocess  # the umask is the whole process's
def test_the_floor_store_made_first_under_umask_022_is_owner_only(tmp_path: Path) -> None:
    """`sudo branchdoor heatmap` on a new kiosk makes the database before anything else does."""
    state = tmp_path / "state"
    done = subprocess.run(
        [sys.executable, "-c", BINS_UNDER_UMASK_022, str(state)], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    modes = json.loads(done.stdout)
    assert modes.pop(str(state)) == 0o700
    assert modes and all(mode == 0o600 for mode in modes.values()), modes


def test_the_spread_of_dwells_is_kept_on_disk_and_across_a_restart(tmp_path: Path) -> None:
    # The staffing plan needs the variability of service times and waits, not only their mean.
    model = morning_model()
    kept = model.take_open_bins()
    queue = kept[1]
    mean = queue.zone_mean_dwell_s["queue"]
    assert mean is not None and queue.zone_visits["queue"] == 2
    spread = queue.zone_dwell_sq_s["queue"] - 2 * mean * mean
    assert spread > 0  # two people did not wait exactly as long
    store = FloorBinStore(tmp_path / "branchdoor.db")
    store.save(kept)
    assert store.bins(T0, QUARTER + 900)[1].zone_dwell_sq_s == queue.zone_dwell_sq_s
    store.close()
    later = FloorModel(BRANCH)
    assert later.resume(kept, now=QUARTER + 100) == kept[:1]
    [carried_on] = later.close_bins(QUARTER + 900)
    assert carried_on.zone_dwell_sq_s["queue"] == pytest.approx(queue.zone_dwell_sq_s["queue"])
