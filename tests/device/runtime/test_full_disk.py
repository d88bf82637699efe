"""A full disk at the moment of a check-in: recognition carries on, health says why, and the check-in
lands, once, when the disk has room again. On a real tmpfs, through the real recognition path."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from common.faults import Faults
from device.checkin.desk import CheckinDesk
from device.cues.board import CueBoard
from device.cues.config import CuesConfig
from device.demo.broker import MosquittoBroker
from device.domain import Consent, Profile
from device.mqtt.config import MqttConfig
from device.mqtt.link import MqttLink
from device.mqtt.topics import Topics
from device.recognition.config import RecognitionConfig
from device.recognition.faces import FaceEngine, Template
from device.recognition.gallery import Gallery
from device.recognition.pipeline import Pipeline
from device.recognition.recognizer import Recognizer
from device.runtime.observability import Parts, PartsCollector, health
from device.state.store import Store
from drivers.camera.scene import Actor, Pose, SceneCamera, SceneCameraConfig, SceneScript
from tests.disks import Tmpfs, small_disk
from tests.identity import IDENTITY
from tests.keys import CIPHER
from tests.mqtt_helpers import Subscriber
from tests.waiting import eventually

REFUSED = "recognition: cannot record check-ins (database or disk is full)"


def grace_walks_in(photo: Path) -> SceneCamera:
    """Grace walks up to the door, then the doorway stays empty: frames keep coming, in real time."""
    walk = Actor(
        photo=photo, enter_s=0.3, leave_s=8.0, start=Pose(x=0.45, y=0.55, height=0.45), end=Pose(height=0.85)
    )
    script = SceneScript(fps=8, duration_s=600, actors=[walk])
    return SceneCamera(SceneCameraConfig(script=Path("full-disk.toml")), script=script)


@dataclass
class Door:
    disk: Tmpfs
    store: Store
    pipeline: Pipeline
    parts: Parts
    screen: Subscriber


@contextmanager
def door_on_a_small_disk(
    tmp_path: Path, broker: MosquittoBroker, grace_photo: Path, grace_template: Template
) -> Iterator[Door]:
    with small_disk(tmp_path / "state", "8m") as disk:
        store = Store(disk.path / "branchdoor.db", CIPHER)
        store.enroll(Profile("CUST-GRACE", "Grace"), Consent("v1"), grace_template[np.newaxis])
        topics = Topics("branchdoor", "fulldisk", "door-1")
        link = MqttLink(MqttConfig(port=broker.port), topics, client_id="kiosk-fulldisk")
        board = CueBoard(link, topics, CuesConfig(), 120, store)
        faults = Faults()

        def recognizer(gallery: Callable[[], Gallery]) -> Recognizer:
            return Recognizer(FaceEngine(detect_width=320, upsample=1), RecognitionConfig(), gallery)

        pipeline = Pipeline(
            grace_walks_in(grace_photo),
            recognizer,
            store,
            CheckinDesk(store, "fulldisk", "door-1", 60),
            on_checkin=lambda checkin: board.issue(checkin, seen_at=checkin.at),
            faults=faults,
        )
        screen = Subscriber(broker.port, "branchdoor/fulldisk/cues")
        link.start()
        try:
            assert link.wait_connected(10)
            parts = Parts(pipeline, link, store, board=board, faults=faults, identity=IDENTITY)
            yield Door(disk, store, pipeline, parts, screen)
        finally:
            pipeline.stop()
            link.stop()
            screen.close()
            store.close()


@pytest.mark.subprocess
def test_a_check_in_refused_by_a_full_disk_waits_and_lands_once_when_there_is_room(
    tmp_path: Path, broker: MosquittoBroker, grace_photo: Path, grace_template: Template
) -> None:
    with door_on_a_small_disk(tmp_path, broker, grace_photo, grace_template) as door:
        door.disk.fill()
        door.pipeline.start()
        assert eventually(lambda: REFUSED in health(door.parts)["problems"], 90), health(door.parts)
        verdict = health(door.parts)
        assert verdict["status"] == "degraded"
        registry = CollectorRegistry()
        registry.register(PartsCollector(door.parts))
        metrics = generate_latest(registry).decode()
        assert re.search(r'^branchdoor_worker_errors_total\{part="recognition"\} [1-9]', metrics, re.M)
        assert door.pipeline.checkins_waiting >= 1 and door.store.checkins.all() == []
        # The recognition thread lives on: it keeps taking frames while the check-in waits.
        processed = door.pipeline.stats.frames_processed
        assert eventually(lambda: door.pipeline.stats.frames_processed > processed + 10, 30)
        assert not door.pipeline.finished and door.screen.messages == []

        door.disk.grow("512m")
        assert eventually(lambda: door.pipeline.checkins_waiting == 0, 60), health(door.parts)
        assert eventually(lambda: health(door.parts)["status"] == "ok", 30), health(door.parts)
        # Exactly once: one check-in, one record for the central service, one cue to the screens.
        assert [ref for _, ref, _ in door.store.checkins.all()] == ["CUST-GRACE"]
        assert door.store.outbox.depth()["checkin"] == 1
        assert door.screen.wait_for(lambda: len(door.screen.messages) == 1, 10)
        cue = json.loads(door.screen.messages[0].payload)
        assert cue["greeting_name"] == "Grace"
        assert door.pipeline.stats.checkins == 1


@pytest.fixture(autouse=True)
def _no_mount_left(tmp_path: Path) -> Iterator[None]:
    yield
    assert str(tmp_path) not in Path("/proc/mounts").read_text(), "a tmpfs outlived its test"
