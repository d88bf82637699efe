"""The AsyncAPI 3 document of the MQTT contract, built from the payload models (never edited by hand)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

from device.mqtt.contract import models

DOCUMENT_PATH = Path(__file__).resolve().parent / "asyncapi.json"
REF = "#/components/schemas/{model}"

PARAMETERS = {
    "branch": "Branch id (`branch.id`); every topic of a branch lives under it.",
    "device": "Kiosk id (`branch.device_id`).",
    "zone": "Zone or counter name (`[[cues.routes]] zone`).",
    "screen": "Teller screen id; the broker ACL lets a screen use only its own.",
    "key": "First 32 hex digits of sha256 over `claim:` + customer_ref: one retained claim per customer.",
}

# name: (address after the prefix, payload schema, the daemon's action, QoS, retained, notes)
CHANNELS: dict[str, tuple[str, str, str, int, bool, str]] = {
    "availability": (
        "{branch}/device/{device}/availability", "Availability", "send", 1, True,
        "`online` once connected and subscribed to hello/feedback; `offline` on a clean stop and as "
        "the Last Will. Screens say hello on every `online`.",
    ),
    "cues": (
        "{branch}/cues", "CuePayload", "send", 1, False,
        "Cues for every screen of the branch. MQTT message expiry = what is left of the cue's life; "
        "never retained; a cue held during an outage is sent with what is left, or dropped.",
    ),
    "zoneCues": (
        "{branch}/zone/{zone}/cues", "CuePayload", "send", 1, False,
        "Cues routed to one zone or counter by `[[cues.routes]]`.",
    ),
    "screenCues": (
        "{branch}/screen/{screen}/cues", "CuePayload", "send", 1, False,
        "Replays of the still-active cues for one screen, after its hello. Screens dedupe by cue_id.",
    ),
    "withdrawals": (
        "{branch}/withdrawals", "CueWithdrawal", "send", 1, False,
        "A cue ended (expired, served, not this customer): drop its card.",
    ),
    "visits": (
        "{branch}/visits", "VisitEvent", "send", 1, False,
        "Check-in lifecycle by stable visit_id: arrived, then served or left.",
    ),
    "hello": (
        "{branch}/screen/{screen}/hello", "ScreenHello", "receive", 1, False,
        "A screen announces itself whenever it sees a kiosk's availability turn `online` (retained: "
        "also right after it subscribes). The kiosk says `online` only once it listens for hellos.",
    ),
    "feedback": (
        "{branch}/screen/{screen}/feedback", "CueFeedback", "receive", 1, False,
        "A teller marks a cue served or not this customer; recorded in the audit trail "
        "(event cue_feedback) and counted in branchdoor_cue_feedback_total. Malformed: refused, logged.",
    ),
    "claims": (
        "{branch}/claims/{key}", "VisitClaim", "send", 1, True,
        "Kiosk to kiosk (the ACL lets no screen read them): the kiosk that checked a customer in claims "
        "the visit, retained, expiring when the dedup window (checkin.dedup_window_s) ends, so a kiosk "
        "that (re)connects gets every live claim. Every kiosk of the branch subscribes to `claims/+` and "
        "treats a live claim as a check-in of its own: no second cue, check-in or upload. Two claims of "
        "one customer: the earlier whole second of `at` wins, then the lower device_id. The loser withdraws "
        "its cue (reason `duplicate_visit`), drops its check-in from the outbox or, if already uploaded, "
        "audits it as merged into the winner's visit, and counts it (branchdoor_duplicate_visits_total, by "
        "cause). A winner that receives a losing claim publishes its own again. Claims a kiosk could not "
        "publish while cut off are sent on reconnect, and the duplicate is reconciled then.",
    ),
    "health": (
        "{branch}/device/{device}/health", "Health", "send", 0, False,
        "Every observability.health_interval_s; expires after three intervals.",
    ),
    "floor": (
        "{branch}/floor", "FloorSnapshot", "send", 0, False,
        "Anonymous floor counts every snapshot_interval_s; expires after two intervals.",
    ),
    "floorObservations": (
        "{branch}/device/{device}/floor/observations", "FloorObservations", "send", 0, False,
        "With `[floor] branch_merge`: 5 a second, expiring after 2 s. Every kiosk of the branch reads "
        "every other's and merges them into its floor; only the floor keeper (the lowest device id heard "
        "and not offline) publishes `floor` and stores the bins. Malformed: refused, logged, counted. "
        "Branch-local: positions, though anonymous, are not for the fleet bridge (the counts are).",
    ),
    "forecast": (
        "{branch}/forecast", "ForecastPayload", "send", 1, True,
        "Next days' visits per hour with 80 % intervals, refitted every analytics.refit_interval_h. "
        "Retained (anonymous; a planning screen connecting later needs it at once); expires after two "
        "refit intervals, so a dead kiosk's forecast goes stale.",
    ),
    "queueAlert": (
        "{branch}/alerts/queue", "QueueAlertPayload", "send", 1, True,
        "With `[staffing] alert` and a floor: \"open another counter\" when the line's estimated wait or "
        "the next half hour's forecast misses the target, raised after alert_raise_after_s missed and "
        "cleared after alert_clear_after_s well within it (half the target wait). Only the floor keeper "
        "publishes it: on every change and refreshed every 30 s, retained with an expiry of 90 s, so a "
        "screen opening later sees the current state and a kiosk that stops or hands over the floor "
        "leaves no alert behind.",
    ),
    "staffing": (
        "{branch}/staffing", "StaffingPayload", "send", 1, True,
        "The staffing plan, made from each forecast: counters to open per hour so that staffing."
        "target_share of customers wait at most staffing.target_wait_s (Erlang C, Allen-Cunneen), with "
        "the wait to expect. Retained and expiring like the forecast; anonymous.",
    ),
}  # fmt: skip

MODELS: list[type[BaseModel]] = [
    models.CuePayload,
    models.CueWithdrawal,
    models.VisitEvent,
    models.ScreenHello,
    models.CueFeedback,
    models.VisitClaim,
    models.Health,
    models.FloorSnapshot,
    models.FloorObservations,
    models.ForecastPayload,
    models.QueueAlertPayload,
    models.StaffingPayload,
]


def schemas() -> dict[str, Any]:
    found: dict[str, Any] = {
        "Availability": {
            "type": "string",
            "enum": list(get_args(models.Availability)),
            "title": "Availability",
        }
    }
    for model in MODELS:
        schema = model.model_json_schema(by_alias=True, ref_template=REF)
        found.update(schema.pop("$defs", {}))
        found[model.__name__] = schema
    return dict(sorted(found.items()))


def document(prefix: str = "branchdoor") -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for name, (address, schema, action, qos, retain, notes) in CHANNELS.items():
        params = [p for p in PARAMETERS if "{" + p + "}" in address]
        messages[name] = {
            "name": name,
            "contentType": "text/plain" if schema == "Availability" else "application/json",
            "payload": {"$ref": REF.format(model=schema)},
            "bindings": {"mqtt": {"qos": qos, "retain": retain, "bindingVersion": "0.2.0"}},
        }
        channels[name] = {
            "address": f"{prefix}/{address}",
            "description": notes,
            "parameters": {p: {"description": PARAMETERS[p]} for p in params},
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[f"{action}{name[0].upper()}{name[1:]}"] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{name}"},
            "messages": [{"$ref": f"#/channels/{name}/messages/{name}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "branchdoor teller contract",
            # 2.0.0: a cue (branchdoor/cue/2) carries its check-in channel. 2.1.0: kiosk-to-kiosk visit
            # claims, and the `duplicate_visit` reason (screens drop a withdrawn card by cue_id whatever it).
            # 2.2.0: the live queue alert (alerts/queue).
            "version": "2.3.0",
            "description": "What a branchdoor kiosk publishes to the branch's teller screens and what it "
            "accepts from them, over MQTT 5. Topics start with `mqtt.topic_prefix` (default "
            "`branchdoor`). Payloads carry no ID or account numbers, balances or images: every JSON "
            "schema forbids unknown keys. Generated from device/mqtt/contract/models.py by "
            "`python -m device.mqtt.contract`.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas()},
    }


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


def validator_for(schema_name: str) -> dict[str, Any]:
    """A JSON Schema whose root is the named component, with every component reachable by $ref."""
    return {"$ref": REF.format(model=schema_name), "components": {"schemas": schemas()}}
