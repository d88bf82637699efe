"""The daemon as a subprocess against the real reference central service and a real broker: central
enrollment, exactly-once uploads through outages and kill -9, malformed items, 410, skewed clocks."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
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


def observed(config: Path) -> Path:
    """The kiosk's config with health and metrics on a free port (the daemon logs which)."""
    config.write_text(config.read_text() + "[observability]\nport = 0\nhealth_interval_s = 1.0\n")
    return config


def health_port(daemon: Daemon) -> int:
    assert daemon.wait_logged("health and metrics on", 30), daemon.log_text()
    found = re.search(r"http://127\.0\.0\.1:(\d+)/healthz", daemon.log_text())
    assert found is not None
    return int(found.group(1))


def central_problems(port: int) -> list[str]:
    verdict = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()
    return [problem for problem in verdict["problems"] if problem.startswith(("central", "outbox"))]


def branchdoor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "device", *args], capture_output=True, text=True, timeout=120
    )


def test_uploads_refused_past_three_tries_and_a_restart_all_arrive_once(
    tmp_path: Path, broker: MosquittoBroker, central: CentralSim
) -> None:
    """Issue #14: a proxy's 302 or a 401 while a secret is rotated, on uploads only, outlasting three
    drain attempts and a restart: once it clears, every record arrives, once."""
    queue_checkins(tmp_path, 700, "r")
    config = observed(kiosk(tmp_path, broker, central, batch_size=200))
    central.app.state.faults.set(Faults(mode="unauthorized", scope="uploads"))
    first = Daemon(config)
    try:
        port = health_port(first)
        assert first.wait_logged("central sync failed", 60, count=4), first.log_text()
        [problem] = central_problems(port)
        assert problem.startswith("central: uploads refused since ") and problem.endswith(
            "(401 Unauthorized)"
        )
        assert first.logged("ALARM: the central service refuses uploads (401 Unauthorized)") == 1
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        failures = re.search(r'^branchdoor_central_failures_total\{reason="401"\} (\S+)$', metrics, re.M)
        assert failures is not None and float(failures.group(1)) >= 4
        first.terminate()
    finally:
        first.kill()
    assert central.db.records("checkins") == {}
    second = Daemon(config)  # restarted on the same database, the refusal still on
    try:
        assert second.wait_logged("central sync failed", 60, count=1), second.log_text()
        central.app.state.faults.set(Faults())
        assert eventually(lambda: len(central.db.records("checkins")) >= 700, 60), second.log_text()
        assert second.wait_logged("ALARM cleared", 30), second.log_text()
        assert eventually(lambda: central_problems(health_port(second)) == [], 10)
        second.terminate()
    finally:
        second.kill()
    received = central.db.records("checkins")
    assert len(received) == 700 and max(received.values()) == 1


def test_a_malformed_record_is_set_aside_alone_and_requeued_while_the_daemon_runs(
    tmp_path: Path, broker: MosquittoBroker, central: CentralSim
) -> None:
    queue_checkins(tmp_path, 30, "m")
    store = Store(tmp_path / "state" / "branchdoor.db")
    with store._transaction():  # one record the contract refuses, among good ones
        store.outbox.enqueue("checkin", "bad-1", {"customer_ref": "CUST-1", "score_band": "low"}, now=1.8e9)
    store.close()
    queue_checkins(tmp_path, 30, "n")
    config = observed(kiosk(tmp_path, broker, central))
    daemon = Daemon(config)
    try:
        port = health_port(daemon)
        assert eventually(lambda: len(central.db.records("checkins")) == 60, 60), daemon.log_text()
        assert daemon.wait_logged("refused 1 outbox checkin record(s) as malformed", 10), daemon.log_text()
        assert central_problems(port) == [
            "outbox: 1 record(s) refused by the central service as malformed, set aside (checkin 1): "
            "see `branchdoor outbox show`"
        ]
        verdict = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()
        assert verdict["outbox"].get("quarantined:checkin") == 1
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert 'branchdoor_outbox_quarantined{kind="checkin"} 1.0' in metrics

        shown = branchdoor("outbox", "show", "--config", str(config))  # beside the running daemon
        assert shown.returncode == 0, shown.stderr
        assert re.search(r"^checkin\s+0\s+0\s+1\s+-$", shown.stdout, re.M), shown.stdout
        assert "score_band: " in shown.stdout and "CUST-" not in shown.stdout
        requeued = branchdoor("outbox", "requeue", "--kind", "checkin", "--config", str(config))
        assert requeued.returncode == 0, requeued.stderr
        assert requeued.stdout.startswith("1 checkin record(s) back in the queue")
        # The daemon sends it again at its next sync; still malformed, it is set aside again, alone.
        assert daemon.wait_logged("refused 1 outbox checkin record(s) as malformed", 30, count=2)
        code, _ = daemon.terminate()
    finally:
        daemon.kill()
    assert code == 0
    received = central.db.records("checkins")
    assert len(received) == 60 and "bad-1" not in received and max(received.values()) == 1
