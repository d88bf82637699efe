"""The shipped fleet bridge between two real Mosquittos on loopback, a real `branchdoor run` as the
kiosk on the branch side: head office sees the branch's health (with the kiosk's identity) and its
kiosk go offline when killed, and receives no byte of a cue, a visit or a withdrawal."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.mqtt.config import MqttConfig
from tests.certs import BranchCA
from tests.e2e.daemon import Daemon
from tests.e2e.test_daemon import door_scene, enroll
from tests.fleet.brokers import (
    BRANCH,
    BRIDGE_ID,
    REGION,
    SHIPPED,
    CentralCapture,
    render_bridge,
    start_branch,
    start_central,
    tls_context,
)
from tests.keys import privacy_section
from tests.mqtt_helpers import Subscriber

CENTRAL_PREFIX = f"fleet/{REGION}/{BRANCH}/"
LINK_STATE = f"$SYS/broker/connection/{BRIDGE_ID}/state"
OFFLINE_WITHIN_S = 60.0  # the issue's bound: head office knows a kiosk died within a minute
# Mosquitto drops a silent client after 1.5 keepalives and publishes its Last Will; the bridge then
# forwards it at once (measured here: well under a second on loopback), given this much to spare.
BRIDGE_FORWARD_SLACK_S = 10.0
# The test kiosk's keepalive: short, so that a hung kiosk is noticed within the test's patience.
TEST_KEEPALIVE_S = 10
ANONYMOUS = ("device/+/availability", "device/+/health", "floor", "forecast", "staffing", "alerts/queue")


@pytest.fixture
def cas(tmp_path: Path) -> tuple[BranchCA, BranchCA]:
    """The branch's own CA (broker, kiosk, screen) and the fleet CA (central broker, bridge, monitor)."""
    (tmp_path / "branch").mkdir()
    (tmp_path / "fleet").mkdir()
    branch = BranchCA(tmp_path / "branch", "branch 0427 CA")
    branch.issue("localhost", server=True, stem="broker")
    for name in ("kiosk-0427-door-1", "screen-0427-counter-1"):
        branch.issue(name)
    fleet = BranchCA(tmp_path / "fleet", "fleet CA")
    fleet.issue("localhost", server=True, stem="central")
    fleet.issue(BRIDGE_ID, stem="bridge")
    fleet.issue("fleet-monitor")
    # The bridge checks the central broker against central-ca.pem (bridge.conf), the central broker its
    # clients against fleet-ca.pem (central.conf): here the same fleet CA.
    (fleet.folder / "central-ca.pem").write_bytes(fleet.ca_file.read_bytes())
    (fleet.folder / "fleet-ca.pem").write_bytes(fleet.ca_file.read_bytes())
    return branch, fleet


def kiosk_config(tmp_path: Path, ca: BranchCA, port: int, scene: Path) -> Path:
    config = tmp_path / "branchdoor.toml"
    config.write_text(
        f'[branch]\nid = "{BRANCH}"\ndevice_id = "door-1"\n'
        f'[camera]\ntype = "scene"\nscript = "{scene}"\nloop = true\n'
        f"[mqtt]\nport = {port}\nkeepalive_s = {TEST_KEEPALIVE_S}\n"
        f'[mqtt.tls]\nca_file = "{ca.ca_file}"\ncert_file = "{ca.folder / "kiosk-0427-door-1.pem"}"\n'
        f'key_file = "{ca.folder / "kiosk-0427-door-1.key"}"\n'
        f"[observability]\nport = 0\nhealth_interval_s = 2\n"
        f'[storage]\nstate_dir = "{tmp_path / "state"}"\n' + privacy_section(tmp_path)
    )
    return config


@pytest.fixture
def central(cas: tuple[BranchCA, BranchCA]) -> Iterator[tuple[CentralCapture, int]]:
    _, fleet = cas
    process, port = start_central(fleet)
    capture = CentralCapture(port, tls_context(fleet, "fleet-monitor"))
    try:
        yield capture, port
    finally:
        capture.close()
        process.kill()


@pytest.mark.e2e
@pytest.mark.subprocess
@pytest.mark.slow
def test_head_office_sees_health_and_a_dead_kiosk_and_never_a_cue(
    tmp_path: Path,
    cas: tuple[BranchCA, BranchCA],
    central: tuple[CentralCapture, int],
    grace_photo: Path,
    astronaut_head: Path,
) -> None:
    branch_ca, fleet_ca = cas
    capture, central_port = central
    branch = start_branch(branch_ca, render_bridge(central_port, fleet_ca.folder))
    screen = Subscriber(
        branch.tls_port, f"branchdoor/{BRANCH}/#", tls=tls_context(branch_ca, "screen-0427-counter-1")
    )
    scene = door_scene(tmp_path / "scene.toml", grace_photo, astronaut_head)
    config = kiosk_config(tmp_path, branch_ca, branch.tls_port, scene)
    enroll(config, "CUST-GRACE", "Grace", grace_photo)
    daemon = Daemon(config)
    try:
        # The bridge's own link state, retained centrally.
        assert capture.wait(lambda: [h.payload for h in capture.on(LINK_STATE)][-1:] == [b"1"]), (
            branch.process.log_text()
        )
        availability = f"{CENTRAL_PREFIX}device/door-1/availability"
        assert capture.wait(lambda: [h.payload for h in capture.on(availability)][-1:] == [b"online"]), (
            daemon.log_text()
        )

        # A real cue on the branch side: Grace walks in.
        assert screen.wait_for(lambda: screen.on("/cues") != [], 90), daemon.log_text()
        cue = json.loads(screen.on("/cues")[0].payload)
        cue_seen_at = screen.on("/cues")[0].at
        # Health published after the cue has reached head office: anything the bridge forwarded from the
        # kiosk before it (in order, one publisher) has arrived too.
        health_topic = f"{CENTRAL_PREFIX}device/door-1/health"
        assert capture.wait(lambda: any(h.at > cue_seen_at + 2.5 for h in capture.on(health_topic)), 60)
        health = json.loads(capture.on(health_topic)[-1].payload)
        assert health["software_version"] and health["config_hash"].startswith("sha256:")
        assert {"dlib", "opencv", "face_recognition_models", "encoder"} <= set(health["models"])

        # A kiosk that hangs keeps its socket open and sends nothing: only keepalive tells the branch
        # broker, whose Last Will for it the bridge forwards.
        def last_availability() -> bytes | None:
            payloads = [h.payload for h in capture.on(availability)]
            return payloads[-1] if payloads else None

        os.killpg(daemon.process.pid, signal.SIGSTOP)
        frozen_at = time.monotonic()
        assert capture.wait(lambda: last_availability() == b"offline", OFFLINE_WITHIN_S)
        frozen_offline_s = time.monotonic() - frozen_at
        print(f"head office saw a hung kiosk offline {frozen_offline_s:.1f} s after it froze")
        assert frozen_offline_s <= 1.5 * TEST_KEEPALIVE_S + BRIDGE_FORWARD_SLACK_S
        os.killpg(daemon.process.pid, signal.SIGCONT)
        assert capture.wait(lambda: last_availability() == b"online", 60), daemon.log_text()

        daemon_killed_at = time.monotonic()
        daemon.kill()  # SIGKILL: no goodbye; the branch broker's Last Will speaks for it
        assert capture.wait(
            lambda: [h.payload for h in capture.on(availability)][-1:] == [b"offline"], OFFLINE_WITHIN_S
        ), branch.process.log_text()
        offline_after_s = time.monotonic() - daemon_killed_at
        print(f"head office saw the kiosk offline {offline_after_s:.1f} s after kill -9")
        assert offline_after_s < OFFLINE_WITHIN_S

        # The branch's line goes: the central broker publishes the bridge's Last Will, link state 0.
        branch.process.kill()
        assert capture.wait(lambda: [h.payload for h in capture.on(LINK_STATE)][-1:] == [b"0"])
    finally:
        daemon.kill()
        branch.process.kill()
        screen.close()

    heard = capture.everything()
    assert all(h.topic.startswith(CENTRAL_PREFIX) or h.topic == LINK_STATE for h in heard), heard
    secrets = [cue["customer_ref"], cue["visit_id"], cue["cue_id"], cue["greeting_name"]]
    for h in heard:
        for secret in secrets:
            assert secret.encode() not in h.payload and secret not in h.topic, (secret, h)
    families = {re.sub(r"device/[^/]+/", "device/+/", h.topic.removeprefix(CENTRAL_PREFIX)) for h in heard
                if h.topic != LINK_STATE}  # fmt: skip
    assert families <= set(ANONYMOUS), families
    # The central broker's own log of every PUBLISH the bridge sent it (denied ones included): only
    # the anonymous families, so no cue even reached it to be refused.
    received = re.findall(
        rf"(?:Received|Denied) PUBLISH from {BRIDGE_ID} \(d\d, q\d, r\d, m\d+, '([^']+)'",
        capture_log(fleet_ca),
    )
    assert received, "the central broker logged no PUBLISH from the bridge"
    bridged = {
        re.sub(r"device/[^/]+/", "device/+/", topic.removeprefix(CENTRAL_PREFIX)) for topic in received
    }
    assert bridged <= set(ANONYMOUS) | {LINK_STATE}, bridged


def capture_log(fleet_ca: BranchCA) -> str:
    return (fleet_ca.folder / "central.log").read_text(errors="replace")


def test_only_the_anonymous_families_cross_the_shipped_bridge() -> None:
    """What crosses is decided by the bridge's `topic` lines alone: each must be one of the anonymous
    families, out only, under the branch's own prefixes."""
    lines = re.findall(r"^topic (.*)$", (SHIPPED / "bridge.conf").read_text(), re.MULTILINE)
    local, remote = "branchdoor/${BRANCHDOOR_BRANCH}/", "fleet/${BRANCHDOOR_REGION}/${BRANCHDOOR_BRANCH}/"
    crossing = set()
    for line in lines:
        pattern, direction, _qos, local_prefix, remote_prefix = line.split()
        assert (direction, local_prefix, remote_prefix) == ("out", local, remote), line
        crossing.add(pattern)
    assert crossing == set(ANONYMOUS)


def test_the_shipped_keepalive_tells_head_office_of_a_dead_kiosk_within_a_minute() -> None:
    """A kiosk whose power or cable goes sends nothing: the branch broker notices after 1.5 keepalives
    (MQTT), publishes its Last Will, and the bridge forwards it. kill -9 on one machine is quicker (the
    kernel closes the socket), so this bound is held by the shipped default, not by the test above."""
    assert 1.5 * MqttConfig().keepalive_s + BRIDGE_FORWARD_SLACK_S < OFFLINE_WITHIN_S


@pytest.mark.subprocess
def test_a_branch_identity_can_write_only_under_its_own_branch_centrally(
    cas: tuple[BranchCA, BranchCA], central: tuple[CentralCapture, int]
) -> None:
    """The central ACL, run for real: branch 0427's certificate cannot speak for branch 0815 (proven by
    publishing and watching nothing arrive, never by trusting a PUBACK)."""
    _, fleet = cas
    capture, port = central
    bridge = Subscriber(port, "fleet/never-read", tls=tls_context(fleet, "bridge"))
    try:
        bridge.publish(f"fleet/{REGION}/0815/device/door-1/availability", b"offline")
        bridge.publish("fleet/elsewhere/0427/device/door-1/availability", b"offline")
        bridge.publish(f"{CENTRAL_PREFIX}device/door-1/availability", b"online")
        # One publisher's messages arrive in order: once the last is heard, the others would have been.
        assert capture.wait(lambda: capture.on(f"{CENTRAL_PREFIX}device/door-1/availability") != [])
        assert [h.topic for h in capture.everything()] == [f"{CENTRAL_PREFIX}device/door-1/availability"]
    finally:
        bridge.close()
