"""`branchdoor report --month 2026-11 --out report.html`: read the kiosk's data, write the branch
manager's monthly report (one self-contained HTML file). The report's heavy imports (statsmodels,
matplotlib) load only when it runs."""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from device.analytics.series import HOUR_S, Forecast
from device.cli.args import Subcommands, command, load
from device.config import Config
from device.floor.records import FloorBin
from device.state.files import StateError


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    report = command(
        commands, "report", _report, "write the branch manager's monthly report (one HTML file)", [common]
    )
    report.add_argument("--month", required=True, help="the month to report, e.g. 2026-11")
    report.add_argument("--out", required=True, type=Path, help="HTML file to write")


def _report(args: argparse.Namespace) -> int:
    return report_command(load(args), args.month, args.out)


def parse_month(text: str) -> tuple[date, date]:
    """ "2026-11" -> (2026-11-01, 2026-11-30)."""
    try:
        first = datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ValueError(f"--month {text!r}: expected YYYY-MM, e.g. 2026-11") from None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def midnight(day: date) -> float:
    """Local midnight starting `day`, as epoch seconds."""
    return datetime.combine(day, datetime.min.time()).timestamp()


def _floor_png(
    config: Config, since: float, until: float, now: datetime
) -> tuple[bytes | None, list[FloorBin], str]:
    """The period's heat map, its bins, and what is missing from it (why there is none, or "")."""
    from device.floor.bins_store import read_period
    from device.floor.coverage import why_empty
    from device.floor.render import MapCaption, render_heatmap
    from device.floor.totals import FloorTotals

    if config.floor is None:
        return None, [], "No floor sensors are configured at this branch."
    bins, around = read_period(config.storage.database, since, until)
    try:
        totals = FloorTotals.of(bins, config.floor.grid_shape)
    except ValueError as exc:
        return None, bins, f"No heat map: {exc}."
    if totals.observed_s <= 0:
        reason = why_empty(since, until, now.timestamp(), config.floor.bin_s, totals, around)
        return None, bins, f"No floor data for these days: {reason}."
    caption = MapCaption(config.branch.id, datetime.fromtimestamp(since), datetime.fromtimestamp(until), now)
    with tempfile.TemporaryDirectory() as scratch:
        path = render_heatmap(config.floor, totals, caption, Path(scratch) / "floor.png")
        return path.read_bytes(), bins, ""


def _records_from(config: Config, first_visit_at: float | None) -> date | None:
    """The first day the kiosk holds anything for: a visit, or a floor bin."""
    from device.floor.bins_store import read_period

    starts = [first_visit_at]
    if config.floor is not None:
        starts.append(read_period(config.storage.database, 0.0, 0.0)[1].first_start)
    known = [start for start in starts if start is not None]
    return datetime.fromtimestamp(min(known)).date() if known else None


def build_report(config: Config, month: str, now: datetime | None = None) -> str:
    from device.analytics.data import AnalyticsData
    from device.analytics.period import report_period
    from device.analytics.report import ReportInput, forecast_from, render_report
    from device.analytics.stats import visit_stats
    from device.state.store import Store

    now = now or datetime.now()
    first_day, last_day = parse_month(month)
    settings = config.analytics
    store = Store(config.storage.database)
    try:
        reads = AnalyticsData.of(store)
        period = report_period(first_day, last_day, now.date(), _records_from(config, reads.first_visit_at()))
        since, until = midnight(period.first_day), midnight(period.last_day + timedelta(days=1))
        bins = reads.visit_bins(since, until)
        visitors = reads.visitors(since, until)
        retired = reads.retired_checkins(since, until)
        # Learn from everything that has happened up to now; forecast from now.
        month_end = midnight(last_day + timedelta(days=1))
        history = reads.hourly_history(
            min(month_end, now.timestamp() // HOUR_S * HOUR_S), settings.history_days
        )
    finally:
        store.close()
    floor_png, floor_bins, floor_note = _floor_png(config, since, until, now)
    floor = config.floor
    zone_kinds = {zone.name: zone.kind for zone in floor.zones} if floor else {}
    door_lines = [line.name for line in floor.door_lines] if floor else []
    stats = visit_stats(
        period.first_day, period.last_day, bins, visitors, floor_bins, zone_kinds, settings.k_anonymity,
        door_lines,
    )  # fmt: skip
    forecast, note = forecast_from(history, settings)
    recent = history.split(7 * 24)[1] if history is not None and len(history.starts) > 7 * 24 else None
    return render_report(
        ReportInput(
            branch_id=config.branch.id,
            month=month,
            period=period,
            stats=stats,
            forecast=forecast,
            forecast_note=note,
            recent=recent,
            floor_png=floor_png,
            floor_note=floor_note,
            generated_at=now,
            retired_checkins=retired,
            checkin_retention_days=config.privacy.checkin_retention_days,
            staffing=_staffing(config, forecast),
        )
    )


def _staffing(config: Config, forecast: Forecast | None) -> str:
    from device.staffing.report import staffing_section
    from device.staffing.service_times import DEFAULT_SERVICE_S

    return staffing_section(
        forecast, config.staffing, config.floor, config.storage.database, config.analytics.history_days,
        DEFAULT_SERVICE_S,
    )  # fmt: skip


def report_command(config: Config, month: str, out: Path, now: datetime | None = None) -> int:
    try:
        document = build_report(config, month, now)
    except ValueError as exc:
        print(f"branchdoor report: {exc}", file=sys.stderr)
        return 2
    except StateError as exc:  # already names the file and what to do
        print(f"branchdoor report: cannot read the kiosk's data: {exc}", file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error) as exc:
        print(f"branchdoor report: cannot read {config.storage.database}: {exc}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8")
    print(f"wrote {out} (branch {config.branch.id}, {month})")
    return 0
