"""Which days of a month a report covers: those that have ended, from the kiosk's first record on.

Averages over days still to come (or days before the kiosk was there) would read as quiet days. A
report run on 7 December covers 1-6 December, and says so. Pure: the caller gives today and the
first day the kiosk holds anything for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

DASH = "\u2013"  # the en dash of a printed range of days


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    first_day: date
    last_day: date
    notes: tuple[str, ...]  # why it is not the whole month; empty when it is

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def label(self) -> str:
        """ "1-6 December 2026, 6 days", with an en dash."""
        first, last = self.first_day, self.last_day
        count = "1 day" if self.days == 1 else f"{self.days} days"
        if first == last:
            return f"{last.day} {last:%B %Y}, {count}"
        if (first.year, first.month) == (last.year, last.month):
            return f"{first.day}{DASH}{last.day} {last:%B %Y}, {count}"
        return f"{first.day} {first:%B}{DASH}{last.day} {last:%B %Y}, {count}"


def _day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def report_period(first_day: date, last_day: date, today: date, records_from: date | None) -> ReportPeriod:
    """The days of [first_day, last_day] to report on. A ValueError says why there are none yet."""
    month = f"{first_day:%B %Y}"
    if first_day > today:
        raise ValueError(f"{month} has not begun yet: it starts on {_day(first_day)}")
    if first_day == today:
        raise ValueError(
            f"{month} began today: a report covers whole days, so its first day can be reported tomorrow"
        )
    last = min(last_day, today - timedelta(days=1))
    first = first_day
    notes = []
    if last < last_day:
        ended = (last - first_day).days + 1
        age = "1 day old" if ended == 1 else f"{ended} days old"
        notes.append(
            f"The month is {age}: this report covers the days that have ended, and its averages are over "
            "those days only."
        )
    if records_from is not None and first_day < records_from:
        if records_from <= last:
            first = records_from
            notes.append(
                f"The kiosk's records start on {_day(records_from)}: the days before are left out rather "
                "than counted as days without visitors."
            )
        else:
            notes.append(
                f"The kiosk's records start on {_day(records_from)}: it holds nothing for these days (not "
                "recorded yet, or past their retention)."
            )
    return ReportPeriod(first, last, tuple(notes))
