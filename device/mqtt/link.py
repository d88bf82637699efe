"""The daemon's one MQTT connection: availability with a Last Will, cues, and what screens send back.

paho-mqtt is not thread-safe, so the client has one owner: the `mqtt` thread made here. It runs
paho's network loop itself (socket, loop_read, loop_write, loop_misc), handles incoming messages, and is
the only caller of `publish`. Other threads only put `Outgoing` messages on a queue and poke a wakeup
socket, so a publish leaves within a select() round trip.

Cues must never reach a screen after their expiry, and none within it may be lost. So nothing waits in
paho's own queue across a disconnect (paho would resend it with its original expiry interval, and the
broker would start that interval again): each connection gets a fresh client; messages not yet
acknowledged when it drops are taken back and sent on the next one with what is left of their life,
and those whose life ran out are dropped. Whatever raises in a round (a message paho refuses) is the
`mqtt` fault, and the next round comes after a short backoff: the thread lives on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import select
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from common.backoff import Backoff
from common.faults import Faults, keep_running
from device.mqtt.config import MqttConfig
from device.mqtt.credentials import read_password, tls_context
from device.mqtt.outgoing import Outgoing
from device.mqtt.topics import Topics

__all__ = ["MqttLink", "Outgoing"]

log = logging.getLogger(__name__)

ONLINE = "online"
OFFLINE = "offline"
TICK_S = 0.1

Handler = Callable[[str, bytes], None]


class MqttLink:
    def __init__(
        self,
        config: MqttConfig,
        topics: Topics,
        client_id: str,
        clock: Callable[[], float] = time.time,
        faults: Faults | None = None,
    ) -> None:
        self.faults = faults or Faults()
        self._config = config
        self._topics = topics
        self._client_id = client_id
        self._clock = clock
        self._tls = tls_context(config.tls) if config.tls is not None else None
        self._password = read_password(config.password_file) if config.username else None
        self._connected = threading.Event()
        self.last_refusal: str | None = None
        self.cues_sent = 0
        self.expired_unsent = 0
        self._queue: queue.SimpleQueue[Outgoing] = queue.SimpleQueue()
        self._held: deque[Outgoing] = deque()
        self._held_lock = threading.RLock()  # the mqtt thread's, but forgetting a customer reaches in
        self._inflight: dict[int, Outgoing] = {}  # under _held_lock too: a forget filters it
        self._handlers: list[tuple[str, Handler]] = []
        self._tickers: list[Callable[[float], None]] = []
        self._client: mqtt.Client | None = None
        self._reconnect_delay, self._next_attempt = config.reconnect_min_s, 0.0  # monotonic
        self._stop = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._thread = threading.Thread(target=self._run, name="mqtt", daemon=True)

    # --- the API other threads use: they never touch the client ------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def subscribe(self, pattern: str, handler: Handler) -> None:
        """Before start: `handler(topic, payload)` runs on the mqtt thread; it must not block."""
        self._handlers.append((pattern, handler))

    def every_tick(self, tick: Callable[[float], None]) -> None:
        """Before start: called on the mqtt thread about every 100 ms with the wall clock."""
        self._tickers.append(tick)

    def start(self) -> None:
        self._thread.start()

    def loop_alive(self) -> bool:
        return self._thread.is_alive()

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    def send(self, message: Outgoing) -> None:
        self._queue.put(message)
        with contextlib.suppress(BlockingIOError, OSError):  # full: the owner is awake anyway
            self._wake_w.send(b"\0")

    @property
    def topics(self) -> Topics:
        return self._topics

    def publish_expiring(
        self,
        topic: str,
        payload: bytes,
        expires_at: float,
        customer_ref: str | None = None,
        now: float | None = None,
    ) -> bool:
        """Queue a teller cue: QoS 1, never delivered after `expires_at` (wall clock), none lost before
        it; forgetting `customer_ref` drops it while it is not yet on the broker. False when it has
        no whole second of life left, and then nothing is queued."""
        if int(expires_at - (self._clock() if now is None else now)) <= 0:
            return False
        self.send(Outgoing(topic, payload, 1, expires_at, is_cue=True, customer_ref=customer_ref))
        return True

    def drop_pending_cues(self, still_held: Callable[[str], bool]) -> int:
        """device.privacy.forgetting.PendingCues: a forgotten customer's cue not yet handed to the broker
        never goes out (one already on the broker expires there; the cue board withdraws it from screens)."""
        with self._held_lock:
            self._take_queue()
            kept = deque(m for m in self._held if m.customer_ref is None or still_held(m.customer_ref))
            dropped, self._held = len(self._held) - len(kept), kept
            # Sent but unacknowledged: a disconnect would put these back and resend them.
            for mid, message in list(self._inflight.items()):
                if message.customer_ref is not None and not still_held(message.customer_ref):
                    del self._inflight[mid]
        return dropped

    def publish_json(self, topic: str, payload: bytes, qos: int, expiry_s: float) -> None:
        self.send(Outgoing(topic, payload, qos, self._clock() + max(1.0, expiry_s)))

    def publish_health(self, summary: dict[str, object], expiry_s: int) -> None:
        self.publish_json(self._topics.health, _dumps(summary), 0, expiry_s)

    def publish_floor(self, snapshot: dict[str, object], expiry_s: int) -> None:
        """A live floor snapshot: anonymous counts, fire-and-forget, stale after `expiry_s`."""
        self.publish_json(self._topics.floor, _dumps(snapshot), 0, expiry_s)

    def publish_forecast(self, forecast: dict[str, object], expiry_s: int) -> None:
        """The footfall forecast: anonymous, retained so a staff-planning screen that connects later gets
        the current one at once (it changes once a day), QoS 1, expiring so a dead kiosk's goes stale."""
        self.send(Outgoing(self._topics.forecast, _dumps(forecast), 1, self._clock() + expiry_s, retain=True))

    def stop(self, timeout_s: float = 2.0) -> None:
        """Say `offline` (retained) ourselves, so screens need not wait for the Last Will."""
        self._stop.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")
        if self._thread.is_alive():
            self._thread.join(timeout_s + 1.0)
        if self._thread.is_alive():  # still selecting on the wake socket: closing it under it would break it
            log.warning("mqtt thread did not stop within %.1f s", timeout_s + 1.0)
            return
        self._wake_r.close()
        self._wake_w.close()

    # --- the mqtt thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        keep_running(self.faults, "mqtt", "talk to the broker", self._round, self._stop, Backoff(TICK_S, 5.0))
        self._say_offline()

    def _round(self) -> float:
        """(Re)connect when due, one select() round of paho's network loop, the queue, the tickers."""
        client = self._client
        if client is None:
            if time.monotonic() >= self._next_attempt:
                if self._connect():
                    self._reconnect_delay = self._config.reconnect_min_s
                else:
                    self._retry_later()
            self._wait(None)
        else:
            self._wait(client)
            if self._client is None:  # the connection dropped in this round
                self._retry_later()
        with self._held_lock:
            self._take_queue()
            self._flush()
            if not self._connected.is_set():
                self._prune(self._clock())
        now = self._clock()
        for tick in self._tickers:
            try:
                tick(now)
            except Exception:
                log.exception("mqtt tick failed")
        with self._held_lock:
            self._flush()
        return 0.0

    def _retry_later(self) -> None:
        self._next_attempt = time.monotonic() + self._reconnect_delay
        self._reconnect_delay = min(self._reconnect_delay * 2, self._config.reconnect_max_s)

    def _connect(self) -> bool:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self._client_id, protocol=mqtt.MQTTv5)
        client.will_set(self._topics.availability, OFFLINE, qos=1, retain=True)
        if self._config.username:
            client.username_pw_set(self._config.username, self._password)
        if self._tls is not None:
            client.tls_set_context(self._tls)
        client.on_connect = self._on_connect
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        try:
            client.connect(self._config.host, self._config.port, keepalive=self._config.keepalive_s)
        except (OSError, ssl.SSLError) as exc:
            log.warning("broker %s:%s unreachable: %s", self._config.host, self._config.port, exc)
            return False
        self._client = client
        return True

    def _wait(self, client: mqtt.Client | None) -> None:
        sock = client.socket() if client is not None else None
        readers: list[Any] = [self._wake_r]
        if sock is not None:
            readers.append(sock)
        writers = [sock] if sock is not None and client is not None and client.want_write() else []
        pending = sock is not None and hasattr(sock, "pending") and sock.pending() > 0
        readable, writable, _ = select.select(readers, writers, [], 0 if pending else TICK_S)
        if self._wake_r in readable:
            try:
                while self._wake_r.recv(4096):
                    pass
            except BlockingIOError:
                pass
        if client is None or sock is None:
            return
        rc = mqtt.MQTT_ERR_SUCCESS
        if sock in readable or pending:
            rc = client.loop_read(10)
        if rc == mqtt.MQTT_ERR_SUCCESS and (sock in writable or client.want_write()):
            rc = client.loop_write()
        if rc == mqtt.MQTT_ERR_SUCCESS:
            rc = client.loop_misc()
        if rc != mqtt.MQTT_ERR_SUCCESS or client.socket() is None:
            self._lost(client, mqtt.error_string(rc))

    def _lost(self, client: mqtt.Client, why: str) -> None:
        """Take back what the broker has not acknowledged; the next connection gets a fresh client."""
        if self._connected.is_set():
            log.warning("disconnected from broker: %s", why)
        self._connected.clear()
        with self._held_lock:
            self._held.extendleft(reversed(list(self._inflight.values())))
            self._inflight.clear()
        client.on_connect = client.on_publish = client.on_message = client.on_subscribe = None
        try:
            client.disconnect()
        except Exception as exc:  # the socket is gone already; nothing to tell the broker
            log.debug("disconnect after loss: %s", exc)
        self._client = None

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            # Say why, so an engineer can fix credentials; the broker closes and we retry.
            self.last_refusal = str(reason_code)
            log.error(
                "broker %s:%s refused the connection: %s", self._config.host, self._config.port, reason_code
            )
            return
        self.last_refusal = None
        patterns = sorted({pattern for pattern, _ in self._handlers})
        if patterns:
            client.subscribe([(pattern, 1) for pattern in patterns])
        else:
            self._ready(client)

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        refused = [str(code) for code in reason_codes if code.is_failure]
        if refused:
            log.error("broker refused our subscriptions (check the ACL): %s", ", ".join(refused))
        self._ready(client)

    def _ready(self, client: mqtt.Client) -> None:
        """`online` only once we listen: screens say hello when they see it, and must be heard."""
        client.publish(self._topics.availability, ONLINE, qos=1, retain=True)
        self._connected.set()
        log.info("connected to broker %s:%s", self._config.host, self._config.port)

    def _on_publish(
        self, client: mqtt.Client, userdata: object, mid: int, reason_code: ReasonCode, properties: Properties
    ) -> None:
        with self._held_lock:
            self._inflight.pop(mid, None)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        for pattern, handler in self._handlers:
            if mqtt.topic_matches_sub(pattern, message.topic):
                try:
                    handler(message.topic, bytes(message.payload))
                except Exception:
                    log.exception("handling a message on %s failed; message dropped", message.topic)

    def _take_queue(self) -> None:
        while True:
            try:
                message = self._queue.get_nowait()
            except queue.Empty:
                return
            if message.qos == 0 and not self._connected.is_set():
                continue  # live data: stale by the time the broker is back
            self._held.append(message)

    def _prune(self, now: float) -> None:
        """A long outage must not grow memory: what can no longer be sent is let go as it expires."""
        if self._held and any(m.expires_at is not None and m.expires_at - now < 1 for m in self._held):
            kept = deque(m for m in self._held if m.expires_at is None or m.expires_at - now >= 1)
            self.expired_unsent += sum(m.is_cue for m in self._held) - sum(m.is_cue for m in kept)
            self._held = kept

    def _flush(self) -> None:
        client = self._client
        if client is None or not self._connected.is_set():
            return
        now = self._clock()
        while self._held and self._client is not None:
            message = self._held.popleft()
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            if message.expires_at is not None:
                remaining = int(message.expires_at - now)  # rounded down: never outlives its expiry
                if remaining < 1:
                    if message.is_cue:
                        self.expired_unsent += 1
                        log.info("a cue expired while the broker was away: dropped")
                    continue
                properties.MessageExpiryInterval = remaining
            if message.content_type:
                properties.ContentType = message.content_type
            info = client.publish(
                message.topic, message.payload, message.qos, message.retain, properties=properties
            )
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                self._held.appendleft(message)
                self._lost(client, mqtt.error_string(info.rc))
                return
            if message.qos > 0:
                self._inflight[info.mid] = message
            if message.is_cue and not message.sent:
                self.cues_sent += 1
            message.sent = True

    def _say_offline(self, timeout_s: float = 2.0) -> None:
        client = self._client
        if client is None or not self._connected.is_set():
            return
        info = client.publish(self._topics.availability, OFFLINE, qos=1, retain=True)
        deadline = time.monotonic() + timeout_s
        while not info.is_published() and time.monotonic() < deadline and client.socket() is not None:
            self._wait(client)
            if self._client is None:
                break
        if not info.is_published():
            log.warning("offline status not confirmed by the broker")
        client.disconnect()
        self._connected.clear()


def _dumps(body: dict[str, object]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
