"""`[analytics]`: the daily forecast refit and the statistics' privacy threshold. Pure data."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field

from common.sections import Section


def _in_order(dates: tuple[date, date]) -> tuple[date, date]:
    if dates[0] > dates[1]:
        raise ValueError(f"a [first, last] date range, first <= last (got {dates[0]} after {dates[1]})")
    return dates


DateRange = Annotated[tuple[date, date], AfterValidator(_in_order)]


class AnalyticsConfig(Section):
    forecast: bool = Field(
        True, description="Refit the footfall forecast in the daemon, publish it and upload it."
    )
    refit_interval_h: float = Field(
        24.0, ge=1, le=168, description="How often the forecast is refitted (first one a minute after start)."
    )
    horizon_days: int = Field(30, ge=1, le=62, description="How far ahead the forecast goes.")
    history_days: int = Field(
        365, ge=14, le=1095, description="How much local history the forecast learns from (at most)."
    )
    holidays: list[date] = Field(
        default_factory=list,
        description="Public holidays, past and coming, e.g. 2026-12-25. Their effect is learned from past "
        "ones; with none in the history the branch is assumed closed on them.",
    )
    school_holidays: list[DateRange] = Field(
        default_factory=list,
        description="School holidays, past and coming, as [first, last] day ranges, e.g. "
        '[["2026-07-04", "2026-08-30"]]. Their effect on traffic is learned from past ones; with none in '
        "the history the forecast keeps the usual level for them and says it is unsure.",
    )
    k_anonymity: int = Field(
        5,
        ge=5,
        le=100,
        description="Smallest group of customers a statistic may show (age bands, interests, repeat "
        "visits); smaller groups are merged.",
    )
