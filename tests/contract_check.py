"""Checking received MQTT messages against the AsyncAPI contract (device/mqtt/contract/asyncapi.json)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from paho.mqtt.client import topic_matches_sub

from device.mqtt.contract.asyncapi import document, validator_for
from tests.mqtt_helpers import Received


def channel_of(topic: str) -> tuple[str, dict[str, Any]]:
    doc = document()
    for name, channel in doc["channels"].items():
        pattern = channel["address"]
        for param in ("branch", "device", "zone", "screen", "key"):
            pattern = pattern.replace("{" + param + "}", "+")
        if topic_matches_sub(pattern, topic):
            return name, doc["components"]["messages"][name]
    raise AssertionError(f"{topic} is on no channel of the contract")


def assert_in_contract(message: Received) -> str:
    """Validate one received message (payload schema, QoS, retained, expiry); returns its channel."""
    name, spec = channel_of(message.topic)
    schema_name = spec["payload"]["$ref"].rsplit("/", 1)[-1]
    body: Any = message.payload.decode() if schema_name == "Availability" else json.loads(message.payload)
    jsonschema.validate(body, validator_for(schema_name))
    binding = spec["bindings"]["mqtt"]
    assert message.qos <= binding["qos"], message.topic
    # Live deliveries clear the flag (MQTT 5 retain-as-published is off): only check the converse.
    assert binding["retain"] or not message.retain, message.topic
    sent_by_kiosk = f"send{name[0].upper()}{name[1:]}" in document()["operations"]
    if sent_by_kiosk and not binding["retain"]:
        assert message.expiry is not None and message.expiry >= 1, f"{message.topic} never expires"
    return name
