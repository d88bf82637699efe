"""The AsyncAPI document is generated from the payload models, and what the daemon really publishes on
a real broker validates against it, message by message, channel by channel."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest

from device.demo.broker import MosquittoBroker
from device.floor.records import FloorSnapshot
from device.mqtt.config import MqttConfig
from device.mqtt.contract.asyncapi import DOCUMENT_PATH, document, render, validator_for
from device.runtime.observability import Parts, health
from tests.contract_check import assert_in_contract
from tests.device.cues.rig import kiosk
from tests.identity import IDENTITY
from tests.mqtt_helpers import Subscriber
from tests.unstarted import UnstartedPipeline


def test_the_committed_document_is_the_generated_one() -> None:
    assert DOCUMENT_PATH.read_text() == render(), "run `python -m device.mqtt.contract` and commit the result"


def test_every_channel_has_a_message_with_a_schema_and_qos() -> None:
    doc = document()
    assert doc["asyncapi"].startswith("3.")
    for name, channel in doc["channels"].items():
        message = doc["components"]["messages"][name]
        schema_name = message["payload"]["$ref"].rsplit("/", 1)[-1]
        assert schema_name in doc["components"]["schemas"], name
        assert message["bindings"]["mqtt"]["qos"] in (0, 1)
        assert channel["address"].startswith("branchdoor/{branch}/")


def test_verify_before_greeting_is_an_optional_true_on_a_cue() -> None:
    schema = validator_for("CuePayload")
    cue = {
        "schema": "branchdoor/cue/2", "cue_id": "c-1", "visit_id": "v-1", "branch_id": "b1",
        "device_id": "door-1", "checkin_channel": "face", "issued_at": "2026-11-29T09:34:19.512Z",
        "expires_at": "2026-11-29T09:37:19.512Z",
    }  # fmt: skip
    jsonschema.validate(cue, schema)  # absent: a cue as before
    jsonschema.validate({**cue, "verify_before_greeting": True}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**cue, "verify_before_greeting": "yes"}, schema)


@pytest.mark.subprocess
def test_what_the_daemon_publishes_and_accepts_validates_against_the_contract(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    screen = Subscriber(broker.port, "branchdoor/contract/#")
    # The served cue's feedback must come back within its life: 5 s is ample on a busy machine.
    with kiosk(tmp_path, MqttConfig(port=broker.port), expiry_s=5, branch="contract") as k:
        served = k.check_in()
        left = k.check_in()
        feedback = {
            "schema": "branchdoor/cue-feedback/1", "cue_id": "", "visit_id": served.visit_id,
            "screen_id": "counter-1", "verdict": "served",
        }  # fmt: skip
        assert screen.wait_for(lambda: len(screen.on("/cues")) == 2)
        cues = {json.loads(m.payload)["visit_id"]: json.loads(m.payload) for m in screen.on("/cues")}
        feedback["cue_id"] = cues[served.visit_id]["cue_id"]
        hello = {"schema": "branchdoor/screen-hello/1", "screen_id": "counter-1"}
        screen.publish(k.topics.screen("counter-1", "hello"), json.dumps(hello).encode())
        screen.publish(k.topics.screen("counter-1", "feedback"), json.dumps(feedback).encode())
        k.link.publish_health(health(Parts(UnstartedPipeline(), k.link, k.store, identity=IDENTITY)), 90)  # type: ignore[arg-type]
        snapshot = FloorSnapshot(time.time(), 2, {"queue": 1}, {"main door": 2}, {"main door": 0}, 1, 90.0)
        k.link.publish_floor(snapshot.to_dict(), 3)
        # The other cue runs out: withdrawn, and its visit has left.
        assert screen.wait_for(lambda: len(screen.on("/withdrawals")) == 2)
        assert screen.wait_for(lambda: len(screen.on("/visits")) == 4)
        assert screen.wait_for(lambda: screen.on("/health") != [] and screen.on("/floor") != [])
    assert screen.wait_for(lambda: [m.payload for m in screen.on("/availability")][-1:] == [b"offline"])
    screen.close()

    seen = {assert_in_contract(message) for message in screen.messages}
    assert seen >= {"availability", "cues", "screenCues", "withdrawals", "visits", "hello", "feedback",
                    "health", "floor"}  # fmt: skip
    visits = [json.loads(m.payload) for m in screen.on("/visits")]
    states = [(visit["visit_id"], visit["state"]) for visit in visits]
    assert states.count((served.visit_id, "served")) == 1 and states.count((left.visit_id, "left")) == 1
    # Only availability is retained: a screen arriving now gets `offline`, and no personal data.
    late = Subscriber(broker.port, "branchdoor/contract/#")
    late.settle()
    [kept] = late.messages
    assert kept.retain and kept.payload == b"offline" and kept.topic.endswith("/availability")
    late.close()
