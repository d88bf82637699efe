"""Cue benchmark: fan-out to 50 teller screens, and a 10-second broker restart while cues are produced.

Usage: taskset -c 1 .venv/bin/python bench/cues.py [--screens 50] [--json]

A private Mosquitto on loopback; the daemon's real MqttLink and CueBoard; 50 screens (paho clients in a
separate process, as screens are separate devices) that subscribe to the branch's cues and to their own
replay topic, and say hello on every connect, as the reference dashboard does.

1. Fan-out: 200 cues at 20/s to all screens; publish-to-receive latency per screen and cue, p50/p95.
   Baseline, same run: the same payloads published by a bare paho client (no link, no board).
2. Restart: cues at 5/s for 25 s, every other one with a 3 s life and the rest 30 s; the broker stops
   5 s in and comes back 10 s later on the same port.
   - `delivered_after_expiry`: receipts (screen, cue) later than the cue's `expires_at`.
   - `lost_within_expiry`: (screen, cue) pairs never received although the cue still had more than
     GRACE_S to live once both that screen and the kiosk were connected again (cues issued while all
     was up count from their issue). GRACE_S is 2 s: MQTT expiry is whole seconds, rounded down so
     that no cue outlives its `expires_at` (a cue with under 1 s left is not sent), and a late screen
     gets its replay a hello round trip after it is back. Pairs missed inside that margin are
     reported as `missed_near_expiry`, not hidden.
3. Hello flood: live cues at 5/s for 10 s to the 50 screens, first alone (the baseline), then while a
   separate process publishes 5,000 hellos from invented screen ids; live-cue latency p50/p95 in each
   phase, the replays and `cue_shown` audit records the flood cost, and the kiosk's RSS growth.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from device.cues.board import CueBoard
from device.cues.config import CuesConfig
from device.cues.replay import HelloStats
from device.demo.broker import MosquittoBroker, free_port
from device.domain import CheckIn, Profile
from device.mqtt.config import MqttConfig
from device.mqtt.link import MqttLink
from device.mqtt.topics import Topics
from device.state.store import Store

BRANCH = "bench"
GRACE_S = 2.0
PROFILE = Profile("CUST-1", "Grace", "en", ("mortgage advice",), ("prefers a seat",))


# --- the screens' process ---------------------------------------------------------------------------


def run_screens(port: int, count: int, conn: Connection) -> None:
    """Screens record (screen, cue_id, received_at) and when each was (re)subscribed; sent at the end."""
    receipts: list[tuple[int, str, float]] = []
    backs: list[tuple[int, float]] = []
    lock = threading.Lock()
    clients = []
    for index in range(count):
        client = mqtt.Client(CallbackAPIVersion.VERSION2, f"screen-{index}", protocol=mqtt.MQTTv5)
        client.reconnect_delay_set(1, 1)

        def on_connect(c: mqtt.Client, _u: Any, _f: Any, _rc: Any, _p: Any, i: int = index) -> None:
            c.subscribe(
                [(f"branchdoor/{BRANCH}/cues", 1), (f"branchdoor/{BRANCH}/screen/s{i}/cues", 1),
                 (f"branchdoor/{BRANCH}/device/+/availability", 1)]
            )  # fmt: skip

        def on_subscribe(c: mqtt.Client, _u: Any, _m: Any, _rc: Any, _p: Any, i: int = index) -> None:
            with lock:
                backs.append((i, time.time()))

        def on_message(c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage, i: int = index) -> None:
            at = time.time()
            if message.topic.endswith("/availability"):
                # As the dashboard does: hello on every kiosk `online`, and the kiosk replays.
                if message.payload == b"online":
                    hello = {"schema": "branchdoor/screen-hello/1", "screen_id": f"s{i}"}
                    c.publish(f"branchdoor/{BRANCH}/screen/s{i}/hello", json.dumps(hello), qos=1)
                return
            cue_id = json.loads(message.payload)["cue_id"]
            with lock:
                receipts.append((i, cue_id, at))

        client.on_connect = on_connect
        client.on_subscribe = on_subscribe
        client.on_message = on_message
        client.connect_async("127.0.0.1", port)
        client.loop_start()
        clients.append(client)
    conn.send("started")
    conn.recv()  # "stop"
    for client in clients:
        client.disconnect()
        client.loop_stop()
    with lock:
        conn.send((receipts, backs))


@dataclass
class Screens:
    port: int
    count: int
    conn: Connection = field(init=False)
    process: Any = field(init=False)

    def __post_init__(self) -> None:
        self.conn, child = mp.Pipe()
        self.process = mp.get_context("fork").Process(target=run_screens, args=(self.port, self.count, child))
        self.process.start()
        assert self.conn.recv() == "started"

    def settle(self) -> None:
        """Let every screen connect and subscribe before cues flow."""
        time.sleep(2.0 + self.count * 0.02)

    def finish(self) -> tuple[list[tuple[int, str, float]], list[tuple[int, float]]]:
        self.conn.send("stop")
        receipts, backs = self.conn.recv()
        self.process.join(10)
        return receipts, backs


# --- the kiosk side ---------------------------------------------------------------------------------


@dataclass
class Issued:
    cue_id: str
    at: float
    expires_at: float


def check_in(board: CueBoard, store: Store) -> Issued:
    checkin = CheckIn(str(uuid.uuid4()), PROFILE.customer_ref, BRANCH, "door-1", time.time(), "high", PROFILE)
    store.checkins.record(checkin)
    cue = board.issue(checkin)
    assert cue is not None
    return Issued(cue.cue_id, cue.issued_at, cue.expires_at)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latencies(issued: dict[str, float], receipts: list[tuple[int, str, float]]) -> list[float]:
    first: dict[tuple[int, str], float] = {}
    for screen, cue_id, at in receipts:
        if cue_id in issued:
            first[(screen, cue_id)] = min(at, first.get((screen, cue_id), at))
    return [(at - issued[cue_id]) * 1000 for (_, cue_id), at in first.items()]


def fan_out(port: int, screens: int, cues: int, rate: float, tmp: Path) -> dict[str, Any]:
    group = Screens(port, screens)
    group.settle()
    topics = Topics("branchdoor", BRANCH, "door-1")
    store = Store(tmp / "fanout.db")
    link = MqttLink(MqttConfig(port=port), topics, "bench-kiosk")
    board = CueBoard(link, topics, CuesConfig(replay=False), 60, store)
    link.start()
    assert link.wait_connected(10)
    ours: dict[str, float] = {}
    for _ in range(cues):
        issued = check_in(board, store)
        ours[issued.cue_id] = issued.at
        time.sleep(1 / rate)
    link.stop()
    # Baseline: the same kind of payload, published straight from a bare paho client.
    bare = mqtt.Client(CallbackAPIVersion.VERSION2, "bench-bare", protocol=mqtt.MQTTv5)
    bare.connect("127.0.0.1", port)
    bare.loop_start()
    theirs: dict[str, float] = {}
    for _ in range(cues):
        cue_id = str(uuid.uuid4())
        theirs[cue_id] = time.time()
        bare.publish(f"branchdoor/{BRANCH}/cues", json.dumps({"cue_id": cue_id}), qos=1)
        time.sleep(1 / rate)
    time.sleep(1.0)
    bare.disconnect()
    bare.loop_stop()
    receipts, _ = group.finish()
    store.close()
    mine, base = latencies(ours, receipts), latencies(theirs, receipts)
    return {
        "samples": len(mine),
        "expected": cues * screens,
        "p50_ms": statistics.median(mine) if mine else float("nan"),
        "p95_ms": percentile(mine, 0.95),
        "baseline_p50_ms": statistics.median(base) if base else float("nan"),
        "baseline_p95_ms": percentile(base, 0.95),
    }


def restart(port: int, screens: int, tmp: Path, down_s: float = 10.0) -> dict[str, Any]:
    broker = MosquittoBroker(port=port).start()
    group = Screens(port, screens)
    group.settle()
    topics = Topics("branchdoor", BRANCH, "door-1")
    store = Store(tmp / "restart.db")
    settings = MqttConfig(port=port, reconnect_min_s=1, reconnect_max_s=1)
    link = MqttLink(settings, topics, "bench-kiosk-restart")
    boards = [CueBoard(link, topics, CuesConfig(), life, store) for life in (3, 30)]
    link.start()
    assert link.wait_connected(10)
    issued: list[Issued] = []
    started = time.time()
    stop_at = back_at = kiosk_back = 0.0
    while time.time() - started < 25:
        elapsed = time.time() - started
        if stop_at == 0 and elapsed >= 5:
            broker.stop()
            stop_at = time.time()
        if stop_at and not back_at and time.time() - stop_at >= down_s:
            broker = MosquittoBroker(port=port).start()
            back_at = time.time()
        if back_at and not kiosk_back and link.connected:
            kiosk_back = time.time()
        issued.append(check_in(boards[len(issued) % 2], store))
        time.sleep(0.2)
    time.sleep(4.0)
    link.stop()
    receipts, backs = group.finish()
    broker.stop()
    store.close()

    screen_back = {i: min((at for s, at in backs if s == i and at > back_at), default=float("inf"))
                   for i in range(screens)}  # fmt: skip
    received = {(s, cue_id) for s, cue_id, _ in receipts}
    expires = {cue.cue_id: cue.expires_at for cue in issued}
    after_expiry = sum(1 for _, cue_id, at in receipts if at > expires[cue_id])
    lost = near = 0
    deliverable = 0
    missing: list[str] = []
    for cue in issued:
        for screen in range(screens):
            up_before = cue.at < stop_at - GRACE_S or cue.at > max(kiosk_back, screen_back[screen])
            reachable = cue.at if up_before else max(kiosk_back, screen_back[screen])
            if 0 < cue.expires_at - reachable <= GRACE_S:
                near += (screen, cue.cue_id) not in received
            elif cue.expires_at - reachable > GRACE_S:
                deliverable += 1
                if (screen, cue.cue_id) not in received:
                    lost += 1
                    missing.append(
                        f"screen s{screen}: cue issued {cue.at - stop_at:+.2f} s from the stop, "
                        f"life {cue.expires_at - cue.at:.0f} s, "
                        f"screen back {screen_back[screen] - stop_at:+.2f} s"
                    )
    for line in missing[:20]:
        print(f"lost: {line}", file=sys.stderr)
    return {
        "cues_issued": len(issued),
        "deliverable_pairs": deliverable,
        "received_pairs": len(received),
        "lost_within_expiry": lost,
        "missed_near_expiry": near,
        "delivered_after_expiry": after_expiry,
        "expired_unsent": link.expired_unsent,
        "kiosk_back_after_s": round(kiosk_back - back_at, 2) if kiosk_back else None,
    }


def run_flooder(port: int, count: int, conn: Connection) -> None:
    """An attacker's device: `count` hellos from invented screen ids, as fast as the broker takes them."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, "bench-flooder", protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    conn.recv()  # "go"
    infos = []
    for i in range(count):
        hello = {"schema": "branchdoor/screen-hello/1", "screen_id": f"fake-{i}"}
        infos.append(client.publish(f"branchdoor/{BRANCH}/screen/fake-{i}/hello", json.dumps(hello), qos=1))
    for info in infos:
        info.wait_for_publish(30)
    client.disconnect()
    client.loop_stop()
    conn.send("done")


def seen(stats: HelloStats) -> int:
    return stats.replayed + stats.deferred + stats.refused


def live_cues(board: CueBoard, store: Store, seconds: float, rate: float) -> dict[str, float]:
    issued: dict[str, float] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        cue = check_in(board, store)
        issued[cue.cue_id] = cue.at
        time.sleep(1 / rate)
    return issued


def flood(port: int, screens: int, hellos: int, tmp: Path) -> dict[str, Any]:
    group = Screens(port, screens)
    group.settle()
    topics = Topics("branchdoor", BRANCH, "door-1")
    store = Store(tmp / "flood.db")
    link = MqttLink(MqttConfig(port=port), topics, "bench-kiosk-flood")
    board = CueBoard(link, topics, CuesConfig(), 60, store)
    link.start()
    assert link.wait_connected(10)
    time.sleep(2.0)  # the screens' own hellos on the kiosk's `online`, and their replays, settle first
    quiet = live_cues(board, store, 10.0, 5.0)
    replays_before, rss_before = board.stats.replays, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stats = board.hello_stats
    before = dataclasses.replace(stats)
    conn, child = mp.Pipe()
    flooder = mp.get_context("fork").Process(target=run_flooder, args=(port, hellos, child))
    flooder.start()
    conn.send("go")
    loud = live_cues(board, store, 10.0, 5.0)
    conn.recv()  # every hello was taken by the broker
    flooder.join(10)
    # The kiosk reads the flood until it stops growing (the broker may shed hellos a slow
    # subscriber cannot take: Mosquitto's max_queued_messages).
    last, deadline = -1, time.monotonic() + 60
    while seen(stats) != last and time.monotonic() < deadline:
        last = seen(stats)
        time.sleep(1.0)
    time.sleep(2.0)  # what the flood set in motion has gone out
    link.stop()
    receipts, _ = group.finish()
    shown = sum(1 for r in store.outbox.records() if r.get("event") == "cue_shown")
    store.close()
    alone, during = latencies(quiet, receipts), latencies(loud, receipts)
    return {
        "quiet_p50_ms": statistics.median(alone) if alone else float("nan"),
        "quiet_p95_ms": percentile(alone, 0.95),
        "flood_p50_ms": statistics.median(during) if during else float("nan"),
        "flood_p95_ms": percentile(during, 0.95),
        "flood_received": len(during),
        "flood_expected": len(loud) * screens,
        "flood_replays": board.stats.replays - replays_before,
        "hellos_reaching_kiosk": seen(stats) - seen(before),
        "hellos_honoured": stats.replayed - before.replayed,
        "hellos_refused": stats.refused - before.refused,
        "cue_shown_audits": shown,
        "rss_growth_mb": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024, 1),
    }


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--screens", type=int, default=50)
    parser.add_argument("--cues", type=int, default=200)
    parser.add_argument("--hellos", type=int, default=5000, help="hellos in the flood")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-cues-"))
    port = free_port()
    with MosquittoBroker(port=port):
        fan = fan_out(port, args.screens, args.cues, 20.0, tmp)
    outage = restart(free_port(), args.screens, tmp)
    with MosquittoBroker(port=(flood_port := free_port())):
        storm = flood(flood_port, args.screens, args.hellos, tmp)
    print(f"cue fan-out to {args.screens} screens ({args.cues} cues at 20/s, loopback Mosquitto)")
    print(f"  {'':28}{'p50 ms':>10}{'p95 ms':>10}{'received':>12}")
    print(
        f"  {'bare paho publish (baseline)':28}{fan['baseline_p50_ms']:>10.1f}{fan['baseline_p95_ms']:>10.1f}"
    )
    print(f"  {'branchdoor link + board':28}{fan['p50_ms']:>10.1f}{fan['p95_ms']:>10.1f}"
          f"{fan['samples']:>7}/{fan['expected']}")  # fmt: skip
    print(f"broker down 10 s while producing {outage['cues_issued']} cues (3 s and 30 s lives)")
    for key in ("deliverable_pairs", "received_pairs", "lost_within_expiry", "missed_near_expiry",
                "delivered_after_expiry", "expired_unsent", "kiosk_back_after_s"):  # fmt: skip
        print(f"  {key:28}{outage[key]!s:>10}")
    print(
        f"live cues at 5/s to {args.screens} screens, alone and during {args.hellos} hellos from invented ids"
    )
    print(f"  {'':28}{'p50 ms':>10}{'p95 ms':>10}")
    print(f"  {'no flood (baseline)':28}{storm['quiet_p50_ms']:>10.1f}{storm['quiet_p95_ms']:>10.1f}")
    print(f"  {'during the flood':28}{storm['flood_p50_ms']:>10.1f}{storm['flood_p95_ms']:>10.1f}"
          f"{storm['flood_received']:>7}/{storm['flood_expected']}")  # fmt: skip
    for key in ("hellos_reaching_kiosk", "hellos_honoured", "hellos_refused", "flood_replays",
                "cue_shown_audits", "rss_growth_mb"):  # fmt: skip
        print(f"  {key:28}{storm[key]!s:>10}")
    if args.json:
        print(json.dumps({**fan, **outage, **storm, "screens": args.screens}))
    ok = fan["p95_ms"] <= 50 and outage["lost_within_expiry"] == 0 and outage["delivered_after_expiry"] == 0
    ok = ok and storm["flood_p95_ms"] <= 500 and storm["flood_received"] == storm["flood_expected"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
