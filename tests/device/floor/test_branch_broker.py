"""One floor per branch on a real Mosquitto: two kiosks, each with its own emulated LD2450 on a pty,
wired to the broker as the daemon wires them; one person walks in past both radars."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from device.demo.broker import MosquittoBroker
from device.floor.bins_store import FloorBinStore
from device.floor.config import FloorConfig, PlacementConfig
from device.floor.records import FloorSnapshot
from device.floor.service import FloorService
from device.mqtt.config import MqttConfig
from device.mqtt.link import MqttLink
from device.mqtt.topics import Topics
from device.runtime.daemon import join_branch_floor
from drivers.emulators.ld2450 import Ld2450Emulator
from drivers.emulators.scenario import Scenario, Walker
from drivers.serial.geometry import Placement
from drivers.serial.ld2450 import Ld2450Config
from tests.device.floor.plan import BRANCH
from tests.mqtt_helpers import Subscriber
from tests.waiting import PATIENCE_S, eventually

# Comes in through the main door slowly (0.25 m/s: two radars' views of one moment stay close even
# when a loaded machine delays one), then stands in the waiting area for the rest of the test.
WALKS_IN_AND_STAYS = Scenario(
    walkers=(Walker(((1.0, 2.0, -1.0), (13.0, 2.0, 2.0), (600.0, 2.0, 2.0))),), duration_s=600.0
)
RADARS = {"door-1": Placement(2.0, 4.5, 180.0), "door-2": Placement(3.0, 5.5, 180.0)}


class HeldClock:
    """Scenario time for both emulators: stands at 0 until released, so both radars see the same walk
    whatever the delay between their kiosks opening them."""

    def __init__(self) -> None:
        self._released_at: float | None = None

    def release(self) -> None:
        self._released_at = time.monotonic()

    def __call__(self) -> float:
        return 0.0 if self._released_at is None else time.monotonic() - self._released_at


@dataclass
class Kiosk:
    device_id: str
    link: MqttLink
    service: FloorService
    emulator: Ld2450Emulator
    published: list[FloorSnapshot] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)
    floor_stopped: threading.Event = field(default_factory=threading.Event)

    @property
    def role(self) -> object:
        return self.service.branch_status()["role"]

    def fall_silent(self) -> None:
        """Its floor stops, its broker link does not: it still says `online`, as a kiosk killed does
        until the broker gives up on it and sends its Last Will."""
        if not self.floor_stopped.is_set():
            self.floor_stopped.set()
            self.service.stop()

    def stop(self) -> None:
        if not self.stopped.is_set():
            self.stopped.set()
            self.fall_silent()
            self.link.stop()
            self.emulator.stop()


def kiosk(device_id: str, branch: str, port: int, clock: HeldClock, tmp_path: Path) -> Kiosk:
    sensor = f"radar-{device_id}"
    placement = RADARS[device_id]
    floor = FloorConfig.model_validate(
        {
            **BRANCH.model_dump(),
            "snapshot_interval_s": 1.0,
            "placements": {
                sensor: PlacementConfig(
                    x_m=placement.x_m, y_m=placement.y_m, heading_deg=placement.heading_deg
                )
            },
        }
    )
    emulator = Ld2450Emulator(WALKS_IN_AND_STAYS, placement, clock=clock)
    link = MqttLink(
        MqttConfig(port=port), Topics("branchdoor", branch, device_id), f"test-{branch}-{device_id}"
    )
    branch_floor, share = join_branch_floor(link)
    published: list[FloorSnapshot] = []

    def publish(snapshot: FloorSnapshot) -> None:
        published.append(snapshot)
        link.publish_floor(snapshot.to_dict(), 3)

    store = FloorBinStore(tmp_path / f"{device_id}.db")
    sensors = [Ld2450Config(id=sensor, port=emulator.start())]
    service = FloorService(floor, sensors, store, publish, branch=branch_floor, share=share)
    return Kiosk(device_id, link, service, emulator, published)


@pytest.fixture
def two_kiosks(broker: MosquittoBroker, tmp_path: Path) -> Iterator[tuple[Kiosk, Kiosk, HeldClock, str]]:
    branch, clock = f"b-{uuid.uuid4().hex[:8]}", HeldClock()
    with ExitStack() as stack:
        kiosks = []
        for device_id in ("door-2", "door-1"):  # the later keeper starts first: it must step aside
            one = kiosk(device_id, branch, broker.port, clock, tmp_path)
            stack.callback(one.stop)
            one.link.start()
            assert one.link.wait_connected(PATIENCE_S)
            one.service.start()
            kiosks.append(one)
        door_2, door_1 = kiosks
        yield door_1, door_2, clock, branch


def main_door(snapshot: FloorSnapshot) -> tuple[int, int]:
    """(people on the floor, in through the main door today)"""
    return snapshot.occupancy, snapshot.ins_today["main"]


@pytest.mark.subprocess
@pytest.mark.slow
@pytest.mark.parametrize("keeper_goes", ["stops", "falls silent"])
def test_a_person_seen_by_both_kiosks_counts_once_and_the_floor_survives_its_keeper(
    broker: MosquittoBroker, two_kiosks: tuple[Kiosk, Kiosk, HeldClock, str], tmp_path: Path, keeper_goes: str
) -> None:
    door_1, door_2, clock, branch = two_kiosks
    screen = Subscriber(broker.port, f"branchdoor/{branch}/floor")
    try:
        assert eventually(lambda: door_1.role == "keeper" and door_2.role == "contributor"), (
            door_1.service.branch_status(),
            door_2.service.branch_status(),
        )
        published_before_settling = len(door_2.published)
        clock.release()  # both radars see the walk from here on, in step

        assert eventually(
            lambda: bool(door_1.published) and main_door(door_1.published[-1]) == (1, 1), 120
        ), door_1.published[-1:]
        assert len(door_2.published) == published_before_settling  # a contributor publishes no floor
        heard = door_1.service.branch_status()["kiosks"]
        assert isinstance(heard, dict) and heard["door-2"]["online"], heard

        # Stopping, it says `offline` and door-2 takes over at once; silent, after HEARD_S. Either way
        # door-2's model already holds the day.
        if keeper_goes == "stops":
            door_1.stop()
        else:
            door_1.fall_silent()
        assert eventually(lambda: door_2.role == "keeper"), door_2.service.branch_status()
        after = len(door_2.published)
        assert eventually(
            lambda: len(door_2.published) > after + 1 and main_door(door_2.published[-1]) == (1, 1)
        )
        # The quarter hour door-1 was in is door-2's to store: door-1 kept no open bins for a restart.
        kept = FloorBinStore(tmp_path / "door-1.db")
        try:
            assert kept.take_open() == []
        finally:
            kept.close()
        screen.settle()
        on_the_broker = [json.loads(m.payload) for m in screen.on("/floor")]
        assert on_the_broker and max(s["lines"]["main"]["in"] for s in on_the_broker) == 1
        assert max(s["occupancy"] for s in on_the_broker) == 1
    finally:
        screen.close()
