"""A real MQTT subscriber for tests: records every message with its properties."""

from __future__ import annotations

import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from device.cues.cue import Cue
from device.mqtt.link import MqttLink
from tests.waiting import PATIENCE_S, eventually


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    expiry: int | None
    at: float


class Subscriber:
    def __init__(
        self,
        port: int,
        topic: str,
        auth: tuple[str, str] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._marker_topic = f"tests/settle/{uuid.uuid4().hex}"
        self._markers: set[bytes] = set()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        # The marker topic is for settle(); a broker whose ACL refuses it leaves settle() unusable.
        self._client.on_connect = lambda c, _u, _f, _rc, _p: c.subscribe(
            [(topic, 1), (self._marker_topic, 1)]
        )
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        if auth is not None:
            self._client.username_pw_set(*auth)
        if tls is not None:
            self._client.tls_set_context(tls)
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()
        assert self._ready.wait(PATIENCE_S), "subscriber could not subscribe"

    def _on_subscribe(
        self, _c: mqtt.Client, _u: object, _mid: int, _rc: list[ReasonCode], _p: Properties | None
    ) -> None:
        self._ready.set()

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        if message.topic == self._marker_topic:
            with self._lock:
                self._markers.add(bytes(message.payload))
            return
        expiry = getattr(message.properties, "MessageExpiryInterval", None) if message.properties else None
        with self._lock:
            self.messages.append(
                Received(
                    message.topic,
                    bytes(message.payload),
                    message.qos,
                    bool(message.retain),
                    expiry,
                    time.time(),
                )
            )

    def on(self, suffix: str) -> list[Received]:
        with self._lock:
            return [m for m in self.messages if m.topic.endswith(suffix)]

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float = PATIENCE_S) -> bool:
        return eventually(predicate, timeout_s)

    def settle(self) -> None:
        """Return once everything the broker had for this subscriber when called has arrived: a
        marker published now comes back behind it (Mosquitto keeps each client's messages in order).
        For checking that nothing more came, instead of sleeping a while."""
        marker = uuid.uuid4().hex.encode()
        self.publish(self._marker_topic, marker)
        assert eventually(lambda: self._has_marker(marker)), "the broker never sent the marker back"

    def _has_marker(self, marker: bytes) -> bool:
        with self._lock:
            return marker in self._markers

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> None:
        assert self._client.publish(topic, payload, qos=qos).rc == mqtt.MQTT_ERR_SUCCESS

    def publish_retained(self, topic: str, payload: bytes) -> None:
        assert self._client.publish(topic, payload, qos=1, retain=True).rc == mqtt.MQTT_ERR_SUCCESS

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


class TickWatch:
    """Counts a link's loop ticks. What one tick queues (a replay, a withdrawal, a resend) the link
    hands to the broker before the next: after two more ticks, nothing queued earlier is pending."""

    def __init__(self, link: MqttLink) -> None:
        self._ticks = 0
        link.every_tick(self._tick)

    def _tick(self, _now: float) -> None:
        self._ticks += 1

    def wait(self, ticks: int = 2) -> None:
        target = self._ticks + ticks
        assert eventually(lambda: self._ticks >= target), "the link's loop stopped ticking"


def publish_cue(link: MqttLink, cue: Cue, topic: str | None = None, now: float | None = None) -> bool:
    """What the cue board hands the link for one cue, for tests that drive the link without a board."""
    return link.publish_expiring(
        topic or link.topics.cues, cue.to_json(), cue.expires_at, cue.checkin.customer_ref, now
    )
