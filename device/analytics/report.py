"""The branch manager's monthly report: one self-contained HTML file (charts inlined as PNG data).

Pure assembly: the numbers come from device.analytics.stats and .forecast, the charts from .plots.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from device.analytics import plots
from device.analytics.config import AnalyticsConfig
from device.analytics.period import ReportPeriod
from device.analytics.privacy import Group
from device.analytics.series import Forecast, HourlyHistory
from device.analytics.stats import WEEKDAYS, Durations, VisitStats

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2rem auto; max-width: 62rem; color: #1d2733;
       line-height: 1.45; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #1f5fa8; }
.period { color: #52606d; margin-top: 0; }
.partial { background: #fff4e5; border-left: 4px solid #d9822b; padding: 0.4rem 0.8rem; }
.numbers { display: flex; flex-wrap: wrap; gap: 1rem; }
.number { background: #f0f4f8; border-radius: 6px; padding: 0.7rem 1rem; min-width: 9rem; }
.number b { display: block; font-size: 1.6rem; color: #1f5fa8; }
.note { color: #52606d; font-size: 0.9rem; }
img { max-width: 100%; height: auto; display: block; margin: 0.8rem 0; }
table { border-collapse: collapse; margin: 0.6rem 0; }
td, th { border-bottom: 1px solid #d9e2ec; padding: 0.25rem 0.8rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
"""


@dataclass(frozen=True, slots=True)
class ReportInput:
    branch_id: str
    month: str  # e.g. "2026-11"
    period: ReportPeriod  # the days covered: those of the month that have ended
    stats: VisitStats
    forecast: Forecast | None
    forecast_note: str  # why there is no forecast, or how it was made
    recent: HourlyHistory | None  # the last week before the forecast, as it happened
    floor_png: bytes | None
    floor_note: str
    generated_at: datetime
    retired_checkins: int = 0  # the period's check-ins past retention: counted, no longer named
    checkin_retention_days: float = 7.0
    staffing: str = ""  # the staffing plan's section, as HTML (device/staffing/report.py)


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _number(value: str, label: str) -> str:
    return f'<div class="number"><b>{html.escape(value)}</b>{html.escape(label)}</div>'


def _minutes(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f} min"


def render_report(data: ReportInput) -> str:
    stats = data.stats
    title = f"Branch {data.branch_id}: visits and outlook, {data.month}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<link rel="icon" href="data:,">',  # no favicon request: the file is opened on its own
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="period">{html.escape(data.period.label())}, local time. '
        f"Generated {data.generated_at:%Y-%m-%d %H:%M}.</p>",
        *(f'<p class="partial">{html.escape(note)}</p>' for note in data.period.notes),
        _summary(stats),
        _visits(stats),
        _people(stats, data.retired_checkins, data.checkin_retention_days),
        _floor(stats, data.floor_png, data.floor_note),
        _outlook(data.forecast, data.forecast_note, data.recent),
        data.staffing,
        '<p class="note">Made by the branch door kiosk from anonymous visit counts and the check-ins of '
        "customers who consented to face check-in. Ages and interests come from those customers' bank "
        "profiles, never from a camera. No group of fewer than "
        f"{stats.k} customers is shown.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _summary(stats: VisitStats) -> str:
    busiest = stats.busiest[0].label() if stats.busiest else "-"
    per_open_day = stats.visits / stats.open_days if stats.open_days else 0.0
    days = "1 day" if stats.days == 1 else f"{stats.days} days"
    numbers = [
        _number(f"{stats.visits:,}", f"visits {_span(stats)}"),
        _number(f"{per_open_day:.0f}", f"visits per open day ({stats.open_days} of {days} open)"),
        _number(f"{stats.face_share:.0%}", "checked in by face (consented customers)"),
        _number(f"{stats.by_token:,}", "checked in with a QR code or card"),
        _number(busiest, "busiest hour of the week"),
    ]
    return '<h2>The month in numbers</h2><div class="numbers">' + "".join(numbers) + "</div>"


def _span(stats: VisitStats) -> str:
    """ "this month", or the days of a month still running (or of a kiosk newer than the month)."""
    if stats.first_day.day == 1 and (stats.last_day + timedelta(days=1)).day == 1:
        return "this month"
    return "that day" if stats.days == 1 else f"in these {stats.days} days"


def _visits(stats: VisitStats) -> str:
    rows = "".join(f"<tr><td>{WEEKDAYS[d]}</td><td>{stats.weekday_mean[d]:.0f}</td></tr>" for d in range(7))
    busiest = "".join(
        f"<li>{html.escape(b.label())}: {b.mean_visits:.1f} visits on average</li>" for b in stats.busiest
    )
    return (
        "<h2>When customers come</h2>"
        "<p>Average visits per hour for each day of the week. Darker is busier: plan tellers for the dark "
        "cells.</p>"
        + _img(plots.hour_weekday_heatmap(stats.hour_weekday), "visits by hour and weekday")
        + f"<p>Busiest hours:</p><ul>{busiest}</ul>"
        + "<p>An average open day, 15 minutes at a time:</p>"
        + _img(plots.quarter_hour_profile(stats.quarter_hour_profile), "visits per 15 minutes")
        + "<p>Visits per day:</p>"
        + _img(
            plots.daily_visits([(datetime.combine(d, datetime.min.time()), v) for d, v in stats.per_day]),
            "visits per day",
        )
        + f"<table><tr><th>weekday</th><th>visits per day</th></tr>{rows}</table>"
        + f'<p class="note">{_channels(stats)}</p>'
    )


def _channels(stats: VisitStats) -> str:
    """How the visits came in: a card or QR code at the scanner is a check-in, but not by face."""
    text = (
        f"{stats.by_face:,} visits were consented face check-ins, {stats.by_token:,} were check-ins with a "
        f"QR code or card (no face involved), and {stats.unidentified:,} were other visitors, counted but "
        "not identified."
    )
    if stats.channel_unknown:
        text += (
            f" {stats.channel_unknown:,} more check-ins were recorded before the kiosk noted whether they "
            "were by face or by token; they are in neither number."
        )
    return html.escape(text)


def _groups_table(groups: tuple[Group, ...], k: int) -> str:
    rows = "".join(f"<tr><td>{html.escape(g.label)}</td><td>{g.shown(k)}</td></tr>" for g in groups)
    return f"<table><tr><th>group</th><th>customers</th></tr>{rows}</table>"


def _merged_note(groups: tuple[Group, ...], k: int) -> str:
    merged = [g for g in groups if g.merged]
    if not merged:
        return ""
    note = f"Groups of fewer than {k} customers are merged to protect privacy"
    # A merged group too small to count is not named either: that alone would single out its few people.
    if merged[0].people is not None:
        note += f" (here: {', '.join(merged[0].merged)})"
    return f'<p class="note">{html.escape(note)}.</p>'


def _people(stats: VisitStats, retired: int, retention_days: float) -> str:
    k = stats.k
    held = stats.identified - retired
    scope = ""
    if retired:
        # Check-ins name a customer, so they are deleted after the retention; the visit stays counted.
        scope = (
            f'<p class="note">Check-ins naming a customer are kept {retention_days:g} days '
            f"(privacy.checkin_retention_days): of the {stats.identified:,} consented check-ins "
            f"{_span(stats)}, {retired:,} remain only as counts. Ages, interests and repeat visits below "
            f"describe the {held:,} still held; the totals above count every visit.</p>"
        )
    if not stats.age_groups:
        none = (
            f"No check-in naming a customer is held for {_span(stats).removeprefix('in ')} any more."
            if retired
            else f"No consented customer checked in {_span(stats)}."
        )
        return f"<h2>Who comes in</h2><p>{none}</p>{scope}"
    repeat = "; ".join(f"{g.label}: {g.shown(k)} customers" for g in stats.repeat_groups)
    who = f"{stats.customers}" if stats.customers >= k else f"Fewer than {k}"
    when = "in the check-ins held" if retired else _span(stats)
    return (
        "<h2>Who comes in</h2>"
        f"<p>{who} consented customers checked in {held:,} times {when}. "
        f"How often they came: {html.escape(repeat)}.</p>"
        + scope
        + "<h3>Age</h3><p>Customers by age, from the birth-year band in their bank profile.</p>"
        + _groups(
            stats.age_groups, k, "customers by age band",
            f"Fewer than {k} customers checked in: too few to show by age without singling someone out.",
        )
        + "<h3>Product interest</h3><p>Products these customers told the bank they are interested in "
        "(a customer may name several).</p>"
        + _groups(
            stats.interest_groups, k, "customers by product interest",
            f"Fewer than {k} of these customers named a product interest: too few to show without singling "
            "someone out.",
            none="None of these customers has told the bank of a product interest.",
        )
    )  # fmt: skip


def _groups(groups: tuple[Group, ...], k: int, alt: str, too_few: str, none: str = "") -> str:
    """The chart and table of the groups that have a number; a sentence where there is nothing to draw
    (empty axes would read as "nobody"). A merged group too small to count is named, not drawn empty."""
    counted = tuple(group for group in groups if group.people is not None)
    if not counted:
        return f"<p>{html.escape(none if not groups and none else too_few)}</p>"
    hidden = "".join(
        f'<p class="note">{html.escape(group.label)}: fewer than {k} customers, so not drawn.</p>'
        for group in groups
        if group.people is None
    )
    return (
        _img(plots.groups_bar(counted, "customers", k), alt)
        + _groups_table(groups, k)
        + _merged_note(groups, k)
        + hidden
    )


def _durations(durations: Durations | None, what: str, title: str, span: str) -> str:
    if durations is None:
        return f"<p>No {what} measured {span}.</p>"
    return (
        f"<p>{what.capitalize()}: half of {durations.visits:,} visits took under "
        f"{_minutes(durations.median_s)}, nine in ten under {_minutes(durations.p90_s)}.</p>"
        + _img(plots.durations_bar(durations, title), what)
    )


def _floor(stats: VisitStats, floor_png: bytes | None, floor_note: str) -> str:
    section = "<h2>On the floor</h2>"
    if floor_png is None:
        return section + f"<p>{html.escape(floor_note)}</p>"
    return (
        section + "<p>Where people spent their time (floor sensors, anonymous). Yellow is where people stood "
        "longest; the colour bar gives the time.</p>"
        + _img(floor_png, "floor heat map")
        + _doors(stats)
        + '<p class="note">Times below are from the sensors\' 15-minute averages, so the longest single '
        "waits are smoothed out.</p>"
        + _durations(stats.queue_wait, "queue wait", "time in the queue", _span(stats))
        + _durations(stats.dwell, "time spent in the other zones", "time in a zone", _span(stats))
    )


def _doors(stats: VisitStats) -> str:
    """People in and out through the door lines, day by day, beside the door camera's visits."""
    if not stats.doors:
        return ""
    visits = dict(stats.per_day)
    rows = []
    for door in stats.doors:
        day = f"{door.day:%a} {door.day.day} {door.day:%b}"
        if door.observed_s <= 0:
            counts = '<td colspan="2">no floor sensor reported</td>'
        else:
            counts = f"<td>{door.ins:,}</td><td>{door.outs:,}</td>"
        rows.append(f"<tr><td>{day}</td>{counts}<td>{visits.get(door.day, 0):,}</td></tr>")
    total_in, total_out = sum(d.ins for d in stats.doors), sum(d.outs for d in stats.doors)
    rows.append(
        f"<tr><th>total</th><th>{total_in:,}</th><th>{total_out:,}</th><th>{stats.visits:,}</th></tr>"
    )
    return (
        "<h3>Door counts per day</h3><p>People crossing the door lines (floor sensors), beside the visits "
        "the door camera counted.</p>"
        '<table class="doors"><tr><th>day</th><th>came in</th><th>went out</th><th>visits (camera)</th></tr>'
        + "".join(rows)
        + "</table>"
    )


def _outlook(forecast: Forecast | None, note: str, recent: HourlyHistory | None) -> str:
    section = "<h2>Next month's outlook</h2>"
    if forecast is None:
        return section + f"<p>{html.escape(note)}</p>"
    totals, counts = [0.0] * 7, [0] * 7
    for day_start in range(0, len(forecast.starts), 24):
        weekday = datetime.fromtimestamp(float(forecast.starts[day_start])).weekday()
        totals[weekday] += float(np.sum(forecast.mean[day_start : day_start + 24]))
        counts[weekday] += 1
    rows = "".join(
        f"<tr><td>{name}</td><td>{totals[d] / counts[d]:.0f}</td></tr>"
        for d, name in enumerate(WEEKDAYS)
        if counts[d]
    )
    total = float(np.sum(forecast.mean))
    if forecast.unsure_reason is not None:
        # Said first, before any figure: a manager planning staff on it must know it is a guess.
        section += (
            f'<p class="partial"><strong>This forecast is unsure:</strong> '
            f"{html.escape(forecast.unsure_reason)}. Its bands are wider; check it again in a few days.</p>"
        )
    return (
        section + f"<p>About {total:,.0f} visits are expected in the next {len(forecast.starts) // 24} days, "
        "from this branch's own history. Use it to plan staff.</p>"
        + "<p>Expected visits per day:</p>"
        + _img(plots.forecast_days(forecast), "forecast of visits per day")
        + "<p>Hour by hour, with the band where 4 hours in 5 should fall:</p>"
        + _img(plots.forecast_chart(forecast, recent), "forecast of visits per hour with 80 % band")
        + f"<table><tr><th>weekday</th><th>expected visits per day</th></tr>{rows}</table>"
        + f'<p class="note">{html.escape(note)}</p>'
    )


def forecast_from(history: HourlyHistory | None, settings: AnalyticsConfig) -> tuple[Forecast | None, str]:
    if history is None:
        return None, "No visits are recorded yet, so there is nothing to forecast from."
    from device.analytics.forecast import NotEnoughHistory, fit_forecast  # statsmodels: only when needed

    try:
        forecast = fit_forecast(
            history, settings.holidays, settings.horizon_days * 24, tuple(settings.school_holidays)
        )
    except NotEnoughHistory as exc:
        first = datetime.fromtimestamp(float(history.starts[0]))
        return (
            None,
            f"No forecast yet: {exc} (the first visit held is on {first:%A} {first.day} {first:%B %Y}).",
        )
    trend = (
        "no trend yet (under 8 weeks of history at the current level)"
        if forecast.trend_per_year is None
        else f"traffic trend {forecast.trend_per_year:+.0%} a year"
    )
    periods = len(settings.school_holidays)
    return forecast, (
        f"Learned from {forecast.history_days:.0f} days of this branch's visits: the pattern of each hour "
        f"of the week, {trend}, {len(settings.holidays)} configured holidays and "
        f"{periods} school holiday period{'' if periods == 1 else 's'}."
    )
