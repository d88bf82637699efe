"""The shipped Mosquitto configuration and ACL, run for real: kiosks over TLS with client certificates,
and branches kept apart, proven by publishing and watching nothing arrive (never by trusting SUBACK)."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from device.cli.doctor import check_broker
from device.config import BranchConfig, Config
from device.config_file import ConfigError, parse_config
from device.cues.config import CuesConfig
from device.demo.broker import find_mosquitto, free_port
from device.mqtt.config import MqttConfig, MqttTlsConfig
from device.mqtt.outgoing import Outgoing
from device.runtime.daemon import mqtt_client_id
from device.runtime.staffing import staffing_publisher
from tests.certs import BranchCA
from tests.conftest import REPO
from tests.device.cues.rig import kiosk
from tests.mqtt_helpers import Subscriber
from tests.waiting import PATIENCE_S

SHIPPED = REPO / "config" / "mosquitto"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> BranchCA:
    folder = tmp_path_factory.mktemp("branch-ca")
    authority = BranchCA(folder)
    authority.issue("localhost", server=True, stem="broker")
    for name in ("kiosk-0427-door-1", "kiosk-0427-door-2", "kiosk-0815-door-1", "screen-0427-counter-1",
                 "screen-0427-counter-2", "screen-0815-counter-1"):  # fmt: skip
        authority.issue(name)
    return authority


@dataclass(frozen=True)
class Shipped:
    tls_port: int  # kiosks and screens with a certificate
    wss_port: int  # teller browsers with a password


@pytest.fixture(scope="module")
def shipped_broker(ca: BranchCA) -> Iterator[Shipped]:
    """config/mosquitto/mosquitto.conf with its paths pointed at the test CA and free loopback ports."""
    folder = ca.folder
    subprocess.run(
        ["mosquitto_passwd", "-c", "-b", str(folder / "passwords"), "screen-0427-counter-1", "pw"], check=True
    )
    (folder / "branchdoor.acl").write_text((SHIPPED / "branchdoor.acl").read_text())
    tls_port, ws_port = free_port(), free_port()
    text = (SHIPPED / "mosquitto.conf").read_text()
    text = text.replace("/etc/mosquitto/branchdoor/", f"{folder}/")
    text = text.replace("listener 8883", f"listener {tls_port} 127.0.0.1")
    text = text.replace("listener 8884", f"listener {ws_port} 127.0.0.1")
    text = text.replace("log_dest syslog", f"log_dest file {folder / 'mosquitto.log'}")
    (folder / "conf.d").mkdir(exist_ok=True)  # no bridge: this machine's own conf.d is not the test's
    text = text.replace("/etc/mosquitto/conf.d", f"{folder / 'conf.d'}")
    if os.geteuid() == 0:
        text = "user root\n" + text  # the throwaway broker must read this private folder
    conf = folder / "mosquitto.conf"
    conf.write_text(text)
    binary = find_mosquitto()
    assert binary is not None
    process = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + PATIENCE_S
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else b""
            try:
                socket.create_connection(("127.0.0.1", tls_port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the shipped configuration did not start"
                time.sleep(0.05)
        yield Shipped(tls_port, ws_port)
    finally:
        process.terminate()
        process.wait(5)


def tls_for(ca: BranchCA, name: str) -> MqttTlsConfig:
    return MqttTlsConfig(
        ca_file=ca.ca_file, cert_file=ca.folder / f"{name}.pem", key_file=ca.folder / f"{name}.key"
    )


def screen_context(ca: BranchCA, name: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca.ca_file))
    context.load_cert_chain(ca.folder / f"{name}.pem", ca.folder / f"{name}.key")
    return context


@pytest.mark.subprocess
def test_a_screen_of_one_branch_receives_nothing_published_for_another(
    tmp_path: Path, ca: BranchCA, shipped_broker: Shipped
) -> None:
    port = shipped_broker.tls_port
    # Both screens ask for everything; the broker grants the SUBACK, which proves nothing.
    screen_a = Subscriber(port, "#", tls=screen_context(ca, "screen-0427-counter-1"))
    screen_b = Subscriber(port, "#", tls=screen_context(ca, "screen-0815-counter-1"))
    settings_b = MqttConfig(port=port, tls=tls_for(ca, "kiosk-0815-door-1"))
    settings_a = MqttConfig(port=port, tls=tls_for(ca, "kiosk-0427-door-1"))
    with (
        kiosk(tmp_path, settings_b, branch="0815") as kiosk_b,
        kiosk(tmp_path, settings_a, branch="0427") as a,
    ):
        kiosk_b.check_in()
        assert screen_b.wait_for(lambda: len(screen_b.on("/cues")) == 1)
        # Screen A tries to speak on branch B's screen topics: the broker drops it.
        hello = {"schema": "branchdoor/screen-hello/1", "screen_id": "counter-1"}
        screen_a.publish("branchdoor/0815/screen/counter-1/hello", json.dumps(hello).encode())
        # A positive control on A's side: its own branch's cue does arrive.
        a.check_in()
        assert screen_a.wait_for(lambda: len(screen_a.on("/cues")) == 1)
        # The anonymous floor counts feed the dashboard's queue line: each screen reads its own branch's.
        floor = {"at": time.time(), "occupancy": 2, "zones": {}, "lines": {}, "queue_length": 1,
                 "estimated_wait_s": 240.0}  # fmt: skip
        for each in (kiosk_b, a):
            each.link.publish_floor(floor, 30)
        assert screen_a.wait_for(lambda: screen_a.on("/floor") != [])
        assert screen_b.wait_for(lambda: screen_b.on("/floor") != [])
        # So is the staffing plan (retained): each branch's screens read their own branch's.
        for each in (kiosk_b, a):
            staffing_publisher(each.link)({"schema": "branchdoor/staffing/1"}, 600)
        assert screen_a.wait_for(lambda: screen_a.on("/staffing") != [])
        assert screen_b.wait_for(lambda: screen_b.on("/staffing") != [])
        for each in (kiosk_b, a):  # no retained plan left for the module's other tests
            each.link.send(
                Outgoing(each.link.topics.staffing, b"", 1, time.time() + 60, True, content_type=None)
            )
        time.sleep(1.0)
        assert all(m.topic.startswith("branchdoor/0427/") for m in screen_a.messages), screen_a.messages
        assert all(m.topic.startswith("branchdoor/0815/") for m in screen_b.messages), screen_b.messages
        assert kiosk_b.board.stats.replays == 0  # the foreign hello never reached branch B's daemon
        assert any(m.topic == "branchdoor/0427/visits" for m in screen_a.messages)  # its own branch's
    screen_a.close()
    screen_b.close()


@pytest.mark.subprocess
def test_kiosks_of_a_branch_share_visit_claims_and_no_screen_reads_or_forges_one(
    ca: BranchCA, shipped_broker: Shipped
) -> None:
    port = shipped_broker.tls_port
    claims = "branchdoor/0427/claims/+"
    # Mosquitto grants a screen's SUBACK for the claims by name (it checks read access per message):
    # what proves the refusal is that nothing, live or retained, ever reaches it.
    screen = Subscriber(port, claims, tls=screen_context(ca, "screen-0427-counter-1"))
    every = Subscriber(port, "#", tls=screen_context(ca, "screen-0427-counter-2"))
    door_2 = Subscriber(port, claims, tls=screen_context(ca, "kiosk-0427-door-2"))
    door_1 = Subscriber(port, "branchdoor/0427/none", tls=screen_context(ca, "kiosk-0427-door-1"))
    claim = {"schema": "branchdoor/visit-claim/1", "visit_id": "v1", "customer_ref": "CUST-1001",
             "device_id": "door-1", "at": time.time()}  # fmt: skip
    late: Subscriber | None = None
    try:
        # A screen forging a claim would silence a customer's cue at every door: the broker drops it.
        screen.publish("branchdoor/0427/claims/forged", json.dumps({**claim, "visit_id": "forged"}).encode())
        door_1.publish_retained("branchdoor/0427/claims/k1", json.dumps(claim).encode())
        # The kiosk's next message, which screens may read, arrives behind the claim had they got it.
        door_1.publish("branchdoor/0427/visits", b"{}")
        assert door_2.wait_for(lambda: door_2.on("/claims/k1") != [])
        late = Subscriber(port, "#", tls=screen_context(ca, "screen-0427-counter-1"))  # retained ones?
        door_1.publish("branchdoor/0427/withdrawals", b"{}")
        assert every.wait_for(lambda: every.on("/visits") != [])
        assert late.wait_for(lambda: late.on("/withdrawals") != [])
        assert [m.topic for m in door_2.messages] == ["branchdoor/0427/claims/k1"]  # not the forged one
        overheard = screen.messages + every.messages + late.messages
        assert not any("/claims/" in m.topic for m in overheard), overheard
    finally:
        door_1.publish_retained("branchdoor/0427/claims/k1", b"")  # the broker forgets it
        for each in (screen, every, door_1, door_2, late):
            if each is not None:
                each.close()


@pytest.mark.subprocess
def test_a_screen_gets_its_own_replay_over_tls_and_never_another_screens(
    tmp_path: Path, ca: BranchCA, shipped_broker: Shipped
) -> None:
    """The positive control for isolation: the shipped ACL lets a screen hear its own replay (so the
    silence above is not an ACL that blocks everything), and not the replay of the next counter."""
    port = shipped_broker.tls_port
    screens = {name: Subscriber(port, "#", tls=screen_context(ca, f"screen-0427-{name}"))
               for name in ("counter-1", "counter-2")}  # fmt: skip
    settings = MqttConfig(port=port, tls=tls_for(ca, "kiosk-0427-door-1"))
    cues = CuesConfig(screens={"counter-1": "counters", "counter-2": "counters"})
    with kiosk(tmp_path, settings, cues=cues, branch="0427") as k:
        k.check_in()
        for name, screen in screens.items():
            hello = {"schema": "branchdoor/screen-hello/1", "screen_id": name, "zone": "counters"}
            screen.publish(f"branchdoor/0427/screen/{name}/hello", json.dumps(hello).encode())
        one, two = screens["counter-1"], screens["counter-2"]
        assert one.wait_for(lambda: len(one.on("/screen/counter-1/cues")) == 1)
        assert two.wait_for(lambda: len(two.on("/screen/counter-2/cues")) == 1)
        time.sleep(1.0)
        assert k.board.stats.replays == 2
        assert not any("/screen/counter-2/" in m.topic for m in screens["counter-1"].messages)
        assert not any("/screen/counter-1/" in m.topic for m in screens["counter-2"].messages)
    for screen in screens.values():
        screen.close()


def connect_as(
    port: int, client_id: str, tls: ssl.SSLContext, password: tuple[str, str] | None = None
) -> ReasonCode:
    """One connection with a client id of our choosing (over wss when a password is given): the
    broker's answer to it, then a clean disconnect."""
    answers: list[ReasonCode] = []
    done = threading.Event()

    def on_connect(
        _c: mqtt.Client, _u: object, _f: mqtt.ConnectFlags, code: ReasonCode, _p: Properties | None
    ) -> None:
        answers.append(code)
        done.set()

    transport: Literal["tcp", "websockets"] = "websockets" if password else "tcp"
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id, protocol=mqtt.MQTTv5, transport=transport)
    client.tls_set_context(tls)
    if password:
        client.username_pw_set(*password)
    client.on_connect = on_connect
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        assert done.wait(10), f"no answer to CONNECT as {client_id}"
    finally:
        client.disconnect()
        client.loop_stop()
    return answers[0]


@pytest.mark.subprocess
def test_a_screen_account_taking_the_kiosks_client_id_never_knocks_the_kiosk_off(
    tmp_path: Path, ca: BranchCA, shipped_broker: Shipped
) -> None:
    """Issue #14: a teller account connecting with the kiosk's client id took over its session, which
    disconnected the kiosk and published its Last Will, so every screen read it `offline`."""
    tls_port = shipped_broker.tls_port
    settings = MqttConfig(port=tls_port, tls=tls_for(ca, "kiosk-0427-door-1"))
    kiosk_id = mqtt_client_id(Config(branch=BranchConfig(id="0427", device_id="door-1"), mqtt=settings))
    browser = ssl.create_default_context(cafile=str(ca.ca_file))  # wss: the broker's certificate only
    counter_1 = screen_context(ca, "screen-0427-counter-1")
    teller = ("screen-0427-counter-1", "pw")
    with kiosk(tmp_path, settings, branch="0427", client_id=kiosk_id) as k:
        counter_2 = Subscriber(tls_port, "branchdoor/0427/#", tls=screen_context(ca, "screen-0427-counter-2"))

        def availability() -> list[bytes]:
            return [m.payload for m in counter_2.on("/availability")]

        # Retained: an earlier test's kiosk may have left `offline` there, until this one said `online`.
        assert counter_2.wait_for(lambda: availability()[-1:] == [b"online"])
        seen = len(availability())
        for _ in range(5):
            for taken in (kiosk_id, "kiosk-0427-door-1"):  # the id the kiosk sends; its certificate's CN
                over_wss = connect_as(shipped_broker.wss_port, taken, browser, teller)
                over_tls = connect_as(tls_port, taken, counter_1)
                # Valid accounts, accepted: each attempt really reached the broker's session table.
                assert not over_wss.is_failure and not over_tls.is_failure, (over_wss, over_tls)
        checkin = k.check_in()
        # Delivered on the same connection after any Last Will the attempts caused: once the cue is
        # here, an `offline` would be too.
        assert counter_2.wait_for(lambda: len(counter_2.on("/cues")) == 1)
        since = availability()[seen:]
        assert k.link.connected
    counter_2.close()
    assert since == [], f"the kiosk was knocked off the broker: its availability read {since}"
    assert json.loads(counter_2.on("/cues")[0].payload)["visit_id"] == checkin.visit_id


@pytest.mark.subprocess
def test_a_client_without_a_certificate_is_refused(ca: BranchCA, shipped_broker: Shipped) -> None:
    context = ssl.create_default_context(cafile=str(ca.ca_file))
    with (
        pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)),
        socket.create_connection(("127.0.0.1", shipped_broker.tls_port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(b"\x10\x00")  # TLS 1.3 reports the missing certificate on first use
        assert tls.recv(1) == b"", "the broker answered a client without a certificate"


def test_plaintext_mqtt_to_another_host_is_refused_at_config_check(tmp_path: Path) -> None:
    path = tmp_path / "branchdoor.toml"
    text = '[branch]\nid = "0427"\n\n[mqtt]\nhost = "10.4.27.2"\nport = 1883\n'
    with pytest.raises(ConfigError) as refused:
        parse_config(text, path)
    [problem] = refused.value.problems
    assert problem.startswith(f"{path}:4: mqtt:") and "plaintext MQTT to 10.4.27.2" in problem
    assert parse_config(text + "allow_plaintext = true\n", path).mqtt.allow_plaintext
    assert parse_config('[branch]\nid = "0427"\n[mqtt]\nhost = "127.0.0.1"\n', path).mqtt.tls is None


@pytest.mark.subprocess
def test_doctor_checks_the_broker_over_tls_with_the_kiosk_certificate(
    ca: BranchCA, shipped_broker: Shipped, tmp_path: Path
) -> None:
    settings = MqttConfig(port=shipped_broker.tls_port, tls=tls_for(ca, "kiosk-0427-door-1"))
    good = check_broker(Config(branch=BranchConfig(id="0427"), mqtt=settings))
    assert good.passed, good.detail
    missing = tls_for(ca, "kiosk-0427-door-1").model_copy(update={"key_file": tmp_path / "nope.key"})
    bad = check_broker(
        Config(branch=BranchConfig(id="0427"), mqtt=MqttConfig(port=shipped_broker.tls_port, tls=missing))
    )
    assert not bad.passed and "[mqtt.tls]" in bad.detail


@pytest.mark.subprocess
def test_screens_read_their_branch_queue_alert_and_no_screen_forges_one(
    ca: BranchCA, shipped_broker: Shipped
) -> None:
    port = shipped_broker.tls_port
    alert = "branchdoor/0427/alerts/queue"
    door_1 = Subscriber(port, "branchdoor/0427/screen/+/hello", tls=screen_context(ca, "kiosk-0427-door-1"))
    forger = Subscriber(port, "branchdoor/0427/none", tls=screen_context(ca, "screen-0427-counter-2"))
    elsewhere = Subscriber(port, "#", tls=screen_context(ca, "screen-0815-counter-1"))
    late: Subscriber | None = None
    try:
        # A forged "all clear" would hide a long line from every counter: the broker drops it.
        forger.publish_retained(alert, b'{"state": "clear", "forged": true}')
        # Its next message reaching the kiosk proves the broker has dealt with the forgery (one client's
        # messages are handled in order).
        hello = {"schema": "branchdoor/screen-hello/1", "screen_id": "counter-2"}
        forger.publish("branchdoor/0427/screen/counter-2/hello", json.dumps(hello).encode())
        assert door_1.wait_for(lambda: door_1.on("/screen/counter-2/hello") != [])
        late = Subscriber(port, alert, tls=screen_context(ca, "screen-0427-counter-1"))
        door_1.publish_retained(alert, b'{"state": "raised"}')
        assert late.wait_for(lambda: late.on("/alerts/queue") != [])
        assert [m.payload for m in late.messages] == [b'{"state": "raised"}']  # no forged one before it
        # A screen opening later gets the current state: it is retained.
        again = Subscriber(port, alert, tls=screen_context(ca, "screen-0427-counter-2"))
        assert again.wait_for(lambda: again.on("/alerts/queue") != [])
        again.close()
        assert not any("/alerts/" in m.topic for m in elsewhere.messages), elsewhere.messages
    finally:
        door_1.publish_retained(alert, b"")  # the broker forgets it
        for each in (door_1, forger, elsewhere, late):
            if each is not None:
                each.close()
