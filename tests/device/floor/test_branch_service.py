"""The floor service in a branch of several kiosks, without a broker: only the floor keeper stores the
branch's bins and publishes its snapshot; every kiosk shares what its sensors see."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import jsonschema
import pytest

from device.floor import service as service_module
from device.floor.bins_store import FloorBinStore
from device.floor.keeper import BranchFloor
from device.floor.records import FloorSnapshot
from device.floor.remote import decode, encode
from device.floor.service import FloorService
from device.floor.tracker import Observation
from device.mqtt.config import MqttConfig
from device.mqtt.contract.asyncapi import validator_for
from device.mqtt.link import MqttLink
from device.mqtt.topics import Topics
from device.runtime.observability import Parts, health
from device.state.store import Store
from tests.device.floor.plan import BRANCH
from tests.identity import IDENTITY
from tests.unstarted import UnstartedPipeline
from tests.waiting import eventually

DOOR_1_SAYS = "branchdoor/b1/device/door-1/floor/observations"


@pytest.mark.slow
@pytest.mark.parametrize(("device_id", "keeps"), [("door-0", True), ("door-2", False)])
def test_only_the_keeper_stores_the_branchs_bins_and_publishes_its_floor(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    device_id: str,
    keeps: bool,
) -> None:
    monkeypatch.setattr(service_module, "SAVE_EVERY_S", 0.3)
    caplog.set_level(logging.DEBUG, logger=service_module.__name__)
    store, snapshots, shared = FloorBinStore(tmp_path / "b.db"), list[FloorSnapshot](), list[bytes]()
    floor = BRANCH.model_copy(update={"snapshot_interval_s": 0.2})
    branch = BranchFloor(device_id, started_m=time.monotonic() - 100)
    service = FloorService(floor, [], store, snapshots.append, branch=branch, share=shared.append)
    an_hour_ago = time.time() - 3600
    service.model.ingest(an_hour_ago, [Observation(an_hour_ago, 2.0, 2.0)], 0.1)  # a finished quarter hour
    door_1_speaks, silent = threading.Event(), threading.Event()

    def door_1() -> None:  # what the broker would hand over from the kiosk door-1, 5 a second
        while not silent.wait(0.2):
            branch.heard_observations(DOOR_1_SAYS, encode(time.time(), {"radar": []}, []))
            door_1_speaks.set()

    speaker = threading.Thread(target=door_1, daemon=True)
    speaker.start()
    assert door_1_speaks.wait(30)
    service.start()
    try:
        if keeps:
            assert eventually(lambda: len(store.bins(0, time.time())) == 1)
            assert eventually(lambda: len(snapshots) >= 2)
        else:
            assert eventually(lambda: "finished bin(s) left to the keeper" in caplog.text)
            assert store.bins(0, time.time()) == [] and snapshots == []
        assert eventually(lambda: len(shared) >= 2)  # every kiosk shares what it sees
        assert decode(shared[-1]).sensors == ()  # this one has no sensor of its own
        assert service.branch_status()["keeper"] == ("door-0" if keeps else "door-1")
    finally:
        silent.set()
        speaker.join(5)
        service.stop()


def test_health_says_the_kiosks_part_in_the_branchs_floor_within_the_contract(tmp_path: Path) -> None:
    branch = BranchFloor("door-2", started_m=time.monotonic() - 100)
    branch.heard_observations(DOOR_1_SAYS, encode(time.time(), {"radar": []}, []))
    branch.heard_observations(DOOR_1_SAYS, b"{not json")
    service = FloorService(
        BRANCH, [], FloorBinStore(tmp_path / "b.db"), lambda _s: None, branch=branch, share=print
    )
    link = MqttLink(MqttConfig(), Topics("branchdoor", "b1", "door-2"), "never-started")
    store = Store(tmp_path / "d.db")
    try:
        assert branch.keeper(time.monotonic()) == "door-1"
        summary = health(Parts(UnstartedPipeline(), link, store, floor=service, identity=IDENTITY))  # type: ignore[arg-type]
        floor = summary["floor"]
        assert floor["role"] == "contributor" and floor["keeper"] == "door-1"
        assert floor["kiosks"]["door-1"]["online"] and floor["observations_rejected"] == 1
        jsonschema.validate(json.loads(json.dumps(summary)), validator_for("Health"))
    finally:
        store.close()
