"""A 422 on an upload names the records refused for their own content (sync/models.py UploadRefused),
so that a device can set exactly those aside and send the rest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sync.models import RejectedRecord


def rejected_records(errors: Sequence[Any], body: Any) -> list[RejectedRecord]:
    """Every validation error located inside one record (`body.records.<i>...`), named by that record's
    record_id; the reason says where and which rule, never the value found there. A record without a
    textual record_id cannot be named, and an error outside the records names no record."""
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list):
        return []
    reasons: dict[str, list[str]] = {}
    for error in errors:
        loc = tuple(error.get("loc", ()))
        if len(loc) < 3 or loc[:2] != ("body", "records") or not isinstance(loc[2], int):
            continue
        record = records[loc[2]] if 0 <= loc[2] < len(records) else None
        record_id = record.get("record_id") if isinstance(record, dict) else None
        if not isinstance(record_id, str):
            continue
        where = ".".join(str(part) for part in loc[3:]) or "record"
        reasons.setdefault(record_id, []).append(f"{where}: {error.get('msg', 'invalid')}")
    return [
        RejectedRecord(record_id=record_id, reason="; ".join(found)[:500])
        for record_id, found in reasons.items()
    ]
