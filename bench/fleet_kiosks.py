"""Lightweight kiosks for bench/fleet.py: no camera, a real store and the real sync client each, and the
branch's MQTT messages as the fleet bridge delivers them to the central broker.

Many kiosks share a few threads: a pool runs each kiosk's sync cycle when it is due (every request a
real signed request of that kiosk's own client), and one thread publishes every kiosk's messages on
its own MQTT 5 connection (at the central broker there is one bridge connection per branch; a bench
kiosk is a one-kiosk branch).
"""

from __future__ import annotations

import heapq
import json
import os
import select
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from bench.fleet_traffic import (
    AUDITS_PER_CHECKIN,
    BATCH_SIZE,
    CHECKIN_SHARE,
    FLOOR_INTERVAL_S,
    FORECAST_INTERVAL_S,
    HEALTH_INTERVAL_S,
    SYNC_INTERVAL_S,
    HttpMeter,
    MeteredTransport,
    floor_snapshot,
    forecast_payloads,
    health_payload,
    mqtt_wire_size,
)
from device.analytics.data import AnalyticsData
from device.central.service import CentralSync
from device.domain import AuditRecord, CheckIn, Profile
from device.mqtt.topics import Topics
from device.state.sealing import TemplateCipher
from device.state.store import Store
from sync.central_sim.device_keys import MasterSecret
from sync.client import CentralClient, CentralError

REGION = "r1"
ONLINE, OFFLINE = b"online", b"offline"


class Kiosk:
    def __init__(
        self, index: int, folder: Path, base_url: str, master: MasterSecret, meter: HttpMeter, cursor: str
    ) -> None:
        self.branch_id = f"b{index:05d}"
        # The daemon's default device id at the central service: <branch>-<device>.
        self.device_id = f"{self.branch_id}-door-1"
        self.topics = Topics(f"fleet/{REGION}", self.branch_id, "door-1")
        self.store = Store(folder / f"{self.branch_id}.db", TemplateCipher(os.urandom(32)))
        self.store.apply_gallery_delta([], [], cursor)  # enrolled before the bench: caught up
        secret = master.for_device(self.device_id)  # what `central_sim --print-device-secret` provisions
        self.client = CentralClient(
            base_url, self.device_id, secret, timeout_s=30.0, transport=MeteredTransport(meter)
        )
        self.sync = CentralSync(self.store, self.client, SYNC_INTERVAL_S, BATCH_SIZE)
        self.rng = np.random.default_rng(index)
        self.started = time.monotonic()
        self.checkins = 0
        self.sync_errors = 0

    def sync_cycle(self, visits_per_s: float) -> None:
        """What the daemon's sync thread does each interval, after the check-ins of that interval."""
        for _ in range(int(self.rng.poisson(visits_per_s * CHECKIN_SHARE * SYNC_INTERVAL_S))):
            self.check_in()
        try:
            self.sync.sync_once()
        except CentralError:
            self.sync_errors += 1

    def check_in(self) -> None:
        if record_checkin(self.store, self.branch_id, self.rng):
            self.checkins += 1

    def queue_forecast(self, aggregates: list[tuple[str, dict[str, Any]]]) -> None:
        AnalyticsData.of(self.store).queue_aggregates(aggregates, time.time())

    def close(self) -> None:
        self.client.close()
        self.store.close()


def record_checkin(store: Store, branch_id: str, rng: np.random.Generator) -> bool:
    """A customer named at the door: the check-in and its audit trail, queued as the desk does."""
    ref = f"CUST-{int(rng.integers(0, 10_000)):06d}"
    checkin = CheckIn(
        str(uuid.uuid4()), ref, branch_id, "door-1", time.time(), "high", Profile(ref, "Customer")
    )
    audits = [
        AuditRecord("identification", ref, score_band="high", rule="open-set"),
        AuditRecord("cue_shown", ref, screen="counter-1"),
    ][:AUDITS_PER_CHECKIN]
    return store.checkins.record(checkin, audits)


@dataclass
class Lag:
    """How late the bench ran what was due: when it grows, the bench (not the service) is the limit."""

    values: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, late_s: float) -> None:
        with self.lock:
            self.values.append(late_s)


def run_syncs(
    kiosks: list[Kiosk], duration_s: float, compression: float, visits_per_s: float, workers: int
) -> Lag:
    """Each kiosk's sync cycle every SYNC_INTERVAL_S / compression, first at a random moment of its
    interval (daemons do not start in step), for `duration_s`."""
    period = SYNC_INTERVAL_S / compression
    start = time.monotonic()
    deadline = start + duration_s
    rng = np.random.default_rng(1)
    due: list[tuple[float, int]] = [(start + float(rng.uniform(0, period)), i) for i in range(len(kiosks))]
    heapq.heapify(due)
    lock = threading.Lock()
    lag = Lag()

    def work() -> None:
        while True:
            with lock:
                if not due or due[0][0] >= deadline:
                    return
                at, index = heapq.heappop(due)
            wait = at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            lag.add(max(0.0, time.monotonic() - at))
            kiosks[index].sync_cycle(visits_per_s)
            with lock:
                heapq.heappush(due, (at + period, index))

    threads = [threading.Thread(target=work, name=f"fleet-sync-{n}", daemon=True) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return lag


@dataclass
class MqttCounts:
    published: dict[str, int] = field(default_factory=dict)
    wire_bytes: dict[str, int] = field(default_factory=dict)
    payload_bytes: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, wire: int, payload: int) -> None:
        self.published[kind] = self.published.get(kind, 0) + 1
        self.wire_bytes[kind] = self.wire_bytes.get(kind, 0) + wire
        self.payload_bytes[kind] = self.payload_bytes.get(kind, 0) + payload


class MqttFleet:
    """One MQTT 5 connection per kiosk to the central broker, all driven from the calling thread."""

    def __init__(self) -> None:
        self.kiosks: list[Kiosk] = []
        self.counts = MqttCounts()
        self.clients: list[mqtt.Client] = []

    def add(self, kiosks: list[Kiosk], host: str, port: int) -> None:
        """Connect more kiosks: each says `online` (retained), with `offline` as its Last Will."""
        clients = []
        for kiosk in kiosks:
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2, client_id=f"bridge-{kiosk.branch_id}", protocol=mqtt.MQTTv5
            )
            client.will_set(kiosk.topics.availability, OFFLINE, qos=1, retain=True)
            client.connect(host, port, keepalive=60)
            clients.append(client)
        for client, kiosk in zip(clients, kiosks, strict=True):
            client.loop(timeout=1.0)  # the CONNACK
            self._publish(client, "availability", kiosk.topics.availability, ONLINE, 1, None, retain=True)
        self.kiosks += kiosks
        self.clients += clients

    def _publish(
        self,
        client: mqtt.Client,
        kind: str,
        topic: str,
        payload: bytes,
        qos: int,
        expiry_s: int | None,
        *,
        retain: bool = False,
    ) -> None:
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        content_type = None if kind == "availability" else "application/json"
        if expiry_s is not None:
            properties.MessageExpiryInterval = expiry_s
        if content_type:
            properties.ContentType = content_type
        client.publish(topic, payload, qos, retain, properties=properties)
        wire = mqtt_wire_size(topic, payload, qos=qos, expiry=expiry_s is not None, content_type=content_type)
        self.counts.add(kind, wire, len(payload))

    def run(self, duration_s: float, compression: float, forecasts: bool = True) -> Lag:
        """Health, floor and (once a day, at a random hour) the forecast of every kiosk, at the daemon's
        intervals divided by `compression`, with its expiries (as the daemon sets them)."""
        rng = np.random.default_rng(2)
        start = time.monotonic()
        deadline = start + duration_s
        periods = {
            "health": HEALTH_INTERVAL_S / compression,
            "floor": FLOOR_INTERVAL_S / compression,
            "forecast": FORECAST_INTERVAL_S / compression,
        }
        due: list[tuple[float, int, str]] = [
            (start + float(rng.uniform(0, period)), i, kind)
            for kind, period in periods.items()
            if forecasts or kind != "forecast"
            for i in range(len(self.kiosks))
        ]
        heapq.heapify(due)
        lag = Lag()
        next_io = start
        while due and due[0][0] < deadline:
            at, index, kind = heapq.heappop(due)
            while (wait := at - time.monotonic()) > 0:
                self._io(min(wait, 0.2))
                next_io = time.monotonic() + 0.2
            lag.add(time.monotonic() - at)
            kiosk, client = self.kiosks[index], self.clients[index]
            if kind == "health":
                body = health_payload(kiosk.store, kiosk.sync, kiosk.started)
                expiry = int(3 * HEALTH_INTERVAL_S)
                self._publish(client, kind, kiosk.topics.health, _dumps(body), 0, expiry)
            elif kind == "floor":
                body = floor_snapshot(time.time(), kiosk.rng)
                expiry = int(2 * FLOOR_INTERVAL_S) + 1
                self._publish(client, kind, kiosk.topics.floor, _dumps(body), 0, expiry)
            else:
                message, aggregates = forecast_payloads(kiosk.branch_id, time.time())
                expiry = int(2 * FORECAST_INTERVAL_S)
                self._publish(client, kind, kiosk.topics.forecast, _dumps(message), 1, expiry, retain=True)
                kiosk.queue_forecast(aggregates)
            heapq.heappush(due, (at + periods[kind], index, kind))
            if time.monotonic() >= next_io:
                self._io(0.0)
                next_io = time.monotonic() + 0.2
        self._io(0.0)
        return lag

    def _io(self, timeout_s: float) -> None:
        """Read what the broker sent (acks, pings), write what is pending, keep each link alive."""
        # poll, not select: a thousand kiosks' sockets and databases are past select's 1024 descriptors.
        poller = select.poll()
        by_fd: dict[int, mqtt.Client] = {}
        for client in self.clients:
            sock = client.socket()
            if sock is not None:
                by_fd[sock.fileno()] = client
                poller.register(sock.fileno(), select.POLLIN)
        for fd, _event in poller.poll(timeout_s * 1000):
            by_fd[fd].loop_read()
        for client in self.clients:
            if client.want_write():
                client.loop_write()
            client.loop_misc()

    def close(self) -> None:
        for client, kiosk in zip(self.clients, self.kiosks, strict=True):
            self._publish(client, "availability", kiosk.topics.availability, OFFLINE, 1, None, retain=True)
        self._io(0.5)
        for client in self.clients:
            client.disconnect()


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


class CentralListener:
    """Head office's side: one subscriber to `fleet/#` on the central broker, counting by kind."""

    def __init__(self, host: str, port: int) -> None:
        self.received: dict[str, int] = {}
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="head-office", protocol=mqtt.MQTTv5)
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_args: subscribed.set()
        self.client.connect(host, port, keepalive=60)
        self.client.loop_start()
        self.client.subscribe("fleet/#", qos=1)
        if not subscribed.wait(30):
            raise RuntimeError("the head-office subscriber was not subscribed within 30 s")

    def _on_message(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        leaf = message.topic.rsplit("/", 1)[-1]
        with self._lock:
            self.received[leaf] = self.received.get(leaf, 0) + 1

    def total(self) -> int:
        with self._lock:
            return sum(self.received.values())

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
