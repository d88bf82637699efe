"""The queries behind branch statistics and the forecast over the store's own tables, and the forecast's
way into the outbox.

Shares the store's connection, lock and transactions (`AnalyticsData.of(store)`), as the outbox does:
the one place outside device/state/ that reads the store's tables, so that statistics can grow
without crowding the store (the architecture test names it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from device.analytics.series import HOUR_S, HourlyHistory
from device.state.outbox import Outbox
from device.state.part import SharedConnection, StorePart
from device.state.store import Store

UNIDENTIFIED_BIN_S = 900


@dataclass(frozen=True, slots=True)
class VisitBin:
    start: float
    identified: int  # consented customers' check-ins, by face or by token
    unidentified: int
    by_token: int = 0  # of `identified`: a QR code or card scanned, no face involved
    channel_unknown: int = 0  # of `identified`: recorded before the kiosk noted the channel

    @property
    def visits(self) -> int:
        return self.identified + self.unidentified

    @property
    def by_face(self) -> int:
        return self.identified - self.by_token - self.channel_unknown


@dataclass(frozen=True, slots=True)
class Visitor:
    """A consented customer who checked in during a period, as statistics may see them: no name."""

    customer_ref: str
    visits: int
    birth_year_band: str | None
    interests: tuple[str, ...]


class AnalyticsData(StorePart):
    def __init__(self, shared: SharedConnection, outbox: Outbox) -> None:
        super().__init__(shared)
        self._outbox = outbox

    @classmethod
    def of(cls, store: Store) -> AnalyticsData:
        """The analytics reads over an open store, in its connection and transactions."""
        return cls(store.shared, store.outbox)

    def visit_bins(self, since: float, until: float, bin_s: int = UNIDENTIFIED_BIN_S) -> list[VisitBin]:
        """Check-ins and unidentified visits per bin starting in [since, until), only bins with visits.

        `bin_s` is a multiple of the 15 minutes unidentified visits are counted in."""
        if bin_s % UNIDENTIFIED_BIN_S:
            raise ValueError(f"bin_s must be a multiple of {UNIDENTIFIED_BIN_S}")
        with self._lock:
            # Check-ins past retention are held only as counts; they still happened.
            identified = self._db.execute(
                "SELECT CAST(t / ? AS INTEGER) * ? AS bin, SUM(n), SUM(token), SUM(unknown) FROM ("
                "SELECT at AS t, 1 AS n, channel IS 'token' AS token, channel IS NULL AS unknown "
                "FROM checkins UNION ALL "
                "SELECT bin_start, visits, COALESCE(token_visits, 0), "
                "visits - COALESCE(face_visits, 0) - COALESCE(token_visits, 0) FROM retired_checkin_counts"
                ") WHERE t >= ? AND t < ? GROUP BY bin",
                [bin_s, bin_s, since, until],
            ).fetchall()
            unidentified = self._db.execute(
                "SELECT CAST(bin_start / ? AS INTEGER) * ? AS bin, SUM(visits) FROM unidentified_counts "
                "WHERE bin_start >= ? AND bin_start < ? GROUP BY bin",
                [bin_s, bin_s, since, until],
            ).fetchall()
        known = {float(row[0]): tuple(int(n) for n in row[1:]) for row in identified}
        unknown = {float(start): int(count) for start, count in unidentified}
        bins = []
        for start in sorted(set(known) | set(unknown)):
            checkins, by_token, channel_unknown = known.get(start, (0, 0, 0))
            bins.append(VisitBin(start, checkins, unknown.get(start, 0), by_token, channel_unknown))
        return bins

    def first_visit_at(self) -> float | None:
        """When the local history starts: the oldest check-in or unidentified visit held."""
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(t) FROM (SELECT MIN(at) AS t FROM checkins "
                "UNION ALL SELECT MIN(bin_start) FROM unidentified_counts "
                "UNION ALL SELECT MIN(bin_start) FROM retired_checkin_counts)"
            ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def retired_checkins(self, since: float, until: float) -> int:
        """Check-ins in [since, until) that retention has turned into anonymous counts."""
        with self._lock:
            row = self._db.execute(
                "SELECT COALESCE(SUM(visits), 0) FROM retired_checkin_counts "
                "WHERE bin_start >= ? AND bin_start < ?",
                [since, until],
            ).fetchone()
        return int(row[0])

    def visitors(self, since: float, until: float) -> list[Visitor]:
        """Customers with check-ins in [since, until) and the consented profile fields statistics use."""
        with self._lock:
            rows = self._db.execute(
                """
                SELECT k.customer_ref, COUNT(*), c.birth_year_band, COALESCE(c.interests, '[]')
                FROM checkins k LEFT JOIN customers c ON c.customer_ref = k.customer_ref
                WHERE k.at >= ? AND k.at < ?
                GROUP BY k.customer_ref ORDER BY k.customer_ref
                """,
                [since, until],
            ).fetchall()
        return [Visitor(row[0], int(row[1]), row[2], tuple(json.loads(row[3]))) for row in rows]

    def hourly_history(self, until: float, max_days: int) -> HourlyHistory | None:
        """Visits per hour from the first one held (at most `max_days` back) up to `until`, with the
        hours the kiosk watched."""
        first = self.first_visit_at()
        if first is None or first >= until:
            return None
        since = max(first, until - max_days * 24 * HOUR_S)
        bins = {b.start: b.visits for b in self.visit_bins(since, until, bin_s=HOUR_S)}
        return HourlyHistory.from_bins(bins, since, until, self.watched(since, until))

    def watched(self, since: float, until: float) -> Callable[[float], bool]:
        """Whether the kiosk was counting in the hour starting at a time in [since, until). Hours before
        the first one it recorded were counted by a kiosk that kept no such record (or imported): they
        are taken as watched, as the forecast took every hour before."""
        with self._lock:
            first = self._db.execute("SELECT MIN(bin_start) FROM watched_hours").fetchone()[0]
            rows = self._db.execute(
                "SELECT bin_start FROM watched_hours WHERE bin_start >= ? AND bin_start < ?",
                [since - since % HOUR_S, until],
            ).fetchall()
        hours = frozenset(float(row[0]) for row in rows)
        recorded_from = float("inf") if first is None else float(first)
        return lambda start: start < recorded_from or start in hours

    def queue_aggregates(self, records: Iterable[tuple[str, dict[str, Any]]], now: float) -> int:
        """Queue anonymous aggregate records (record_id, AggregateRecord payload) for upload, all in one
        transaction."""
        count = 0
        with self._transaction():
            for record_id, payload in records:
                self._outbox.enqueue("aggregate", record_id, payload, now)
                count += 1
        return count

    def import_unidentified_counts(self, bins: Iterable[tuple[float, int]]) -> int:
        """Add visit counts per 15-minute bin in one transaction: for importing history (and loading
        benchmarks and tests), where one transaction per visit would take minutes."""
        rows = [(start - start % UNIDENTIFIED_BIN_S, int(visits)) for start, visits in bins if visits > 0]
        with self._transaction():
            self._db.conn.executemany(
                "INSERT INTO unidentified_counts (bin_start, visits) VALUES (?, ?) "
                "ON CONFLICT(bin_start) DO UPDATE SET visits = visits + excluded.visits",
                rows,
            )
        return len(rows)
