"""Visit statistics of one period, from anonymous counts, consented visitors' check-ins and floor bins.

Pure: the caller reads the data (device.analytics.data, device.floor.bins_store) and passes it in.
All times are the branch's local time, as a manager reads them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from device.analytics.data import VisitBin, Visitor
from device.analytics.privacy import Group, K, suppress_small_groups
from device.floor.records import FloorBin

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Dwell and wait buckets a manager thinks in, in minutes.
DURATION_BUCKETS_MIN = (0, 1, 3, 5, 10, 20)
NO_BAND = "not given"


@dataclass(frozen=True, slots=True)
class Busiest:
    weekday: int
    hour: int
    mean_visits: float

    def label(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.hour:02d}:00-{self.hour + 1:02d}:00"


@dataclass(frozen=True, slots=True)
class Durations:
    """Visit-weighted distribution of zone dwell times, from the 15-minute bins' mean dwell."""

    visits: int
    median_s: float | None
    p90_s: float | None
    buckets: tuple[tuple[str, int], ...]  # (label, visits)


@dataclass(frozen=True, slots=True)
class DoorDay:
    """One day's door-line crossings from the floor bins; observed_s 0: no sensor reported that day."""

    day: date
    line_in: Mapping[str, int]
    line_out: Mapping[str, int]
    observed_s: float

    @property
    def ins(self) -> int:
        return sum(self.line_in.values())

    @property
    def outs(self) -> int:
        return sum(self.line_out.values())


@dataclass(frozen=True, slots=True)
class VisitStats:
    first_day: date
    last_day: date
    visits: int
    identified: int  # consented customers' check-ins, by face or by token
    unidentified: int
    by_token: int  # of `identified`: a QR code or card scanned, no face involved
    channel_unknown: int  # of `identified`: recorded before the kiosk noted the channel
    per_day: tuple[tuple[date, int], ...]
    hour_weekday: npt.NDArray[np.float64]  # 7 x 24 mean visits per hour, Monday first
    weekday_mean: tuple[float, ...]  # mean visits per weekday (days of that weekday in the period)
    quarter_hour_profile: npt.NDArray[np.float64]  # 96 mean visits per 15 minutes over open days
    busiest: tuple[Busiest, ...]
    customers: int
    repeat_groups: tuple[Group, ...]
    age_groups: tuple[Group, ...]
    interest_groups: tuple[Group, ...]
    dwell: Durations | None
    queue_wait: Durations | None
    doors: tuple[DoorDay, ...]  # every day of the period, when the floor has door lines
    k: int

    @property
    def by_face(self) -> int:
        return self.identified - self.by_token - self.channel_unknown

    @property
    def face_share(self) -> float:
        return self.by_face / self.visits if self.visits else 0.0

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def open_days(self) -> int:
        return sum(1 for _, visits in self.per_day if visits)


def _days(first_day: date, last_day: date) -> list[date]:
    return [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]


def visit_stats(
    first_day: date,
    last_day: date,
    bins: Sequence[VisitBin],
    visitors: Sequence[Visitor],
    floor_bins: Sequence[FloorBin] = (),
    zone_kinds: Mapping[str, str] | None = None,
    k: int = K,
    door_lines: Sequence[str] = (),
) -> VisitStats:
    """Statistics of the days first_day..last_day; `bins` are 15-minute visit bins of those days."""
    days = _days(first_day, last_day)
    per_day: dict[date, int] = dict.fromkeys(days, 0)
    slot_totals = np.zeros((7, 24))
    quarter = np.zeros(96)
    for visit_bin in bins:
        local = datetime.fromtimestamp(visit_bin.start)
        if local.date() not in per_day:
            continue
        per_day[local.date()] += visit_bin.visits
        slot_totals[local.weekday(), local.hour] += visit_bin.visits
        quarter[local.hour * 4 + local.minute // 15] += visit_bin.visits
    weekday_count = np.bincount([day.weekday() for day in days], minlength=7).astype(np.float64)
    hour_weekday = slot_totals / np.maximum(weekday_count, 1)[:, None]
    open_days = max(1, sum(1 for visits in per_day.values() if visits))
    weekday_mean = tuple(float(v) for v in slot_totals.sum(axis=1) / np.maximum(weekday_count, 1))
    ranked = sorted(
        ((hour_weekday[d, h], d, h) for d in range(7) for h in range(24) if hour_weekday[d, h] > 0),
        reverse=True,
    )
    held = [b for b in bins if datetime.fromtimestamp(b.start).date() in per_day]
    identified = sum(b.identified for b in held)
    unidentified = sum(b.unidentified for b in held)
    kinds = zone_kinds or {}
    return VisitStats(
        first_day=first_day,
        last_day=last_day,
        visits=identified + unidentified,
        identified=identified,
        unidentified=unidentified,
        by_token=sum(b.by_token for b in held),
        channel_unknown=sum(b.channel_unknown for b in held),
        per_day=tuple(per_day.items()),
        hour_weekday=hour_weekday,
        weekday_mean=weekday_mean,
        quarter_hour_profile=quarter / open_days,
        busiest=tuple(Busiest(d, h, float(mean)) for mean, d, h in ranked[:3]),
        customers=len(visitors),
        repeat_groups=tuple(_repeat_groups(visitors, k)),
        age_groups=tuple(_age_groups(visitors, last_day.year, k)),
        interest_groups=tuple(_interest_groups(visitors, k)),
        dwell=_durations(floor_bins, [name for name, kind in kinds.items() if kind != "queue"]),
        queue_wait=_durations(floor_bins, [name for name, kind in kinds.items() if kind == "queue"]),
        doors=_door_days(days, floor_bins, door_lines) if door_lines else (),
        k=k,
    )


def _door_days(
    days: Sequence[date], floor_bins: Sequence[FloorBin], lines: Sequence[str]
) -> tuple[DoorDay, ...]:
    ins = {day: dict.fromkeys(lines, 0) for day in days}
    outs = {day: dict.fromkeys(lines, 0) for day in days}
    observed = dict.fromkeys(days, 0.0)
    for floor_bin in floor_bins:
        day = datetime.fromtimestamp(floor_bin.start).date()
        if day not in observed:
            continue
        observed[day] += floor_bin.observed_s
        for line in lines:
            ins[day][line] += floor_bin.line_in.get(line, 0)
            outs[day][line] += floor_bin.line_out.get(line, 0)
    return tuple(DoorDay(day, ins[day], outs[day], observed[day]) for day in days)


def _repeat_groups(visitors: Sequence[Visitor], k: int) -> list[Group]:
    groups: dict[str, set[str]] = {"1 visit": set(), "2 visits": set(), "3 or more visits": set()}
    for visitor in visitors:
        label = {1: "1 visit", 2: "2 visits"}.get(visitor.visits, "3 or more visits")
        groups[label].add(visitor.customer_ref)
    return suppress_small_groups(groups, k, other_label="other visit counts")


def age_label(band: str, year: int) -> str:
    """ "1980-1989" in 2026 -> "aged 37-46 (born 1980s)": the ages reached this year."""
    first, last = (int(part) for part in band.split("-"))
    return f"aged {year - last}-{year - first} (born {first}s)"


def _age_groups(visitors: Sequence[Visitor], year: int, k: int) -> list[Group]:
    groups: dict[str, set[str]] = defaultdict(set)
    # Youngest first; customers whose profile gives no band are a group of their own, last.
    for visitor in sorted(visitors, key=lambda v: v.birth_year_band or "0", reverse=True):
        label = age_label(visitor.birth_year_band, year) if visitor.birth_year_band else NO_BAND
        groups[label].add(visitor.customer_ref)
    if NO_BAND in groups:
        groups[NO_BAND] = groups.pop(NO_BAND)
    return suppress_small_groups(groups, k, other_label="other ages")


def _interest_groups(visitors: Sequence[Visitor], k: int) -> list[Group]:
    groups: dict[str, set[str]] = defaultdict(set)
    for visitor in visitors:
        for interest in visitor.interests:
            groups[interest.strip().lower()].add(visitor.customer_ref)
    ordered = dict(sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])))
    return suppress_small_groups(ordered, k, other_label="other interests", partition=False)


def _durations(floor_bins: Sequence[FloorBin], zones: Sequence[str]) -> Durations | None:
    values: list[float] = []
    weights: list[int] = []
    for floor_bin in floor_bins:
        for zone in zones:
            visits = floor_bin.zone_visits.get(zone, 0)
            dwell = floor_bin.zone_mean_dwell_s.get(zone)
            if visits and dwell is not None:
                values.append(dwell)
                weights.append(visits)
    if not weights:
        return None
    order = np.argsort(values)
    sorted_values = np.asarray(values)[order]
    cumulative = np.cumsum(np.asarray(weights)[order]) / sum(weights)
    edges = [*DURATION_BUCKETS_MIN[1:], None]
    buckets = []
    for low, high in zip(DURATION_BUCKETS_MIN, edges, strict=True):
        top = float("inf") if high is None else high * 60
        inside = sum(w for v, w in zip(values, weights, strict=True) if low * 60 <= v < top)
        buckets.append((f"{low}-{high} min" if high is not None else f"{low}+ min", inside))
    return Durations(
        visits=sum(weights),
        median_s=float(sorted_values[np.searchsorted(cumulative, 0.5)]),
        p90_s=float(sorted_values[np.searchsorted(cumulative, 0.9)]),
        buckets=tuple(buckets),
    )
