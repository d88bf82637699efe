"""Audit records leave the device in the form the central service's contract accepts."""

from __future__ import annotations

import typing

from device.domain import AuditRecord
from sync.models import AuditEvent
from sync.models import AuditRecord as WireAudit


def test_every_contract_event_round_trips_through_the_wire_model() -> None:
    for event in typing.get_args(AuditEvent):
        record = AuditRecord(event=event, customer_ref="CUST-1", score_band="high", screen="counter-1")
        assert WireAudit.model_validate(record.payload()).event == event


def test_an_overlong_detail_is_cut_to_what_the_contract_allows() -> None:
    payload = AuditRecord(event="gallery_item_refused", detail="x" * 2000).payload()
    assert WireAudit.model_validate(payload).detail == "x" * 500


def test_the_payload_carries_no_field_the_contract_does_not_know() -> None:
    assert set(AuditRecord(event="identification").payload()) == set(WireAudit.model_fields)
