"""The teller cue: a pseudonymous reference, greeting and preferences; an expiry; nothing else."""

from __future__ import annotations

import json

from device.cues.cue import CUE_SCHEMA, Cue, iso_utc
from device.domain import CheckIn, CheckinChannel, Profile

ALLOWED_KEYS = {
    "schema", "cue_id", "visit_id", "branch_id", "device_id", "customer_ref", "greeting_name",
    "language", "interests", "service_hints", "confidence", "checkin_channel", "issued_at", "expires_at",
}  # fmt: skip


def make_cue(expiry_s: int = 180, channel: CheckinChannel = "face") -> Cue:
    profile = Profile("CUST-1", "Grace", "en", ("mortgage advice",), ("prefers a seat",))
    checkin = CheckIn("visit-1", "CUST-1", "b1", "door-1", 1_800_000_000.0, "high", profile, channel)
    return Cue.for_checkin(checkin, issued_at=1_800_000_000.0, expiry_s=expiry_s)


def test_payload_carries_exactly_the_allowed_fields() -> None:
    payload = json.loads(make_cue().to_json())
    assert set(payload) == ALLOWED_KEYS
    assert payload["schema"] == CUE_SCHEMA
    assert payload["greeting_name"] == "Grace" and payload["customer_ref"] == "CUST-1"
    assert payload["interests"] == ["mortgage advice"] and payload["service_hints"] == ["prefers a seat"]


def test_expiry_is_stated_and_counts_down() -> None:
    cue = make_cue(expiry_s=120)
    payload = cue.payload()
    assert payload["issued_at"] == "2027-01-15T08:00:00.000Z"
    assert payload["expires_at"] == "2027-01-15T08:02:00.000Z"
    assert cue.remaining_s(1_800_000_000.0 + 30) == 90
    assert cue.remaining_s(1_800_000_000.0 + 500) == 0


def test_a_card_check_in_says_so_and_claims_no_recognition_confidence() -> None:
    # A teller reading "high confidence" on a card check-in would think the camera recognised them.
    face, token = make_cue().payload(), make_cue(channel="token").payload()
    assert face["checkin_channel"] == "face" and face["confidence"] == "high"
    assert token["checkin_channel"] == "token" and "confidence" not in token


def test_a_check_in_the_camera_could_not_vouch_for_asks_the_teller_to_verify_whatever_the_fields() -> None:
    profile = Profile("CUST-1", "Grace")
    unsure = CheckIn("visit-1", "CUST-1", "b1", "door-1", 1.8e9, "high", profile, verify_before_greeting=True)
    payload = Cue.for_checkin(unsure, issued_at=1.8e9, expiry_s=60, fields=["greeting_name"]).payload()
    assert payload["verify_before_greeting"] is True and payload["greeting_name"] == "Grace"
    assert "verify_before_greeting" not in make_cue().payload()  # absent when there is nothing to verify


def test_iso_utc() -> None:
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"
