"""The daemon's one MQTT connection: availability with a Last Will, and teller cues.

paho-mqtt is not fully thread-safe: only the pipeline thread publishes cues, and the network loop
thread publishes `online` from its connect callback.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from device.config import MqttConfig
from device.cue import Cue
from device.topics import Topics

log = logging.getLogger(__name__)

ONLINE = "online"
OFFLINE = "offline"


def read_password(path: Path | None) -> str | None:
    if path is None:
        return None
    return path.read_text(encoding="utf-8").strip()


class MqttLink:
    def __init__(self, config: MqttConfig, topics: Topics, client_id: str) -> None:
        self._config = config
        self._topics = topics
        self._connected = threading.Event()
        self.last_refusal: str | None = None
        self.cues_sent = 0
        self._stopping = False
        self._waiting: list[Cue] = []
        self._waiting_lock = threading.Lock()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        client.will_set(topics.availability, OFFLINE, qos=1, retain=True)
        if config.username:
            client.username_pw_set(config.username, read_password(config.password_file))
        client.reconnect_delay_set(int(max(1, config.reconnect_min_s)), int(max(1, config.reconnect_max_s)))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        self._client = client

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        # connect_async + loop_start keeps retrying when the broker is down at boot.
        self._client.connect_async(self._config.host, self._config.port, keepalive=self._config.keepalive_s)
        self._client.loop_start()

    def loop_alive(self) -> bool:
        """The network thread paho started is still running (paho keeps it in `_thread`)."""
        thread = getattr(self._client, "_thread", None)
        return thread is not None and thread.is_alive()

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            # paho retries a refused CONNECT forever; say why so an engineer can fix credentials.
            self.last_refusal = str(reason_code)
            log.error(
                "broker %s:%s refused the connection: %s", self._config.host, self._config.port, reason_code
            )
            return
        self.last_refusal = None
        self._connected.set()
        client.publish(self._topics.availability, ONLINE, qos=1, retain=True)
        log.info("connected to broker %s:%s", self._config.host, self._config.port)
        self._flush_waiting()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if self._connected.is_set() and not self._stopping:
            log.warning("disconnected from broker: %s", reason_code)
        self._connected.clear()

    def publish_cue(self, cue: Cue, now: float | None = None) -> bool:
        """Publish a cue (QoS 1), or hold it while the broker is away. False when it has expired.

        Held cues are not left in paho's queue: the broker would start their expiry only on arrival,
        and a teller could be shown a cue minutes after it should have vanished. They are published on
        reconnect with what is left of their life, and those that ran out are dropped."""
        remaining = cue.remaining_s(time.time() if now is None else now)
        if remaining <= 0:
            return False
        with self._waiting_lock:
            if not self._connected.is_set():
                self._waiting.append(cue)
                return True
        return self._send_cue(cue, remaining)

    def drop_pending_cues(self, still_held: Callable[[str], bool]) -> int:
        """device.forgetting.PendingCues: a forgotten customer's cue held for the broker never goes out."""
        with self._waiting_lock:
            kept = [cue for cue in self._waiting if still_held(cue.checkin.customer_ref)]
            dropped, self._waiting = len(self._waiting) - len(kept), kept
        return dropped

    def _flush_waiting(self) -> None:
        with self._waiting_lock:
            waiting, self._waiting = self._waiting, []
        now = time.time()
        for cue in waiting:
            remaining = cue.remaining_s(now)
            if remaining > 0:
                self._send_cue(cue, remaining)
            else:
                log.info("cue %s expired while the broker was away: dropped", cue.cue_id)

    def _send_cue(self, cue: Cue, remaining: int) -> bool:
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.MessageExpiryInterval = remaining
        properties.ContentType = "application/json"
        info = self._client.publish(
            self._topics.cues, cue.to_json(), qos=1, retain=False, properties=properties
        )
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            log.error("cue %s not queued: %s", cue.cue_id, mqtt.error_string(info.rc))
            return False
        self.cues_sent += 1
        return True

    def publish_health(self, summary: dict[str, object], expiry_s: int) -> None:
        self._publish_json(self._topics.health, summary, expiry_s)

    def _publish_json(self, topic: str, body: dict[str, object], expiry_s: int) -> None:
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.MessageExpiryInterval = max(1, expiry_s)
        properties.ContentType = "application/json"
        payload = json.dumps(body, separators=(",", ":")).encode()
        self._client.publish(topic, payload, qos=0, retain=False, properties=properties)

    def publish_floor(self, snapshot: dict[str, object], expiry_s: int) -> None:
        """A live floor snapshot: anonymous counts, fire-and-forget, stale after `expiry_s`."""
        self._publish_json(self._topics.floor, snapshot, expiry_s)

    def publish_forecast(self, forecast: dict[str, object], expiry_s: int) -> None:
        """The footfall forecast: anonymous, retained so a staff-planning screen that connects later gets
        the current one at once (it changes once a day), QoS 1, expiring so a dead kiosk's goes stale."""
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.MessageExpiryInterval = max(1, expiry_s)
        properties.ContentType = "application/json"
        payload = json.dumps(forecast, separators=(",", ":")).encode()
        self._client.publish(self._topics.forecast, payload, qos=1, retain=True, properties=properties)

    def stop(self, timeout_s: float = 2.0) -> None:
        """Say `offline` (retained) ourselves, so screens need not wait for the Last Will."""
        self._stopping = True
        if self._connected.is_set():
            info = self._client.publish(self._topics.availability, OFFLINE, qos=1, retain=True)
            try:
                info.wait_for_publish(timeout_s)
            except (RuntimeError, ValueError) as exc:
                log.warning("offline status not confirmed: %s", exc)
            self._client.disconnect()
        self._client.loop_stop()
