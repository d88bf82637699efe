"""The forecast as it leaves the kiosk: one MQTT message for the branch's screens, and one anonymous
aggregate record per hour for the central service (sync.models.AggregateRecord, forecast_visits)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from device.analytics.series import HOUR_S, LEVEL, Forecast

SCHEMA = "branchdoor/forecast/1"


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def forecast_message(forecast: Forecast, branch_id: str) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "branch_id": branch_id,
        "issued_at": _iso(forecast.issued_at),
        "bin_s": HOUR_S,
        "level": LEVEL,
        "history_days": round(forecast.history_days, 1),
        "trend_per_year": None if forecast.trend_per_year is None else round(forecast.trend_per_year, 4),
        "unsure": forecast.unsure,
        "unsure_reason": forecast.unsure_reason,
        "hours": [
            {
                "start": _iso(float(row["start"])),
                "visits": row["visits"],
                "low80": row["low80"],
                "high80": row["high80"],
            }
            for row in forecast.hourly()
        ],
    }


def forecast_aggregates(forecast: Forecast, branch_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(record_id, payload) per hour. The id carries the issue time: each refit is a new forecast, and
    the central service keeps the newest per hour by `issued_at`."""
    issued = _iso(forecast.issued_at)
    return [
        (
            f"fc-{branch_id}-{int(forecast.issued_at)}-{int(row['start'])}",
            {
                "bin_start": _iso(float(row["start"])),
                "bin_s": HOUR_S,
                "metric": "forecast_visits",
                "value": row["visits"],
                "low80": row["low80"],
                "high80": row["high80"],
                "issued_at": issued,
            },
        )
        for row in forecast.hourly()
    ]
