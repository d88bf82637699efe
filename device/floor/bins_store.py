"""Floor history on disk: finished bins in the device's SQLite file, in tables of their own.

This module owns every floor SQL statement. It shares the database file with `device.state.store` but not its
tables (all prefixed `floor_`), so the two can evolve separately.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np

from common.private_files import keep_private, make_private_dir
from common.sqlite_transaction import immediate_transaction
from device.floor.coverage import StoredAround
from device.floor.records import FloorBin, Grid, ZoneStays

_SCHEMA = """
CREATE TABLE IF NOT EXISTS floor_bins (
    bin_start REAL PRIMARY KEY,
    bin_s INTEGER NOT NULL,
    observed_s REAL NOT NULL,
    occupancy_max INTEGER NOT NULL,
    occupancy_mean REAL NOT NULL,
    lines TEXT NOT NULL,       -- {"main": {"in": 5, "out": 3}}
    zones TEXT NOT NULL,       -- {"queue": {"visits": 2, "mean_dwell_s": 31.8, "dwell_sq_s": 2100.5}}
    grid_rows INTEGER NOT NULL,
    grid_cols INTEGER NOT NULL,
    grid BLOB NOT NULL         -- float32 occupancy-seconds, row-major, little-endian
);
-- The quarter hour still running when the daemon stopped, to be carried on at the next start.
CREATE TABLE IF NOT EXISTS floor_open_bins AS SELECT * FROM floor_bins WHERE 0;
"""
_COLUMNS = (
    "bin_start, bin_s, observed_s, occupancy_max, occupancy_mean, lines, zones, grid_rows, grid_cols, grid"
)


class FloorBinStore:
    def __init__(self, path: Path) -> None:
        make_private_dir(path.parent)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=5.0)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        keep_private(path)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def save(self, bins: list[FloorBin]) -> int:
        """Store finished bins in one transaction; a bin already stored is kept. Returns how many were new."""
        rows = [_row(floor_bin) for floor_bin in bins]
        with self._transaction():
            before = self._db.total_changes
            # A retried save after a crash or lost acknowledgement writes the same bin again: ignore it.
            self._db.executemany(
                """
                INSERT INTO floor_bins (bin_start, bin_s, observed_s, occupancy_max, occupancy_mean,
                                        lines, zones, grid_rows, grid_cols, grid)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(bin_start) DO NOTHING
                """,
                rows,
            )
            return self._db.total_changes - before

    def keep_open(self, bins: list[FloorBin]) -> None:
        """At stop: the unfinished bins, replacing any kept before."""
        with self._transaction():
            self._db.execute("DELETE FROM floor_open_bins")
            self._db.executemany(
                f"INSERT INTO floor_open_bins ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                [_row(floor_bin) for floor_bin in bins],
            )

    def take_open(self) -> list[FloorBin]:
        """At start: the bins kept open at the last stop, removed so a crash cannot resume them twice."""
        with self._transaction():
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM floor_open_bins ORDER BY bin_start").fetchall()  # noqa: S608
            self._db.execute("DELETE FROM floor_open_bins")
        return [_from_row(row) for row in rows]

    def _transaction(self) -> AbstractContextManager[None]:
        return immediate_transaction(self._db, self._lock)

    def bins(self, since: float, until: float) -> list[FloorBin]:
        """Bins starting in [since, until), oldest first."""
        with self._lock:
            rows = self._db.execute(
                """
                SELECT bin_start, bin_s, observed_s, occupancy_max, occupancy_mean, lines, zones,
                       grid_rows, grid_cols, grid
                FROM floor_bins WHERE bin_start >= ? AND bin_start < ? ORDER BY bin_start
                """,
                [since, until],
            ).fetchall()
        return [_from_row(row) for row in rows]

    def zone_stays(self, since: float, until: float) -> list[ZoneStays]:
        """Zone stays of the bins starting in [since, until), oldest first, without their grids."""
        with self._lock:
            rows = self._db.execute(
                "SELECT bin_start, zones FROM floor_bins WHERE bin_start >= ? AND bin_start < ? "
                "ORDER BY bin_start",
                [since, until],
            ).fetchall()
        stays = []
        for start, zones_json in rows:
            zones: dict[str, dict[str, Any]] = json.loads(zones_json)
            stays.append(
                ZoneStays(
                    start,
                    {name: zone["visits"] for name, zone in zones.items()},
                    {name: zone["mean_dwell_s"] for name, zone in zones.items()},
                    {
                        name: zone["dwell_sq_s"]
                        for name, zone in zones.items()
                        if zone.get("dwell_sq_s") is not None
                    },
                )
            )
        return stays

    def around(self, since: float, until: float) -> StoredAround:
        """What is stored before, after and besides [since, until): to say why it holds nothing."""
        with self._lock:
            first, last_end, observed_end = self._db.execute(
                "SELECT MIN(bin_start), MAX(CASE WHEN bin_start < ? THEN bin_start + bin_s END), "
                "MAX(CASE WHEN bin_start < ? AND observed_s > 0 THEN bin_start + bin_s END) FROM floor_bins",
                [until, until],
            ).fetchone()
            (following,) = self._db.execute(
                "SELECT MIN(bin_start) FROM floor_bins WHERE bin_start >= ?", [until]
            ).fetchone()
            (kept_open,) = self._db.execute("SELECT MIN(bin_start) FROM floor_open_bins").fetchone()
        return StoredAround(first, last_end, observed_end, following, kept_open)

    def summed_grid(self, since: float, until: float) -> Grid | None:
        """Occupancy-seconds per cell over bins starting in [since, until); None when nothing is stored."""
        with self._lock:
            rows = self._db.execute(
                """
                SELECT grid_rows, grid_cols, grid FROM floor_bins
                WHERE bin_start >= ? AND bin_start < ? ORDER BY bin_start
                """,
                [since, until],
            ).fetchall()
        total: Grid | None = None
        for grid_rows, grid_cols, blob in rows:
            grid = _grid(grid_rows, grid_cols, blob)
            if total is None:
                total = grid.copy()
            elif total.shape != grid.shape:
                # The floor plan (size or cell) changed inside the range: cells no longer line up.
                raise ValueError(f"grids of {total.shape} and {grid.shape} cells cannot be summed")
            else:
                total += grid
        return total


def read_period(database: Path, since: float, until: float) -> tuple[list[FloorBin], StoredAround]:
    """A period's finished bins and what is stored around it (for saying why some are missing)."""
    store = FloorBinStore(database)
    try:
        return store.bins(since, until), store.around(since, until)
    finally:
        store.close()


def _row(floor_bin: FloorBin) -> list[Any]:
    lines = {
        name: {"in": floor_bin.line_in[name], "out": floor_bin.line_out[name]} for name in floor_bin.line_in
    }
    zones = {
        name: {
            "visits": floor_bin.zone_visits[name],
            "mean_dwell_s": floor_bin.zone_mean_dwell_s[name],
            "dwell_sq_s": floor_bin.zone_dwell_sq_s.get(name),
        }
        for name in floor_bin.zone_visits
    }
    rows, cols = floor_bin.grid.shape
    return [
        floor_bin.start,
        floor_bin.bin_s,
        floor_bin.observed_s,
        floor_bin.occupancy_max,
        floor_bin.occupancy_mean,
        json.dumps(lines, sort_keys=True),
        json.dumps(zones, sort_keys=True),
        rows,
        cols,
        floor_bin.grid.astype("<f4").tobytes(),
    ]


def _grid(rows: int, cols: int, blob: bytes) -> Grid:
    return np.frombuffer(blob, dtype="<f4").reshape(rows, cols).astype(np.float32)


def _from_row(row: tuple[Any, ...]) -> FloorBin:
    start, bin_s, observed_s, occupancy_max, occupancy_mean, lines_json, zones_json, rows, cols, blob = row
    lines: dict[str, dict[str, int]] = json.loads(lines_json)
    zones: dict[str, dict[str, Any]] = json.loads(zones_json)
    return FloorBin(
        start=start,
        bin_s=bin_s,
        observed_s=observed_s,
        line_in={name: counts["in"] for name, counts in lines.items()},
        line_out={name: counts["out"] for name, counts in lines.items()},
        zone_visits={name: zone["visits"] for name, zone in zones.items()},
        zone_mean_dwell_s={name: zone["mean_dwell_s"] for name, zone in zones.items()},
        occupancy_max=occupancy_max,
        occupancy_mean=occupancy_mean,
        grid=_grid(rows, cols, blob),
        # Bins stored before the squared dwells were kept have none: their spread is unknown.
        zone_dwell_sq_s={
            name: zone["dwell_sq_s"] for name, zone in zones.items() if zone.get("dwell_sq_s") is not None
        },
    )
