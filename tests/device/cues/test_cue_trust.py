"""What a screen may not decide for itself: its zone, a second verdict, a verdict on a cue it never got;
and a forgotten customer's cues leave the board, every screen and every replay at once."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from device.cues.config import CueRoute, CuesConfig
from device.demo.broker import MosquittoBroker
from device.domain import Profile
from device.mqtt.config import MqttConfig
from device.mqtt.link import MqttLink
from tests.device.cues.rig import GRACE, Kiosk, kiosk
from tests.mqtt_helpers import Subscriber, TickWatch

pytestmark = pytest.mark.subprocess

ADA = Profile("CUST-2002", "Ada", "fr", ("savings",), ())
# Grace's cues go to the advice desk only; Ada's to every screen.
ZONED = CuesConfig(
    routes=[CueRoute(zone="advice", interests=["mortgage advice"])],
    screens={"desk-1": "advice", "counter-1": "counters"},
)


def hello(k: Kiosk, screen: Subscriber, screen_id: str, zone: str | None = None) -> None:
    body: dict[str, object] = {"schema": "branchdoor/screen-hello/1", "screen_id": screen_id}
    if zone is not None:
        body["zone"] = zone
    screen.publish(k.topics.screen(screen_id, "hello"), json.dumps(body).encode())


def verdict(k: Kiosk, screen: Subscriber, screen_id: str, cue: dict[str, object], said: str) -> None:
    body = {"schema": "branchdoor/cue-feedback/1", "cue_id": cue["cue_id"], "visit_id": cue["visit_id"],
            "screen_id": screen_id, "verdict": said}  # fmt: skip
    screen.publish(k.topics.screen(screen_id, "feedback"), json.dumps(body).encode())


def names(screen: Subscriber, topic_end: str) -> list[str]:
    return sorted(
        json.loads(m.payload)["greeting_name"] for m in screen.messages if m.topic.endswith(topic_end)
    )


def test_a_screen_gets_the_zone_the_daemon_gives_it_not_the_one_it_claims(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    screens = Subscriber(broker.port, "branchdoor/spoof/screen/+/cues")
    with kiosk(tmp_path, MqttConfig(port=broker.port), cues=ZONED, branch="spoof") as k:
        k.check_in(GRACE)
        k.check_in(ADA)
        hello(k, screens, "counter-1", zone="advice")  # a counter screen claims the advice desk's zone
        assert screens.wait_for(lambda: k.board.stats.zone_refused == 1)
        TickWatch(k.link).wait()  # a replay would have gone out by now
        screens.settle()
        assert names(screens, "/counter-1/cues") == []  # refused: no replay at all
        hello(k, screens, "counter-1")  # its configured zone: counters
        hello(k, screens, "lobby-1")  # not configured: branch-wide cues only
        hello(k, screens, "desk-1")  # configured: advice
        assert screens.wait_for(lambda: len(names(screens, "/desk-1/cues")) == 2)
        assert screens.wait_for(lambda: names(screens, "/counter-1/cues") == ["Ada"])
        assert screens.wait_for(lambda: names(screens, "/lobby-1/cues") == ["Ada"])
        TickWatch(k.link).wait()  # and nothing more comes
        screens.settle()
        assert names(screens, "/counter-1/cues") == ["Ada"] and names(screens, "/lobby-1/cues") == ["Ada"]
        assert names(screens, "/desk-1/cues") == ["Ada", "Grace"]
        # Each replay is a cue shown, audited under the screen it went to.
        shown = [r for r in k.store.outbox.records() if r.get("event") == "cue_shown"]
        replayed = sorted(
            (str(r["screen"]), str(r["customer_ref"])) for r in shown if "/" not in str(r["screen"])
        )
        assert replayed == [
            ("counter-1", "CUST-2002"), ("desk-1", "CUST-1001"),
            ("desk-1", "CUST-2002"), ("lobby-1", "CUST-2002"),
        ]  # fmt: skip
    screens.close()


def test_one_verdict_per_cue_and_only_from_a_screen_that_could_have_shown_it(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    screens = Subscriber(broker.port, "branchdoor/verdicts/#")
    with kiosk(tmp_path, MqttConfig(port=broker.port), cues=ZONED, branch="verdicts") as k:
        k.check_in(GRACE)
        assert screens.wait_for(lambda: len(screens.on("/zone/advice/cues")) == 1)
        cue = json.loads(screens.on("/zone/advice/cues")[0].payload)
        verdict(k, screens, "counter-1", cue, "served")  # never received it: advice desk only
        assert screens.wait_for(lambda: k.board.stats.rejected == 1)
        verdict(k, screens, "desk-1", cue, "served")
        assert screens.wait_for(lambda: len(screens.on("/withdrawals")) == 1)
        verdict(k, screens, "desk-1", cue, "not_this_customer")  # a second click: already ended
        assert screens.wait_for(lambda: k.board.stats.rejected == 2)
        TickWatch(k.link).wait()
        [audit] = k.feedback_audits()
        assert audit["screen"] == "desk-1" and str(audit["detail"]).startswith("served")
        assert dict(k.board.stats.verdicts) == {"served": 1} and k.board.stats.withdrawn == 1
    screens.close()


def test_a_forgotten_customers_cue_is_withdrawn_never_replayed_and_not_remembered(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    screens = Subscriber(broker.port, "branchdoor/forget/#")
    with kiosk(tmp_path, MqttConfig(port=broker.port), branch="forget") as k:
        earlier = k.check_in(GRACE)  # served already: an ended cue the board still remembers
        assert screens.wait_for(lambda: len(screens.on("/cues")) == 1)
        verdict(k, screens, "counter-1", json.loads(screens.on("/cues")[0].payload), "served")
        assert screens.wait_for(lambda: len(screens.on("/withdrawals")) == 1)
        k.check_in(GRACE)
        k.check_in(ADA)
        assert screens.wait_for(lambda: len(screens.on("/cues")) == 3)
        active = json.loads(screens.on("/cues")[1].payload)
        assert k.board.remembers(GRACE.customer_ref)

        k.board.drop_pending_cues(lambda ref: ref != GRACE.customer_ref)  # Grace withdrew consent

        assert screens.wait_for(lambda: len(screens.on("/withdrawals")) == 2)
        withdrawal = json.loads(screens.on("/withdrawals")[1].payload)
        assert withdrawal["cue_id"] == active["cue_id"] and withdrawal["reason"] == "consent_withdrawn"
        assert not k.board.remembers(GRACE.customer_ref)
        hello(k, screens, "counter-2")
        assert screens.wait_for(lambda: len(screens.on("/counter-2/cues")) == 1)
        verdict(k, screens, "counter-1", active, "served")
        assert screens.wait_for(lambda: k.board.stats.rejected == 1)
        again = dataclasses.replace(earlier, visit_id=str(uuid.uuid4()), at=time.time())
        assert k.board.issue(again) is None  # seen forgotten during this run: no cue for Grace
        TickWatch(k.link).wait()
        screens.settle()
        assert [json.loads(m.payload)["greeting_name"] for m in screens.on("/counter-2/cues")] == ["Ada"]
        assert len(k.feedback_audits()) == 1 and not k.board.remembers(GRACE.customer_ref)
    screens.close()


class RacingLink(MqttLink):
    """Lands a forget in the middle of a replay: when the first replay is about to be queued, the
    forget runs on another thread (given 0.3 s to finish), then the replay goes on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.forget: Callable[[], None] | None = None
        self.queued: list[tuple[str, bool]] = []  # (customer_ref, the forget already done)
        self.forgotten = threading.Event()

    def publish_expiring(
        self,
        topic: str,
        payload: bytes,
        expires_at: float,
        customer_ref: str | None = None,
        now: float | None = None,
    ) -> bool:
        if self.forget is not None and "/screen/" in topic:
            forget, self.forget = self.forget, None
            racer = threading.Thread(target=forget)
            racer.start()
            racer.join(0.3)
        assert customer_ref is not None
        self.queued.append((customer_ref, self.forgotten.is_set()))
        return super().publish_expiring(topic, payload, expires_at, customer_ref, now)


def test_a_replay_racing_a_forget_queues_nothing_of_the_customer_after_it(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    screens = Subscriber(broker.port, "branchdoor/race/screen/+/cues")
    with kiosk(tmp_path, MqttConfig(port=broker.port), branch="race", link_class=RacingLink) as k:
        link = k.link
        assert isinstance(link, RacingLink)
        k.check_in(GRACE)

        def forget() -> None:
            k.board.drop_pending_cues(lambda ref: ref != GRACE.customer_ref)
            link.forgotten.set()

        link.forget = forget
        for screen_id in ("counter-1", "counter-2", "counter-3"):
            hello(k, screens, screen_id)
        assert screens.wait_for(lambda: link.forgotten.is_set())
        TickWatch(link).wait()  # the tick replaying to the three screens has ended
        assert (GRACE.customer_ref, True) not in link.queued, link.queued
        assert not k.board.remembers(GRACE.customer_ref)
    screens.close()
