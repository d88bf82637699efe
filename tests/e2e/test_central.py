"""The daemon as a subprocess against the real reference central service and a real broker:
a customer enrolled centrally is greeted, the check-in arrives upstream once, a withdrawal stops it."""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from device.demo.broker import MosquittoBroker
from device.faces import Template
from sync.central_sim import CentralSim
from tests.e2e.daemon import Daemon
from tests.e2e.test_daemon import door_scene
from tests.mqtt_helpers import Subscriber
from tests.sync.helpers import SECRET, customer

pytestmark = pytest.mark.e2e


@pytest.fixture
def central(tmp_path: Path) -> Iterator[CentralSim]:
    with CentralSim(tmp_path / "central.db", secrets={"e2e-door-1": SECRET}) as running:
        yield running


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
    secret_file = tmp_path / "device-secret"
    secret_file.write_bytes(SECRET)
    secret_file.chmod(0o600)
    branch = f"e2e-{uuid.uuid4().hex[:8]}"
    scene = door_scene(tmp_path / "scene.toml", grace_photo, astronaut_head)
    config = tmp_path / "branchdoor.toml"
    config.write_text(
        f'[branch]\nid = "{branch}"\ndevice_id = "door-1"\n'
        f'[camera]\ntype = "scene"\nscript = "{scene}"\nloop = true\n'
        f"[mqtt]\nport = {broker.port}\n"
        f'[storage]\nstate_dir = "{tmp_path / "state"}"\n'
        f'[central]\nurl = "{central.base_url}"\ndevice_id = "e2e-door-1"\n'
        f'device_secret_file = "{secret_file}"\ninterval_s = 1.0\n'
    )
    screen = Subscriber(broker.port, f"branchdoor/{branch}/cues")
    daemon = Daemon(config)
    try:
        assert screen.wait_for(lambda: len(screen.messages) >= 1, 40), daemon.log_text()
        cue = json.loads(screen.messages[0].payload)
        assert cue["customer_ref"] == "CUST-GRACE"
        assert screen.wait_for(lambda: central.db.records("checkins") == {cue["visit_id"]: 1}, 10)
        central.db.withdraw("CUST-GRACE")
        assert daemon.wait_logged("gallery loaded: 0 customers", 10), daemon.log_text()
        assert screen.wait_for(lambda: "CUST-GRACE" in central.db.deletion_acks(), 10)
        code, _ = daemon.terminate()
    finally:
        daemon.kill()
        screen.close()
    assert code == 0
    assert central.db.records("checkins") == {cue["visit_id"]: 1}  # uploaded once, never again


def test_a_secret_file_others_can_read_stops_the_start(tmp_path: Path, central: CentralSim) -> None:
    secret_file = tmp_path / "device-secret"
    secret_file.write_bytes(SECRET)
    secret_file.chmod(0o644)
    config = tmp_path / "branchdoor.toml"
    config.write_text(
        '[branch]\nid = "b1"\n[camera]\ntype = "opencv"\nsource = "/nonexistent.avi"\n'
        f'[storage]\nstate_dir = "{tmp_path / "state"}"\n'
        f'[central]\nurl = "{central.base_url}"\ndevice_secret_file = "{secret_file}"\n'
    )
    daemon = Daemon(config)
    try:
        assert daemon.process.wait(30) == 1
    finally:
        daemon.kill()
    assert "readable by group or others" in daemon.log_text()


def test_kill_9_in_the_middle_of_an_upload_loses_and_duplicates_nothing(
    tmp_path: Path, broker: MosquittoBroker, central: CentralSim
) -> None:
    from device.events import CheckIn, Profile
    from device.store import Store
    from sync.central_sim.faults import Faults

    state = tmp_path / "state"
    store = Store(state / "branchdoor.db")
    for i in range(2000):
        store.record_checkin(
            CheckIn(f"v{i:05d}", "CUST-1", "b1", "door-1", 1.8e9 + i, "high", Profile("CUST-1", "A"))
        )
    store.close()
    secret_file = tmp_path / "device-secret"
    secret_file.write_bytes(SECRET)
    secret_file.chmod(0o600)
    scene = tmp_path / "empty.toml"
    scene.write_text("fps = 5\nduration_s = 5.0\n")
    config = tmp_path / "branchdoor.toml"
    config.write_text(
        f'[branch]\nid = "b1"\n[camera]\ntype = "scene"\nscript = "{scene}"\nloop = true\n'
        f'[mqtt]\nport = {broker.port}\n[storage]\nstate_dir = "{state}"\n'
        f'[central]\nurl = "{central.base_url}"\ndevice_id = "e2e-door-1"\n'
        f'device_secret_file = "{secret_file}"\ninterval_s = 1.0\nbatch_size = 200\n'
    )
    # Every answer takes 0.4 s: the kill lands while batches are on the wire.
    central.app.state.faults.set(Faults(mode="slow", delay_s=0.4))
    first = Daemon(config)
    try:
        waited = 0.0
        while len(central.db.records("checkins")) < 400 and waited < 30:
            time.sleep(0.05)
            waited += 0.05
    finally:
        first.kill()  # SIGKILL: no chance to record what the server already has
    assert 0 < len(central.db.records("checkins")) < 2000
    central.app.state.faults.set(Faults())
    second = Daemon(config)
    try:
        deadline = time.monotonic() + 30
        while len(central.db.records("checkins")) < 2000 and time.monotonic() < deadline:
            time.sleep(0.1)
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
    from device.events import CheckIn, Profile
    from device.store import Store
    from sync.central_sim.faults import Faults

    state = tmp_path / "state"
    store = Store(state / "branchdoor.db")
    for i in range(700):
        store.record_checkin(
            CheckIn(f"w{i:04d}", "CUST-1", "b1", "door-1", 1.8e9 + i, "high", Profile("CUST-1", "A"))
        )
    store.close()
    secret_file = tmp_path / "device-secret"
    secret_file.write_bytes(SECRET)
    secret_file.chmod(0o600)
    scene = tmp_path / "empty.toml"
    scene.write_text("fps = 5\nduration_s = 5.0\n")
    config = tmp_path / "branchdoor.toml"
    config.write_text(
        f'[branch]\nid = "b1"\n[camera]\ntype = "scene"\nscript = "{scene}"\nloop = true\n'
        f'[mqtt]\nport = {broker.port}\n[storage]\nstate_dir = "{state}"\n'
        f'[central]\nurl = "{central.base_url}"\ndevice_id = "e2e-door-1"\n'
        f'device_secret_file = "{secret_file}"\ninterval_s = 1.0\nbatch_size = 200\n'
    )
    central.app.state.faults.set(Faults(mode="down"))
    daemon = Daemon(config)
    try:
        assert daemon.wait_logged("central sync failed", 20, count=2), daemon.log_text()
        assert central.db.records("checkins") == {}
        central.app.state.faults.set(Faults())
        deadline = time.monotonic() + 30
        while len(central.db.records("checkins")) < 700 and time.monotonic() < deadline:
            time.sleep(0.1)
        daemon.terminate()
    finally:
        daemon.kill()
    received = central.db.records("checkins")
    assert len(received) == 700 and max(received.values()) == 1


def test_malformed_items_and_410_gone_against_the_running_daemon(
    tmp_path: Path, broker: MosquittoBroker, central: CentralSim
) -> None:
    from sync.central_sim.faults import Faults

    for i in range(3):
        central.db.enroll(customer(f"CUST-{i}"))
    secret_file = tmp_path / "device-secret"
    secret_file.write_bytes(SECRET)
    secret_file.chmod(0o600)
    scene = tmp_path / "empty.toml"
    scene.write_text("fps = 5\nduration_s = 5.0\n")
    config = tmp_path / "branchdoor.toml"
    config.write_text(
        f'[branch]\nid = "b1"\n[camera]\ntype = "scene"\nscript = "{scene}"\nloop = true\n'
        f'[mqtt]\nport = {broker.port}\n[storage]\nstate_dir = "{tmp_path / "state"}"\n'
        f'[central]\nurl = "{central.base_url}"\ndevice_id = "e2e-door-1"\n'
        f'device_secret_file = "{secret_file}"\ninterval_s = 1.0\n'
    )
    daemon = Daemon(config)
    try:
        assert daemon.wait_logged("gallery loaded: 3 customers", 20), daemon.log_text()
        central.app.state.faults.set(Faults(mode="malformed"))
        central.db.enroll(customer("CUST-3"))
        central.db.enroll(customer("CUST-4"))
        assert daemon.wait_logged("gallery item refused", 10), daemon.log_text()
        assert eventually(lambda: len(central.db.records("audit")) == 1, 10)
        central.db.expire_cursors()
        assert daemon.wait_logged("410 Gone: wiping the gallery", 10), daemon.log_text()
        assert daemon.wait_logged("gallery loaded: 5 customers", 10), daemon.log_text()
        code, _ = daemon.terminate()
    finally:
        daemon.kill()
    assert code == 0


def eventually(predicate: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.mark.skipif(
    shutil.which("faketime") is None, reason="faketime is not installed (make test installs it)"
)
@pytest.mark.parametrize("offset", ["-6h", "+3h"])
def test_a_kiosk_whose_clock_is_hours_off_still_syncs(
    tmp_path: Path, broker: MosquittoBroker, central: CentralSim, offset: str
) -> None:
    from device.events import CheckIn, Profile
    from device.store import Store

    central.db.enroll(customer("CUST-1"))
    state = tmp_path / "state"
    store = Store(state / "branchdoor.db")
    store.record_checkin(CheckIn("skewed-1", "CUST-9", "b1", "door-1", 1.8e9, "high", Profile("CUST-9", "A")))
    store.close()
    secret_file = tmp_path / "device-secret"
    secret_file.write_bytes(SECRET)
    secret_file.chmod(0o600)
    scene = tmp_path / "empty.toml"
    scene.write_text("fps = 5\nduration_s = 5.0\n")
    config = tmp_path / "branchdoor.toml"
    config.write_text(
        f'[branch]\nid = "b1"\n[camera]\ntype = "scene"\nscript = "{scene}"\nloop = true\n'
        f'[mqtt]\nport = {broker.port}\n[storage]\nstate_dir = "{state}"\n'
        f'[central]\nurl = "{central.base_url}"\ndevice_id = "e2e-door-1"\n'
        f'device_secret_file = "{secret_file}"\ninterval_s = 1.0\n'
    )
    daemon = Daemon(config, prefix=["faketime", "-f", offset])
    try:
        assert daemon.wait_logged("gallery loaded: 1 customers", 20), daemon.log_text()
        assert eventually(lambda: central.db.records("checkins") == {"skewed-1": 1}, 10)
        daemon.terminate()
    finally:
        daemon.kill()
