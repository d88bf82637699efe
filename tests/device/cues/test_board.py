"""Cues as a branch configures them: only allowed fields, routed to zones, replayed to late screens,
withdrawn when they end; teller feedback audited and counted, malformed messages refused."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from device.cues.config import CueRoute, CuesConfig
from device.demo.broker import MosquittoBroker
from device.domain import CheckIn, Profile
from device.mqtt.config import MqttConfig
from device.mqtt.contract.models import CuePayload
from tests.device.cues.rig import GRACE, kiosk
from tests.mqtt_helpers import Subscriber

ADA = Profile("CUST-2002", "Ada", "fr", ("savings",), ())


@pytest.mark.subprocess
def test_a_cue_carries_only_the_fields_the_branch_allows(tmp_path: Path, broker: MosquittoBroker) -> None:
    allowed = CuesConfig(fields=["greeting_name", "service_hints", "visit_count"])
    screen = Subscriber(broker.port, "branchdoor/fields/cues")
    with kiosk(tmp_path, MqttConfig(port=broker.port), cues=allowed, branch="fields") as k:
        k.check_in(at=time.time() - 86400)
        k.check_in()
        assert screen.wait_for(lambda: len(screen.messages) == 2)
    second = json.loads(screen.messages[1].payload)
    assert set(second) == {
        "schema", "cue_id", "visit_id", "branch_id", "device_id", "checkin_channel", "issued_at",
        "expires_at", "greeting_name", "service_hints", "visit_count",
    }  # fmt: skip
    assert second["visit_count"] == 2 and second["service_hints"] == ["prefers a seat"]
    screen.close()


@pytest.mark.subprocess
def test_a_check_in_recorded_late_gets_only_what_is_left_of_its_cue_life(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    screen = Subscriber(broker.port, "branchdoor/late/cues")
    with kiosk(tmp_path, MqttConfig(port=broker.port), expiry_s=60, branch="late") as k:
        now = time.time()
        # Recorded 61 s and 20 s after the customer was seen (the disk was full meanwhile).
        gone = CheckIn("visit-gone", GRACE.customer_ref, "late", "door-1", now - 61, "high", GRACE)
        late = CheckIn("visit-late", ADA.customer_ref, "late", "door-1", now - 20, "high", ADA)
        for checkin in (gone, late):
            k.store.checkins.record(checkin)
        assert k.board.issue(gone, seen_at=gone.at) is None  # that customer has long moved on
        assert k.board.issue(late, seen_at=late.at) is not None
        assert screen.wait_for(lambda: len(screen.messages) == 1)
    [cue] = screen.messages
    assert json.loads(cue.payload)["visit_id"] == "visit-late"
    assert cue.expiry is not None and 30 <= cue.expiry <= 40
    screen.close()


def test_the_contract_has_no_place_for_account_data() -> None:
    with pytest.raises(ValidationError, match="extra"):
        CuePayload.model_validate(
            {"cue_id": "c", "visit_id": "v", "branch_id": "b", "device_id": "d", "checkin_channel": "face",
             "issued_at": "t", "expires_at": "t", "account_number": "DE89370400440532013000"}
        )  # fmt: skip


@pytest.mark.subprocess
def test_routed_cues_reach_their_zone_and_a_late_screen_gets_them_replayed(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    routes = CuesConfig(
        routes=[CueRoute(zone="advice", interests=["mortgage advice"])],
        screens={"desk-1": "advice", "counter-2": "counters"},
    )
    witness = Subscriber(broker.port, "branchdoor/routing/#")
    with kiosk(tmp_path, MqttConfig(port=broker.port), cues=routes, branch="routing") as k:
        issued = time.time()
        k.check_in(GRACE)  # mortgage advice: the advice desk only
        k.check_in(ADA)  # no route: every screen
        assert witness.wait_for(lambda: len(witness.on("/cues")) == 2)  # both went out
        # Two screens connect after both cues went out: nothing retained reaches them...
        advice = Subscriber(broker.port, "branchdoor/routing/screen/desk-1/cues")
        teller = Subscriber(broker.port, "branchdoor/routing/screen/counter-2/cues")
        advice.settle()
        teller.settle()
        assert advice.messages == [] and teller.messages == []
        # ...until they say hello, and the daemon replays what is still alive for each.
        hello = {"schema": "branchdoor/screen-hello/1", "screen_id": "desk-1", "zone": "advice"}
        advice.publish(k.topics.screen("desk-1", "hello"), json.dumps(hello).encode())
        hello = {"schema": "branchdoor/screen-hello/1", "screen_id": "counter-2", "zone": "counters"}
        teller.publish(k.topics.screen("counter-2", "hello"), json.dumps(hello).encode())
        assert advice.wait_for(lambda: len(advice.messages) == 2)
        assert teller.wait_for(lambda: len(teller.messages) == 1)
        advice.settle()
        teller.settle()
        names = sorted(json.loads(m.payload)["greeting_name"] for m in advice.messages)
        assert names == ["Ada", "Grace"] and json.loads(teller.messages[0].payload)["greeting_name"] == "Ada"
        # Each goes with what is left of its 60 s life (whole seconds), however long the replay took.
        for replay in advice.messages:
            assert replay.expiry is not None and 60 - (replay.at - issued) - 2 <= replay.expiry <= 60
        replayed = [json.loads(m.payload) for m in advice.messages]
        zones = {cue["greeting_name"]: cue.get("zone") for cue in replayed}
        assert zones == {"Grace": "advice", "Ada": None}
    for screen in (advice, teller, witness):
        screen.close()


@pytest.mark.subprocess
def test_feedback_is_audited_and_counted_and_bad_messages_are_refused(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    screen = Subscriber(broker.port, "branchdoor/feedback/#")
    with kiosk(tmp_path, MqttConfig(port=broker.port), branch="feedback") as k:
        checkin = k.check_in()
        assert screen.wait_for(lambda: len(screen.on("/cues")) == 1)
        cue = json.loads(screen.on("/cues")[0].payload)
        topic = k.topics.screen("counter-1", "feedback")
        verdict = {"schema": "branchdoor/cue-feedback/1", "cue_id": cue["cue_id"],
                   "visit_id": checkin.visit_id,
                   "screen_id": "counter-1", "verdict": "not_this_customer"}  # fmt: skip
        for bad in (b"{not json", json.dumps({**verdict, "verdict": "maybe"}).encode(),
                    json.dumps({**verdict, "screen_id": "counter-9"}).encode(),
                    json.dumps({**verdict, "cue_id": "no-such-cue"}).encode()):  # fmt: skip
            screen.publish(topic, bad)
        screen.publish(topic, json.dumps(verdict).encode())
        assert screen.wait_for(lambda: len(screen.on("/withdrawals")) == 1)
        assert screen.wait_for(lambda: k.board.stats.rejected == 4)
        [audit] = k.feedback_audits()
        assert audit["actor"] == "teller" and audit["screen"] == "counter-1"
        assert audit["customer_ref"] == "CUST-1001" and "not_this_customer" in str(audit["detail"])
        assert k.board.stats.verdicts["not_this_customer"] == 1 and k.board.active() == []
        withdrawal = json.loads(screen.on("/withdrawals")[0].payload)
        assert withdrawal["reason"] == "not_this_customer" and withdrawal["cue_id"] == cue["cue_id"]
        # Still running: the next customer still gets a cue.
        k.check_in(ADA)
        assert screen.wait_for(lambda: len(screen.on("/cues")) == 2)
    screen.close()


@pytest.mark.subprocess
def test_a_visit_merged_into_another_doors_has_its_cue_withdrawn_or_never_sent(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    screen = Subscriber(broker.port, "branchdoor/merged/#")
    with kiosk(tmp_path, MqttConfig(port=broker.port), branch="merged") as k:
        shown = k.check_in()
        assert screen.wait_for(lambda: len(screen.on("/cues")) == 1)
        assert k.board.withdraw_visit(shown.visit_id, "duplicate_visit")
        assert not k.board.withdraw_visit(shown.visit_id, "duplicate_visit")  # once
        # Lost to another door before its cue was issued (the claim came in between): none goes out.
        late = CheckIn("v-late", GRACE.customer_ref, "merged", "door-1", time.time(), "high", GRACE)
        assert not k.board.withdraw_visit(late.visit_id, "duplicate_visit")
        assert k.board.issue(late) is None
        screen.settle()
    withdrawn = [json.loads(m.payload) for m in screen.on("/withdrawals")]
    assert [(w["visit_id"], w["reason"]) for w in withdrawn] == [(shown.visit_id, "duplicate_visit")]
    left = [json.loads(m.payload) for m in screen.on("/visits") if json.loads(m.payload)["state"] == "left"]
    assert [(v["visit_id"], v["reason"]) for v in left] == [(shown.visit_id, "duplicate_visit")]
    assert len(screen.on("/cues")) == 1
    screen.close()
