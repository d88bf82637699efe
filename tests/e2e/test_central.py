"""The daemon as a subprocess against the real reference central service and a real broker: central
enrollment, exactly-once uploads through outages and kill -9, malformed items, 410, skewed clocks."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.demo.broker import MosquittoBroker
from device.domain import CheckIn, Profile
from device.recognition.faces import Template
from device.state.store import Store
from sync.central_sim import CentralSim
from sync.central_sim.faults import Faults
from tests.e2e.daemon import Daemon
from tests.e2e.test_daemon import door_scene
from tests.keys import privacy_section
from tests.mqtt_helpers import Subscriber
from tests.sync.helpers import SECRET, customer
from tests.waiting import PATIENCE_S, eventually

pytestmark = pytest.mark.e2e


@pytest.fixture
def central(tmp_path: Path) -> Iterator[CentralSim]:
    with CentralSim(tmp_path / "central.db", secrets={"e2e-door-1": SECRET}) as running:
        yield running


def device_secret(tmp_path: Path, mode: int = 0o600) -> Path:
    path = tmp_path / "device-secret"
    path.write_bytes(SECRET)
    path.chmod(mode)
    return path


def kiosk(
    tmp_path: Path,
    broker: MosquittoBroker,
    central: CentralSim,
    scene: Path | None = None,
    **central_extra: object,
) -> Path:
    """A kiosk config syncing every second with `central`; an empty doorway unless a scene is given."""
    if scene is None:
        scene = tmp_path / "empty.toml"
        scene.write_text("fps = 5\nduration_s = 5.0\n")
    extra = "".join(f"{key} = {value}\n" for key, value in central_extra.items())
    config = tmp_path / "branchdoor.toml"
    config.write_text(
        f'[branch]\nid = "b-{uuid.uuid4().hex[:8]}"\ndevice_id = "door-1"\n'
        f'[camera]\ntype = "scene"\nscript = "{scene}"\nloop = true\n'
        f"[mqtt]\nport = {broker.port}\n"
        f'[storage]\nstate_dir = "{tmp_path / "state"}"\n'
        + privacy_section(tmp_path)
        + f'[central]\nurl = "{central.base_url}"\ndevice_id = "e2e-door-1"\n'
        f'device_secret_file = "{device_secret(tmp_path)}"\ninterval_s = 1.0\n{extra}'
    )
    return config


def queue_checkins(tmp_path: Path, count: int, prefix: str) -> None:
    """Check-ins the kiosk recorded earlier and has not uploaded yet."""
    store = Store(tmp_path / "state" / "branchdoor.db")
    for i in range(count):
        store.checkins.record(
            CheckIn(f"{prefix}{i:05d}", "CUST-1", "b1", "d", 1.8e9 + i, "high", Profile("CUST-1", "A"))
        )
    store.close()


def test_central_enrollment_reaches_the_door_and_withdrawal_takes_effect(
    tmp_path: Path,
    broker: MosquittoBroker,
    central: CentralSim,
    grace_photo: Path,
    astronaut_head: Path,
    grace_template: Template,
) -> None:
    grace = customer("CUST-GRACE", "Grace").model_copy(update={"templates": [grace_template.tolist()]})
    central.db.enroll(grace)
    scene = door_scene(tmp_path / "scene.toml", grace_photo, astronaut_head)
    config = kiosk(tmp_path, broker, central, scene)
    screen = Subscriber(broker.port, "branchdoor/+/cues")
    daemon = Daemon(config)
    try:
        assert screen.wait_for(lambda: len(screen.messages) >= 1, 40), daemon.log_text()
        cue = json.loads(screen.messages[0].payload)
        assert cue["customer_ref"] == "CUST-GRACE"
        assert eventually(lambda: central.db.records("checkins") == {cue["visit_id"]: 1})
        central.db.withdraw("CUST-GRACE")
        assert daemon.wait_logged("gallery loaded: 0 customers", PATIENCE_S), daemon.log_text()
        assert eventually(lambda: "CUST-GRACE" in central.db.deletion_acks())
        code, _ = daemon.terminate()
    finally:
        daemon.kill()
        screen.close()
    assert code == 0
    assert central.db.records("checkins") == {cue["visit_id"]: 1}  # uploaded once, never again


def test_a_secret_file_others_can_read_stops_the_start(
    tmp_path: Path, broker: MosquittoBroker, central: CentralSim
) -> None:
    config = kiosk(tmp_path, broker, central)
    device_secret(tmp_path, mode=0o644)
    daemon = Daemon(config)
    try:
        assert daemon.process.wait(30) == 1
    finally:
        daemon.kill()
    assert "readable by group or others" in daemon.log_text()


def test_kill_9_in_the_middle_of_an_upload_loses_and_duplicates_nothing(
    tmp_path: Path, broker: MosquittoBroker, central: CentralSim
) -> None:
    queue_checkins(tmp_path, 2000, "v")
    config = kiosk(tmp_path, broker, central, batch_size=200)
    # Every answer takes 0.4 s: the kill lands while batches are on the wire.
    central.app.state.faults.set(Faults(mode="slow", delay_s=0.4))
    first = Daemon(config)
    try:
        eventually(lambda: len(central.db.records("checkins")) >= 400, 30)
    finally:
        first.kill()  # SIGKILL: no chance to record what the server already has
    assert 0 < len(central.db.records("checkins")) < 2000
    central.app.state.faults.set(Faults())
    second = Daemon(config)
    try:
        eventually(lambda: len(central.db.records("checkins")) >= 2000, 30)
        second.terminate()
    finally:
        second.kill()
    received = central.db.records("checkins")
    assert len(received) == 2000  # nothing lost
    assert max(received.values()) == 1  # and no record was stored, or even received, twice


def test_an_outage_then_recovery_delivers_every_record_once(
    tmp_path: Path, broker: MosquittoBroker, central: CentralSim
) -> None:
    """The central service is down when the daemon starts and for a while after; records queue,
    the daemon retries with backoff, and when the service is back every record arrives once."""
    queue_checkins(tmp_path, 700, "w")
    config = kiosk(tmp_path, broker, central, batch_size=200)
    central.app.state.faults.set(Faults(mode="down"))
    daemon = Daemon(config)
    try:
        assert daemon.wait_logged("central sync failed", PATIENCE_S, count=2), daemon.log_text()
        assert central.db.records("checkins") == {}
        central.app.state.faults.set(Faults())
        eventually(lambda: len(central.db.records("checkins")) >= 700, 30)
        daemon.terminate()
    finally:
        daemon.kill()
    received = central.db.records("checkins")
    assert len(received) == 700 and max(received.values()) == 1


def test_malformed_items_and_410_gone_against_the_running_daemon(
    tmp_path: Path, broker: MosquittoBroker, central: CentralSim
) -> None:
    for i in range(3):
        central.db.enroll(customer(f"CUST-{i}"))
    daemon = Daemon(kiosk(tmp_path, broker, central))
    try:
        assert daemon.wait_logged("gallery loaded: 3 customers", PATIENCE_S), daemon.log_text()
        central.app.state.faults.set(Faults(mode="malformed"))
        central.db.enroll(customer("CUST-3"))
        central.db.enroll(customer("CUST-4"))
        assert daemon.wait_logged("gallery item refused", PATIENCE_S), daemon.log_text()
        assert eventually(lambda: len(central.db.records("audit")) == 1)
        central.db.expire_cursors()
        assert daemon.wait_logged("410 Gone: wiping the gallery", PATIENCE_S), daemon.log_text()
        assert daemon.wait_logged("gallery loaded: 5 customers", PATIENCE_S), daemon.log_text()
        code, _ = daemon.terminate()
    finally:
        daemon.kill()
    assert code == 0


@pytest.mark.skipif(
    shutil.which("faketime") is None, reason="faketime is not installed (make test installs it)"
)
@pytest.mark.parametrize("offset", ["-6h", "+3h"])
def test_a_kiosk_whose_clock_is_hours_off_still_syncs(
    tmp_path: Path, broker: MosquittoBroker, central: CentralSim, offset: str
) -> None:
    central.db.enroll(customer("CUST-1"))
    queue_checkins(tmp_path, 1, "skewed-")
    daemon = Daemon(kiosk(tmp_path, broker, central), prefix=["faketime", "-f", offset])
    try:
        assert daemon.wait_logged("gallery loaded: 1 customers", PATIENCE_S), daemon.log_text()
        assert eventually(lambda: central.db.records("checkins") == {"skewed-00000": 1})
        daemon.terminate()
    finally:
        daemon.kill()
