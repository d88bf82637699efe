"""The staffing plan as it leaves the kiosk: one retained MQTT message for the branch's screens, and one
anonymous aggregate per hour for the central service (sync.models.AggregateRecord, staffing_counters)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from device.staffing.plan import StaffingPlan, finite_or_none

HOUR_S = 3600


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def plan_message(plan: StaffingPlan, branch_id: str) -> dict[str, Any]:
    # The shape of device.mqtt.contract.models.StaffingPayload (tests hold it to the model).
    return {
        "schema": "branchdoor/staffing/1",
        "branch_id": branch_id,
        "issued_at": _iso(plan.issued_at),
        "target_wait_s": plan.target_wait_s,
        "target_share": plan.target_share,
        "max_counters": plan.max_counters,
        "short_hours": len(plan.short_hours),
        "hours": [
            {
                "start": _iso(hour.start),
                "local_hour": hour.local_hour,
                "arrivals": round(hour.arrivals_per_h, 2),
                "counters": hour.counters,
                "expected_wait_s": finite_or_none(hour.mean_wait_s),
                "served_within_target": round(hour.served_within_target, 4),
                "meets_target": hour.meets_target,
                "service_s": round(hour.service.mean_s, 1),
                "service_cv": round(hour.service.cv, 3),
                "service_source": hour.service.source,
            }
            for hour in plan.hours
        ],
    }


def plan_aggregates(plan: StaffingPlan, branch_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(record_id, payload) per hour; like the forecast's, each plan is new and the newest `issued_at`
    of an hour is the one that counts."""
    issued = _iso(plan.issued_at)
    return [
        (
            f"st-{branch_id}-{int(plan.issued_at)}-{int(hour.start)}",
            {
                "bin_start": _iso(hour.start),
                "bin_s": HOUR_S,
                "metric": "staffing_counters",
                "value": hour.counters,
                "expected_wait_s": finite_or_none(hour.mean_wait_s),
                "served_within_target": round(hour.served_within_target, 4),
                "meets_target": hour.meets_target,
                "issued_at": issued,
            },
        )
        for hour in plan.hours
    ]
