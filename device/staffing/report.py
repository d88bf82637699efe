"""The staffing section of the manager's monthly report: next month day by day and hour by hour, the
counters to open and the wait to expect, the service time assumed and where it comes from, the waits
the floor observed, and the hours the branch cannot meet its target. HTML only; the caller places it."""

from __future__ import annotations

import datetime as dt
import html
import math
from pathlib import Path

from device.analytics.series import Forecast
from device.floor.bins_store import FloorBinStore
from device.floor.config import FloorConfig
from device.staffing.config import StaffingConfig
from device.staffing.plan import PlanHour, StaffingPlan, plan_hours
from device.staffing.service_times import ObservedService, observed_service

DAY_S = 86_400
# Counters 0..8+ from pale to deep blue; a short hour is red whatever its count.
SHADES = ("#ffffff", "#e3ecf7", "#c6d9ef", "#a3c1e4", "#7ea7d8", "#5a8dcb", "#3a73bb", "#1f5fa8", "#134080")
SHORT = "#d64545"
CELL_STYLE = "padding:0.15rem 0.3rem;text-align:center;font-size:0.8rem"


def staffing_section(
    forecast: Forecast | None,
    settings: StaffingConfig,
    floor: FloorConfig | None,
    database: Path,
    history_days: int,
    default_service_s: float,
) -> str:
    """The section, or a line saying why there is none (no forecast yet)."""
    heading = "<h2>Counters to open next month</h2>"
    if forecast is None:
        return heading + '<p class="note">No staffing plan without a forecast (above says why).</p>'
    observed = ObservedService()
    if floor is not None:
        store = FloorBinStore(database)
        try:
            until = forecast.issued_at
            stays = store.zone_stays(until - history_days * DAY_S, until)
        finally:
            store.close()
        observed = observed_service(stays, {zone.name: zone.kind for zone in floor.zones})
    service_s = default_service_s if floor is None else floor.service_time_s
    starts = [float(start) for start in forecast.starts]
    local_hours = [dt.datetime.fromtimestamp(start).astimezone().hour for start in starts]
    plan = plan_hours(
        starts,
        local_hours,
        [float(m) for m in forecast.mean],
        forecast.issued_at,
        observed,
        settings,
        service_s,
    )
    return heading + render_plan(plan, observed)


def render_plan(plan: StaffingPlan, observed: ObservedService) -> str:
    target = (
        f"{plan.target_share:.0%} of customers waiting at most {plan.target_wait_s / 60:.0f} min, with at "
        f"most {plan.max_counters} counters"
    )
    return (
        f"<p>The counters to open each hour for {html.escape(target)}, from the forecast above (each "
        "cell: counters in bold, below them the mean wait to expect in minutes). Erlang C with the "
        "Allen-Cunneen correction for service times that are not exponential, checked against a simulation "
        "(bench/staffing.py).</p>" + _grid(plan) + _assumptions(plan, observed) + _short(plan)
    )


def _grid(plan: StaffingPlan) -> str:
    days: dict[dt.date, dict[int, PlanHour]] = {}
    for hour in plan.hours:
        day = dt.datetime.fromtimestamp(hour.start).astimezone().date()
        days.setdefault(day, {})[hour.local_hour] = hour
    open_hours = sorted({hour.local_hour for hour in plan.hours if hour.counters > 0})
    if not open_hours:
        return '<p class="note">The forecast expects no visitor: no counter to open.</p>'
    header = "".join(f"<th>{hour:02d}</th>" for hour in open_hours)
    rows = []
    for day, hours in days.items():
        cells = "".join(_cell(hours.get(hour)) for hour in open_hours)
        rows.append(f"<tr><td>{day:%a %d %b}</td>{cells}</tr>")
    return f"<table><tr><th>day</th>{header}</tr>{''.join(rows)}</table>"


def _cell(hour: PlanHour | None) -> str:
    if hour is None or hour.counters == 0:
        return f'<td style="{CELL_STYLE}"></td>'
    colour = SHORT if not hour.meets_target else SHADES[min(hour.counters, len(SHADES) - 1)]
    ink = "#ffffff" if not hour.meets_target or hour.counters >= 5 else "#1d2733"
    mark = "!" if not hour.meets_target else ""
    tip = f"{hour.arrivals_per_h:.0f} visits expected, wait {_wait(hour.mean_wait_s)}"
    wait = "&infin;" if math.isinf(hour.mean_wait_s) else f"{hour.mean_wait_s / 60:.1f}"
    return (
        f'<td style="{CELL_STYLE};background:{colour};color:{ink}" title="{html.escape(tip)}">'
        f"<b>{hour.counters}{mark}</b><br><small>{wait}</small></td>"
    )


def _wait(seconds: float) -> str:
    return "growing all hour" if math.isinf(seconds) else f"{seconds / 60:.1f} min"


def _assumptions(plan: StaffingPlan, observed: ObservedService) -> str:
    services = [hour.service for hour in plan.hours]
    sources = {service.source for service in services}
    low_s, high_s = min(s.mean_s for s in services), max(s.mean_s for s in services)
    low_cv, high_cv = min(s.cv for s in services), max(s.cv for s in services)
    if sources == {"configured"}:
        said = (
            f"{low_s:.0f} s per customer, the configured [floor] service_time_s: the floor sensors have "
            "not yet seen 30 services at the counters; exponential spread (cv 1) assumed"
        )
    else:
        where = "per hour of day where 30 or more were seen, else " if "hour of day" in sources else ""
        said = (
            f"{low_s:.0f}-{high_s:.0f} s per customer (spread cv {low_cv:.2f}-{high_cv:.2f}), measured by "
            f"the floor sensors at the counters ({observed.overall_service().count} services; {where}over "
            "all hours)"
        )
    waits = observed.overall_wait()
    seen = (
        f" Customers seen in the queue zones waited {waits.mean_s / 60:.1f} min on average "
        f"({waits.count} waits)."
        if waits.mean_s is not None
        else " The floor has seen no wait in a queue zone yet."
    )
    return f'<p class="note">Service time assumed: {html.escape(said)}.{html.escape(seen)}</p>'


def _short(plan: StaffingPlan) -> str:
    short = plan.short_hours
    if not short:
        return "<p>Every hour can meet the target with the counters the branch has.</p>"
    listed = ", ".join(
        f"{dt.datetime.fromtimestamp(hour.start).astimezone():%a %d %b %H:00} "
        f"({hour.arrivals_per_h:.0f} visits)"
        for hour in short[:12]
    )
    more = f" and {len(short) - 12} more" if len(short) > 12 else ""
    return (
        f'<p class="partial">{len(short)} hours cannot meet the target even with all {plan.max_counters} '
        f"counters open (red, marked !): {html.escape(listed)}{more}.</p>"
    )
