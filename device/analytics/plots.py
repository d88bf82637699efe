"""The report's charts, drawn with matplotlib and returned as PNG bytes (the report inlines them)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

import matplotlib

matplotlib.use("Agg")  # no display on a kiosk
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from device.analytics.privacy import Group
from device.analytics.series import Forecast, HourlyHistory
from device.analytics.stats import WEEKDAYS, Durations

BLUE, GREY, ORANGE = "#1f5fa8", "#9aa5b1", "#d9822b"
DPI = 110


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _dates(moments: Sequence[datetime]) -> npt.NDArray[np.float64]:
    """Local wall-clock times as matplotlib's date numbers (the axis shows them as they are)."""
    return np.asarray(mdates.date2num(list(moments)), dtype=np.float64)  # type: ignore[no-untyped-call]


def _date_axis(axes: Axes, pattern: str, every_days: int) -> None:
    axes.xaxis.set_major_locator(mdates.DayLocator(interval=every_days))  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_formatter(mdates.DateFormatter(pattern))  # type: ignore[no-untyped-call]


def hour_weekday_heatmap(hour_weekday: npt.NDArray[np.float64]) -> bytes:
    """Mean visits per hour, weekdays down, hours across; only the hours the branch saw visitors."""
    busy_hours = np.flatnonzero(hour_weekday.sum(axis=0) > 0)
    first, last = (int(busy_hours[0]), int(busy_hours[-1])) if busy_hours.size else (8, 18)
    shown = hour_weekday[:, first : last + 1]
    figure, axes = plt.subplots(figsize=(9, 3.4))
    image = axes.imshow(shown, cmap="YlOrRd", aspect="auto", vmin=0)
    axes.set_yticks(range(7), WEEKDAYS)
    axes.set_xticks(range(shown.shape[1]), [f"{h:02d}" for h in range(first, last + 1)])
    axes.set_xlabel("hour of the day (visits from hh:00 to hh:59)")
    peak = float(shown.max()) if shown.size else 0.0
    for (row, col), value in np.ndenumerate(shown):
        if value >= 0.05:
            colour = "white" if value > 0.6 * peak else "black"
            axes.text(col, row, f"{value:.0f}", ha="center", va="center", fontsize=8, color=colour)
    figure.colorbar(image, ax=axes, label="mean visits per hour", fraction=0.04, pad=0.02)
    return _png(figure)


def quarter_hour_profile(profile: npt.NDArray[np.float64]) -> bytes:
    """An average open day, 15 minutes at a time, over the hours that saw visitors."""
    busy = np.flatnonzero(profile > 0)
    first, last = (int(busy[0]) // 4, int(busy[-1]) // 4 + 1) if busy.size else (8, 18)
    figure, axes = plt.subplots(figsize=(9, 2.4))
    slots = np.arange(first * 4, last * 4)
    axes.bar(slots / 4, profile[slots], width=0.23, align="edge", color=BLUE)
    axes.set_xticks(range(first, last + 1), [f"{h:02d}:00" for h in range(first, last + 1)])
    axes.set_ylabel("visits per 15 min")
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def daily_visits(per_day: Sequence[tuple[datetime, int]]) -> bytes:
    figure, axes = plt.subplots(figsize=(9, 2.6))
    days = _dates([day for day, _ in per_day])
    axes.bar(days, [visits for _, visits in per_day], color=BLUE, width=0.8)
    if len(days):
        axes.set_xlim(days[0] - 0.7, days[-1] + 0.7)
    _date_axis(axes, "%a %d", every_days=2)
    figure.autofmt_xdate(rotation=60)
    axes.set_ylabel("visits")
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def groups_bar(groups: Sequence[Group], xlabel: str, k: int) -> bytes:
    """Horizontal bars of people per group; a suppressed group is drawn empty and labelled "<k"."""
    figure, axes = plt.subplots(figsize=(6.5, 0.45 * max(3, len(groups)) + 0.8))
    labels = [group.label for group in groups]
    values = [group.people or 0 for group in groups]
    bars = axes.barh(labels, values, color=BLUE)
    axes.invert_yaxis()
    for bar, group in zip(bars, groups, strict=True):
        axes.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {group.shown(k)}", va="center")
    axes.set_xlabel(xlabel)
    axes.margins(x=0.15)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def durations_bar(durations: Durations, title: str) -> bytes:
    figure, axes = plt.subplots(figsize=(6.5, 2.6))
    labels = [label for label, _ in durations.buckets]
    axes.bar(labels, [visits for _, visits in durations.buckets], color=ORANGE)
    axes.set_xlabel(title)
    axes.set_ylabel("visits")
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def forecast_days(forecast: Forecast) -> bytes:
    """Expected visits per day of the forecast: what a staff rota is planned from."""
    days, totals = [], []
    for first in range(0, len(forecast.starts) - 23, 24):
        days.append(datetime.fromtimestamp(float(forecast.starts[first])))
        totals.append(float(np.sum(forecast.mean[first : first + 24])))
    figure, axes = plt.subplots(figsize=(11, 2.8))
    numbers = _dates(days)
    axes.bar(numbers, totals, color=BLUE, width=0.8)
    for number, total in zip(numbers, totals, strict=True):
        axes.text(
            number,
            total,
            f"{total:.0f}" if total >= 0.5 else "closed",
            ha="center",
            va="bottom",
            fontsize=7,
            rotation=90 if total < 0.5 else 0,
        )
    if len(numbers):
        axes.set_xlim(numbers[0] - 0.7, numbers[-1] + 0.7)
    _date_axis(axes, "%a %d %b", every_days=2)
    figure.autofmt_xdate(rotation=60)
    axes.set_ylabel("expected visits")
    axes.margins(y=0.15)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def forecast_chart(forecast: Forecast, recent: HourlyHistory | None) -> bytes:
    """The next days hour by hour: expected visits, the 80 % band, and the last week as it happened."""
    figure, axes = plt.subplots(figsize=(11, 4.2))
    when = _dates([datetime.fromtimestamp(float(t)) for t in forecast.starts])
    axes.fill_between(
        when,
        forecast.low80,
        forecast.high80,
        step="mid",
        color=BLUE,
        alpha=0.25,
        label="80 % of hours should fall in this band",
    )
    axes.plot(when, forecast.mean, color=BLUE, linewidth=1, label="expected visits per hour")
    if recent is not None and len(recent.starts):
        past = _dates([datetime.fromtimestamp(float(t)) for t in recent.starts])
        axes.plot(past, recent.counts, color=GREY, linewidth=1, label="last week, as it happened")
    _date_axis(axes, "%a %d %b", every_days=3)
    figure.autofmt_xdate(rotation=45)
    axes.set_ylabel("visits per hour")
    axes.set_ylim(bottom=0)
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, ncols=3)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)
