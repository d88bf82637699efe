"""The daemon's MQTT link against a real Mosquitto: availability, and cues that expire and are not kept."""

from __future__ import annotations

import json
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from device.cues.cue import Cue, iso_utc
from device.demo.broker import MosquittoBroker
from device.domain import CheckIn, Profile
from device.mqtt.config import MqttConfig
from device.mqtt.link import MqttLink
from device.mqtt.topics import Topics
from tests.device.mqtt.tcp_proxy import FreezableProxy
from tests.mqtt_helpers import Subscriber, TickWatch, publish_cue
from tests.waiting import PATIENCE_S, eventually

pytestmark = pytest.mark.subprocess


def cue(issued_at: float, expiry_s: int = 60, ref: str = "C1") -> Cue:
    checkin = CheckIn("v1", ref, "b1", "door-1", issued_at, "high", Profile(ref, "Grace"))
    return Cue.for_checkin(checkin, issued_at, expiry_s)


def test_online_then_cue_then_offline(broker: MosquittoBroker) -> None:
    branch = f"b-{uuid.uuid4().hex[:8]}"
    topics = Topics("branchdoor", branch, "door-1")
    screen = Subscriber(broker.port, f"branchdoor/{branch}/#")
    link = MqttLink(MqttConfig(port=broker.port), topics, client_id=f"test-{branch}")
    link.start()
    try:
        assert link.wait_connected(PATIENCE_S)
        assert screen.wait_for(lambda: [m.payload for m in screen.on("/availability")] == [b"online"])
        assert publish_cue(link, cue(time.time(), expiry_s=60))
        assert screen.wait_for(lambda: len(screen.on("/cues")) == 1)
        [received] = screen.on("/cues")
        assert received.topic == f"branchdoor/{branch}/cues"
        assert received.qos == 1 and not received.retain
        assert received.expiry is not None and 55 <= received.expiry <= 60
        assert json.loads(received.payload)["greeting_name"] == "Grace"
    finally:
        link.stop()
    assert screen.wait_for(lambda: [m.payload for m in screen.on("/availability")] == [b"online", b"offline"])
    screen.close()

    # A screen that connects later sees the retained availability, and no cue at all.
    late = Subscriber(broker.port, f"branchdoor/{branch}/#")
    assert late.wait_for(lambda: len(late.on("/availability")) == 1)
    assert late.on("/availability")[0].payload == b"offline" and late.on("/availability")[0].retain
    assert late.on("/cues") == []
    late.close()


def test_an_expired_cue_is_not_sent(broker: MosquittoBroker) -> None:
    link = MqttLink(
        MqttConfig(port=broker.port), Topics("branchdoor", "bx", "door-1"), client_id="test-expired"
    )
    link.start()
    try:
        assert link.wait_connected(PATIENCE_S)
        stale = cue(time.time() - 120, expiry_s=60)
        assert not publish_cue(link, stale)
        assert link.cues_sent == 0
    finally:
        link.stop()


def test_a_message_the_client_refuses_is_a_fault_not_the_end_of_the_mqtt_thread(
    broker: MosquittoBroker,
) -> None:
    topics = Topics("branchdoor", "refused", "door-1")
    screen = Subscriber(broker.port, "branchdoor/refused/#")
    link = MqttLink(MqttConfig(port=broker.port), topics, client_id="test-refused")
    link.start()
    try:
        assert link.wait_connected(5)
        link.publish_json("branchdoor/refused/zone/+/cues", b"{}", 1, 60)  # paho raises ValueError
        assert eventually(lambda: link.faults.totals() == {"mqtt": 1})
        assert publish_cue(link, cue(time.time()))
        assert screen.wait_for(lambda: len(screen.on("/cues")) == 1)
        assert link.loop_alive() and link.faults.current() == []
    finally:
        link.stop()
        screen.close()


def test_cues_wait_for_a_missing_broker_within_their_expiry_only() -> None:
    """The kiosk cannot get in (its account does not exist yet) while a screen is already listening;
    when it can, the cue still alive arrives with what is left of its life, the expired one never."""
    with MosquittoBroker(users={"screen": "pw"}) as broker:
        screen = Subscriber(broker.port, "branchdoor/late/cues", auth=("screen", "pw"))
        kiosk_password = Path(tempfile.mkdtemp()) / "password"
        kiosk_password.write_text("kiosk-pw\n")
        kiosk_password.chmod(0o600)
        settings = MqttConfig(
            port=broker.port,
            username="kiosk",
            password_file=kiosk_password,
            reconnect_min_s=1,
            reconnect_max_s=1,
        )
        link = MqttLink(settings, Topics("branchdoor", "late", "door-1"), "t-late")
        link.start()
        try:
            now = time.time()
            assert publish_cue(link, cue(now, expiry_s=2))  # held: refused by the broker for now
            assert publish_cue(link, cue(now, expiry_s=60))
            time.sleep(3)  # the first cue's life runs out meanwhile
            assert not link.connected and link.last_refusal is not None
            broker.add_user("kiosk", "kiosk-pw")
            assert link.wait_connected(PATIENCE_S)
            assert screen.wait_for(lambda: len(screen.messages) >= 1)
            TickWatch(link).wait()  # anything else it held has gone out too
            screen.settle()
            [received] = screen.messages
            assert received.expiry is not None and 60 - (received.at - now) - 2 <= received.expiry <= 57
            assert link.cues_sent == 1
        finally:
            link.stop()
            screen.close()


@contextmanager
def through_a_proxy(
    broker: MosquittoBroker, branch: str
) -> Iterator[tuple[FreezableProxy, Subscriber, MqttLink]]:
    """A connected link whose network can be made to go silent, and a screen on the broker itself."""
    proxy = FreezableProxy(broker.port)
    screen = Subscriber(broker.port, f"branchdoor/{branch}/cues")
    settings = MqttConfig(port=proxy.port, reconnect_min_s=1, reconnect_max_s=1)
    link = MqttLink(settings, Topics("branchdoor", branch, "door-1"), f"t-{branch}")
    link.start()
    try:
        assert link.wait_connected(PATIENCE_S)
        yield proxy, screen, link
    finally:
        link.stop()
        screen.close()
        proxy.close()


def test_a_cue_in_flight_when_the_network_dies_is_resent_only_within_its_life(
    broker: MosquittoBroker,
) -> None:
    """The network goes silent after the kiosk handed two cues to the socket, and the connection is
    cut 3 s later. On reconnect the 2 s cue must not arrive at all (its life ran out in flight) and
    the 60 s cue must arrive, with what is left of its life."""
    with through_a_proxy(broker, "inflight") as (proxy, screen, link):
        proxy.freeze()
        now = time.time()
        assert publish_cue(link, cue(now, expiry_s=2)) and publish_cue(link, cue(now, expiry_s=60))
        time.sleep(3)
        assert screen.messages == []
        proxy.cut_and_thaw()
        assert screen.wait_for(lambda: len(screen.messages) >= 1)
        TickWatch(link).wait()  # anything else it held has gone out too
        screen.settle()
        [received] = screen.messages
        assert json.loads(received.payload)["expires_at"] == iso_utc(now + 60)
        assert received.expiry is not None and 60 - (received.at - now) - 2 <= received.expiry <= 57
        assert link.expired_unsent == 1 and link.cues_sent == 2


def test_a_forgotten_customers_cue_in_flight_is_not_resent_after_the_network_dies(
    broker: MosquittoBroker,
) -> None:
    """Two cues are handed to a socket that goes silent; one customer is forgotten; the connection is
    cut. On reconnect only the other customer's cue is resent: the forgotten one's never arrives."""
    with through_a_proxy(broker, "forget-inflight") as (proxy, screen, link):
        proxy.freeze()
        now = time.time()
        assert publish_cue(link, cue(now, ref="GONE")) and publish_cue(link, cue(now, ref="KEPT"))
        assert eventually(lambda: link.cues_sent == 2)  # both handed to the (silent) connection
        assert link.drop_pending_cues(lambda ref: ref != "GONE") == 0  # none was waiting unsent
        proxy.cut_and_thaw()
        assert screen.wait_for(lambda: len(screen.messages) >= 1)
        TickWatch(link).wait()  # anything else it held has gone out too
        screen.settle()
        assert [json.loads(m.payload)["customer_ref"] for m in screen.messages] == ["KEPT"]


def test_a_stop_that_times_out_leaves_the_still_running_loop_its_wake_socket(
    broker: MosquittoBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tick stuck past stop()'s patience: the loop must still be able to finish and say offline
    when it comes back, not crash on a socket closed under it."""
    crashes: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: crashes.append(args.exc_value))
    stopping, release = threading.Event(), threading.Event()
    screen = Subscriber(broker.port, "branchdoor/slow-stop/device/door-1/availability")
    link = MqttLink(MqttConfig(port=broker.port), Topics("branchdoor", "slow-stop", "door-1"), "t-slow-stop")

    def stuck_while_stopping(now: float) -> None:
        if stopping.is_set():
            release.wait(10)

    link.every_tick(stuck_while_stopping)
    link.start()
    try:
        assert link.wait_connected(PATIENCE_S)
        stopping.set()
        link.stop(timeout_s=0.1)
        assert link.loop_alive()
        release.set()
        assert eventually(lambda: not link.loop_alive())
        assert crashes == []
        assert screen.wait_for(lambda: [m.payload for m in screen.messages][-1:] == [b"offline"])
    finally:
        release.set()
        screen.close()
