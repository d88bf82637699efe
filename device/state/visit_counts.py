"""Anonymous visit counts per 15-minute bin: unidentified visitors, and check-ins past retention; and
the hours the kiosk was counting at all.

A check-in names a customer, so retention deletes it; the fact that someone came at 10:15 names no
one, so it is folded into a count first and kept for the forecast's year of history. Shares the
store's connection, lock and transactions (see `Store.visit_counts`), as the outbox does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from device.state.part import StorePart

BIN_S = 900
SCHEMA = """
CREATE TABLE IF NOT EXISTS unidentified_counts (bin_start REAL PRIMARY KEY, visits INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS retired_checkin_counts (
    bin_start REAL PRIMARY KEY,
    visits INTEGER NOT NULL,
    face_visits INTEGER,   -- of `visits`, by channel; the rest were recorded before the channel was
    token_visits INTEGER
);
-- The hours the kiosk was counting (its camera delivering frames): the forecast tells an hour without
-- visitors from an hour nobody counted. Names no one.
CREATE TABLE IF NOT EXISTS watched_hours (bin_start REAL PRIMARY KEY);
"""
WATCHED_BIN_S = 3600
_COUNT_TABLES = ("unidentified_counts", "retired_checkin_counts", "watched_hours")
# Check-ins retention may delete: old enough, and no longer waiting in the outbox for upload.
_RETIRABLE = "at < ? AND visit_id NOT IN (SELECT record_id FROM outbox)"
_BY_CUSTOMER = "customer_ref = ?"


class VisitCounts(StorePart):
    SCHEMA = SCHEMA
    ADDED_COLUMNS: ClassVar[Mapping[str, Mapping[str, type]]] = {
        "retired_checkin_counts": {"face_visits": int, "token_visits": int}
    }

    def count_unidentified(self, at: float) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO unidentified_counts (bin_start, visits) VALUES (?, 1) "
                "ON CONFLICT(bin_start) DO UPDATE SET visits = visits + 1",
                [at - at % BIN_S],
            )

    def mark_watched(self, at: float) -> None:
        """The kiosk was counting in the hour holding `at`."""
        with self._transaction():
            self._db.execute(
                "INSERT INTO watched_hours (bin_start) VALUES (?) ON CONFLICT(bin_start) DO NOTHING",
                [at - at % WATCHED_BIN_S],
            )

    def unidentified_total(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT COALESCE(SUM(visits), 0) FROM unidentified_counts").fetchone()
        return int(row[0])

    def keep_visits_of(self, customer_ref: str) -> None:
        """Inside the caller's transaction, before a forgotten customer's check-ins are deleted: each
        stays a +1 in its bin, so totals and the forecast's history do not change with a forget."""
        self._fold(_BY_CUSTOMER, customer_ref)

    def _fold(self, where: str, value: object) -> None:
        """Add the check-ins matching `where` (one of the constant conditions above) to their bins'
        nameless counts. Inside the caller's transaction, just before those check-ins are deleted."""
        # How they checked in (face or token) names no one either, and keeps the report's split honest.
        self._db.execute(
            "INSERT INTO retired_checkin_counts (bin_start, visits, face_visits, token_visits) "  # noqa: S608
            "SELECT at - at % ? AS bin, COUNT(*), SUM(channel IS 'face'), SUM(channel IS 'token') "
            f"FROM checkins WHERE {where} GROUP BY bin "
            "ON CONFLICT(bin_start) DO UPDATE SET visits = visits + excluded.visits, "
            "face_visits = COALESCE(face_visits, 0) + excluded.face_visits, "
            "token_visits = COALESCE(token_visits, 0) + excluded.token_visits",
            [BIN_S, value],
        )

    def retire_checkins(self, before: float, counts_before: float) -> tuple[int, int]:
        """Delete check-ins older than `before` that have left the outbox, keeping each as +1 in its
        bin, and every count older than `counts_before`. Returns (check-ins, count bins) deleted."""
        with self._transaction():
            self._fold(_RETIRABLE, before)
            checkins = self._db.execute(f"DELETE FROM checkins WHERE {_RETIRABLE}", [before]).rowcount  # noqa: S608
            counts = sum(
                self._db.execute(f"DELETE FROM {table} WHERE bin_start < ?", [counts_before]).rowcount  # noqa: S608
                for table in _COUNT_TABLES
            )
        return int(checkins), int(counts)
