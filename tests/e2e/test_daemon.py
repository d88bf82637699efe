"""`branchdoor run` as a subprocess, a real Mosquitto, a scene with an enrolled customer and a stranger."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

from device.demo.broker import MosquittoBroker
from tests.contract_check import assert_in_contract
from tests.e2e.daemon import Daemon, NotifyListener, stop_limit_s
from tests.keys import privacy_section
from tests.mqtt_helpers import Subscriber
from tests.waiting import PATIENCE_S

pytestmark = pytest.mark.e2e


def door_scene(path: Path, first: Path, second: Path, *, second_enters_s: float = 4.5) -> Path:
    """`first` walks in, leaves; then `second` walks in and leaves. 640x480 at 15 fps."""
    walk = "start = { x = 0.45, y = 0.55, height = 0.45 }\nend = { x = 0.5, y = 0.5, height = 0.85 }\n"
    path.write_text(
        f"fps = 15\nduration_s = {second_enters_s + 4.5}\n"
        f'[[actors]]\nphoto = "{first}"\nenter_s = 0.3\nleave_s = 3.8\n{walk}'
        f'[[actors]]\nphoto = "{second}"\nenter_s = {second_enters_s}\n'
        f"leave_s = {second_enters_s + 3.5}\n{walk}"
    )
    return path


def kiosk(
    tmp_path: Path, broker: MosquittoBroker, branch: str, scene: Path, *, loop: bool = False, extra: str = ""
) -> Path:
    config = tmp_path / "branchdoor.toml"
    config.write_text(
        f'[branch]\nid = "{branch}"\n'
        f'[camera]\ntype = "scene"\nscript = "{scene}"\nloop = {str(loop).lower()}\n'
        f"[mqtt]\nport = {broker.port}\n"
        f'[storage]\nstate_dir = "{tmp_path / "state"}"\n' + privacy_section(tmp_path) + extra
    )
    return config


def enroll(config: Path, ref: str, name: str, photo: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "device", "enroll", "--config", str(config), "--customer", ref, "--name", name,
         "--consent-version", "v1", "--language", "en", str(photo)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.fixture
def branch() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


def test_customer_gets_one_cue_stranger_none_and_the_daemon_stops_cleanly(
    tmp_path: Path, broker: MosquittoBroker, branch: str, grace_photo: Path, astronaut_head: Path
) -> None:
    scene = door_scene(tmp_path / "scene.toml", grace_photo, astronaut_head)
    config = kiosk(
        tmp_path, broker, branch, scene, loop=True, extra="[dashboard]\nenabled = true\nport = 0\n"
    )
    enroll(config, "CUST-GRACE", "Grace", grace_photo)

    screen = Subscriber(broker.port, f"branchdoor/{branch}/#")
    systemd = NotifyListener(tmp_path / "notify.sock")
    daemon = Daemon(config, {"NOTIFY_SOCKET": str(systemd.path), "WATCHDOG_USEC": "2000000"})
    try:
        assert screen.wait_for(lambda: systemd.saw("READY=1"), 30), daemon.log_text()
        # The teller dashboard, asked for in the config, is served by the daemon.
        [served] = [line["msg"] for line in daemon.lines if "teller dashboard on" in line.get("msg", "")]
        url = served.rsplit(" ", 1)[-1]
        settings = json.loads(urllib.request.urlopen(url + "config.json", timeout=5).read())  # noqa: S310
        assert settings["branch_id"] == branch
        # One whole pass of the scene: the customer, then the stranger, who must have left the view.
        assert daemon.wait_logged("unidentified visit counted", 30), daemon.log_text()
        # The scene loops: Grace walks in again within the dedup window, still one cue.
        assert daemon.wait_logged("unidentified visit counted", 30, count=2), daemon.log_text()
        assert screen.wait_for(lambda: systemd.saw("WATCHDOG=1"))
        assert [m.payload for m in screen.on("/availability")] == [b"online"]

        code, took = daemon.terminate()
    finally:
        daemon.kill()
        systemd.close()

    assert code == 0, daemon.log_text()
    assert took < stop_limit_s()
    assert systemd.saw("STOPPING=1")
    cues = [json.loads(m.payload) for m in screen.on("/cues")]
    assert [c["customer_ref"] for c in cues] == ["CUST-GRACE"]
    assert cues[0]["greeting_name"] == "Grace" and cues[0]["branch_id"] == branch
    assert all(not m.retain and m.expiry for m in screen.on("/cues"))
    assert screen.wait_for(lambda: [m.payload for m in screen.on("/availability")] == [b"online", b"offline"])
    screen.close()
    # Everything the real daemon said is in the contract: availability, cue, visit, health.
    seen = {assert_in_contract(message) for message in screen.messages}
    assert seen >= {"availability", "cues", "visits", "health"}, seen


def test_a_killed_daemon_is_reported_offline_by_its_last_will(
    tmp_path: Path, broker: MosquittoBroker, branch: str, grace_photo: Path, astronaut_head: Path
) -> None:
    scene = door_scene(tmp_path / "scene.toml", grace_photo, astronaut_head)
    config = kiosk(tmp_path, broker, branch, scene, loop=True)
    screen = Subscriber(broker.port, f"branchdoor/{branch}/+/+/availability")
    daemon = Daemon(config)
    try:
        assert screen.wait_for(lambda: len(screen.on("/availability")) == 1, 30), daemon.log_text()
        # While it runs, its state is its own: no second daemon, no key rotation under its feet.
        for command in (["run"], ["keys", "rotate"]):
            refused = branchdoor(*command, "--config", str(config))
            assert refused.returncode == 1 and "branchdoor run (pid" in refused.stderr, refused.stderr
    finally:
        daemon.kill()  # SIGKILL: no chance to say goodbye
    assert screen.wait_for(lambda: [m.payload for m in screen.on("/availability")] == [b"online", b"offline"])
    screen.close()
    rotated = branchdoor("keys", "rotate", "--config", str(config))  # the kernel dropped the dead one's lock
    assert rotated.returncode == 0, rotated.stderr


def branchdoor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "device", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_a_customer_forgotten_while_the_daemon_runs_is_never_greeted(
    tmp_path: Path, broker: MosquittoBroker, branch: str, grace_photo: Path, astronaut_head: Path
) -> None:
    # Grace walks in only after 8 s: the forget below has long been applied by then.
    scene = door_scene(tmp_path / "scene.toml", astronaut_head, grace_photo, second_enters_s=8.0)
    config = kiosk(tmp_path, broker, branch, scene)
    enroll(config, "CUST-GRACE", "Grace", grace_photo)
    screen = Subscriber(broker.port, f"branchdoor/{branch}/#")
    daemon = Daemon(config)
    try:
        assert daemon.wait_logged("gallery loaded: 1 customers", 30), daemon.log_text()
        forgot = subprocess.run(
            [sys.executable, "-m", "device", "forget", "--config", str(config), "CUST-GRACE"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert forgot.returncode == 0
        assert daemon.wait_logged("gallery loaded: 0 customers", PATIENCE_S), daemon.log_text()
        assert daemon.process.wait(60) == 0  # the scene ends, the daemon stops by itself
    finally:
        daemon.kill()
    screen.settle()
    assert screen.on("/cues") == []
    screen.close()
