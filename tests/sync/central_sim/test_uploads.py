"""Uploads are stored exactly once: by record_id across batches, by Idempotency-Key per batch."""

from __future__ import annotations

import json

from sync.central_sim import CentralSim
from sync.models import UploadRefused, UploadResult
from tests.sync.helpers import Device, checkin


def test_a_batch_is_accepted_and_stored(sim: CentralSim, device: Device) -> None:
    records = [checkin(f"visit-{n}") for n in range(3)]
    response = device.upload("checkins", records)
    assert response.status_code == 200, response.text
    assert UploadResult.model_validate(response.json()) == UploadResult(accepted=3, duplicates=0)
    assert sim.db.records("checkins") == {"visit-0": 1, "visit-1": 1, "visit-2": 1}


def test_the_same_key_and_body_get_the_same_answer_and_store_nothing_twice(
    sim: CentralSim, device: Device
) -> None:
    records = [checkin("visit-1"), checkin("visit-2")]
    first = device.upload("checkins", records, key="batch-0001")
    retry = device.upload("checkins", records, key="batch-0001")
    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json() == {"accepted": 2, "duplicates": 0}
    assert sim.db.records("checkins") == {"visit-1": 1, "visit-2": 1}


def test_the_same_key_with_another_body_is_refused(sim: CentralSim, device: Device) -> None:
    assert device.upload("checkins", [checkin("visit-1")], key="batch-0001").status_code == 200
    reused = device.upload("checkins", [checkin("visit-2")], key="batch-0001")
    assert reused.status_code == 422
    assert "Idempotency-Key" in reused.json()["detail"]
    assert sim.db.records("checkins") == {"visit-1": 1}


def test_a_record_resent_in_a_new_batch_is_counted_once(sim: CentralSim, device: Device) -> None:
    assert device.upload("checkins", [checkin("visit-1")]).json() == {"accepted": 1, "duplicates": 0}
    again = device.upload("checkins", [checkin("visit-1"), checkin("visit-2"), checkin("visit-2")])
    assert again.json() == {"accepted": 1, "duplicates": 2}
    assert set(sim.db.records("checkins")) == {"visit-1", "visit-2"}
    assert sim.db.records("checkins")["visit-2"] == 2  # received twice, stored once


def test_audit_and_aggregates_take_their_own_records(sim: CentralSim, device: Device) -> None:
    audit = {
        "record_id": "audit-1",
        "at": "2026-11-29T09:34:19Z",
        "event": "gallery_item_refused",
        "customer_ref": "CUST-APP",
        "detail": "consent scope does not include 'branch-devices'",
    }
    aggregate = {
        "record_id": "agg-1",
        "bin_start": "2026-11-29T09:30:00Z",
        "bin_s": 900,
        "metric": "unidentified_visits",
        "value": 4,
    }
    assert device.upload("audit", [audit]).json() == {"accepted": 1, "duplicates": 0}
    assert device.upload("aggregates", [aggregate]).json() == {"accepted": 1, "duplicates": 0}
    assert sim.db.records("audit") == {"audit-1": 1}
    assert sim.db.records("aggregates") == {"agg-1": 1}
    # A check-in is no audit record: unknown fields are refused, not silently dropped.
    assert device.upload("audit", [checkin("visit-1")]).status_code == 422


def test_a_refusal_names_each_record_refused_for_its_own_content(sim: CentralSim, device: Device) -> None:
    bad_band = checkin("visit-2") | {"score_band": "low"}
    extra_field = checkin("visit-4") | {"account_number": "DE00 1234"}
    records = [checkin("visit-1"), bad_band, checkin("visit-3"), extra_field]
    refused = device.upload("checkins", records)
    assert refused.status_code == 422
    answer = UploadRefused.model_validate(refused.json())
    named = {record.record_id: record.reason for record in answer.rejected}
    assert set(named) == {"visit-2", "visit-4"}
    assert named["visit-2"].startswith("score_band: ") and named["visit-4"].startswith("account_number: ")
    assert "DE00" not in named["visit-4"]  # the reason says the rule, never the value
    assert sim.db.records("checkins") == {}  # a batch is stored whole or not at all


def test_a_refusal_about_the_batch_as_a_whole_names_no_record(device: Device) -> None:
    too_many = device.upload("checkins", [checkin() for _ in range(501)])
    nameless = device.upload("checkins", [{"customer_ref": "C", "branch_id": "b"}])
    for refused in (too_many, nameless):
        assert refused.status_code == 422
        assert UploadRefused.model_validate(refused.json()).rejected == []


def test_a_batch_without_an_idempotency_key_is_refused(device: Device) -> None:
    body = json.dumps({"records": [checkin()]}).encode()
    response = device.request(
        "POST", "/v1/devices/door-1/checkins", body, {"Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_deletion_acks_are_recorded_per_device(sim: CentralSim, device: Device) -> None:
    body = json.dumps({"customer_refs": ["CUST-1", "CUST-2"]}).encode()
    response = device.request(
        "POST", "/v1/devices/door-1/deletion-acks", body, {"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == {"acknowledged": 2}
    assert sim.db.deletion_acks() == {"CUST-1": ["door-1"], "CUST-2": ["door-1"]}
