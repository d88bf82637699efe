"""One visit per branch across doors, two kiosks' desks, claims and links on a real Mosquitto: the
second door stays silent, a same-second race and a cut-off kiosk each end in one visit, counted."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from pathlib import Path

import pytest

from device.checkin.claims import claim_key
from device.demo.broker import MosquittoBroker
from device.mqtt.config import MqttConfig
from tests.contract_check import assert_in_contract
from tests.device.mqtt.tcp_proxy import FreezableProxy
from tests.device.runtime.claims_rig import door
from tests.mqtt_helpers import Subscriber
from tests.waiting import eventually

pytestmark = pytest.mark.subprocess  # the broker fixture


def branch_id() -> str:
    return f"b-{uuid.uuid4().hex[:8]}"


def withdrawals(screen: Subscriber) -> list[dict[str, object]]:
    return [json.loads(m.payload) for m in screen.on("/withdrawals")]


def test_a_customer_crossing_a_second_door_is_the_same_visit(tmp_path: Path, broker: MosquittoBroker) -> None:
    branch = branch_id()
    screen = Subscriber(broker.port, f"branchdoor/{branch}/#")
    settings = MqttConfig(port=broker.port)
    with door(tmp_path, branch, "door-1", settings) as one, door(tmp_path, branch, "door-2", settings) as two:
        first = one.sees("CUST-1")
        assert first is not None
        # The claim is retained on the customer's key, with the dedup window as its life.
        assert screen.wait_for(lambda: screen.on(f"/claims/{claim_key('CUST-1')}") != [])
        claim = screen.on(f"/claims/{claim_key('CUST-1')}")[0]
        assert claim.retain is False and claim.expiry is not None and 590 <= claim.expiry <= 600
        assert eventually(lambda: two.store.claims.holder("CUST-1", since=0) is not None)
        assert two.sees("CUST-1") is None
        assert two.audit_rules()[-1] == f"open-set; same visit (door-1's visit {first.visit_id})"
        screen.settle()
        assert len(screen.on("/cues")) == 1
        assert "claims" in {assert_in_contract(message) for message in screen.messages}
        assert two.store.checkins.all() == [] and two.claims.duplicates() == {
            "same_second": 0,
            "partition": 0,
        }
    # A kiosk that connects later gets the live claim from the broker (retained).
    with door(tmp_path / "late", branch, "door-3", settings) as three:
        assert eventually(lambda: three.store.claims.holder("CUST-1", since=0) is not None)
        assert three.sees("CUST-1") is None
    screen.close()


def test_two_doors_in_one_second_end_in_one_visit(tmp_path: Path, broker: MosquittoBroker) -> None:
    branch = branch_id()
    screen = Subscriber(broker.port, f"branchdoor/{branch}/#")
    settings = MqttConfig(port=broker.port)
    with door(tmp_path, branch, "door-1", settings) as one, door(tmp_path, branch, "door-2", settings) as two:
        second = float(int(time.time()))
        # Both name the customer before either hears of the other: door-2 a little earlier in the second.
        lost = two.admit("CUST-1", at=second + 0.1)
        won = one.admit("CUST-1", at=second + 0.6)
        assert lost is not None and won is not None
        two.announce(lost)
        one.announce(won)
        assert eventually(lambda: two.claims.duplicates()["same_second"] == 1)
        assert eventually(
            lambda: any(
                w["visit_id"] == lost.visit_id and w["reason"] == "duplicate_visit"
                for w in withdrawals(screen)
            )
        )
        assert [row[0] for row in one.store.checkins.all()] == [won.visit_id]
        assert two.store.checkins.all() == []
        assert one.claims.duplicates()["same_second"] == 0
        assert (
            two.audit_rules()[-1] == f"one visit per branch; duplicate visit reconciled into {won.visit_id}"
        )
        screen.settle()
        assert {"claims", "withdrawals", "visits", "cues"} <= {assert_in_contract(m) for m in screen.messages}
        # The retained claim on the broker is the winner's, whatever order they were published in.
        assert eventually(
            lambda: (
                json.loads(screen.on("/claims/" + claim_key("CUST-1"))[-1].payload)["visit_id"]
                == won.visit_id
            )
        )
    screen.close()


def test_a_kiosk_cut_off_greets_again_and_merges_on_reconnect(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    branch = branch_id()
    screen = Subscriber(broker.port, f"branchdoor/{branch}/#")
    proxy = FreezableProxy(broker.port)
    cut_off = MqttConfig(port=proxy.port, reconnect_min_s=1, reconnect_max_s=1)
    try:
        with (
            door(tmp_path, branch, "door-1", MqttConfig(port=broker.port)) as one,
            door(tmp_path, branch, "door-2", cut_off) as two,
        ):
            proxy.freeze()  # door-2's network goes silent: it cannot know door-1 is greeting
            won = one.sees("CUST-2", at=time.time() - 5)
            lost = two.sees("CUST-2")
            assert won is not None and lost is not None  # it greets again: it cannot know
            assert two.claims.duplicates()["partition"] == 0
            proxy.cut_and_thaw()  # back: its claim and cue leave, door-1's retained claim arrives
            assert eventually(lambda: two.claims.duplicates()["partition"] == 1)
            assert eventually(
                lambda: any(
                    w["visit_id"] == lost.visit_id and w["reason"] == "duplicate_visit"
                    for w in withdrawals(screen)
                )
            )
            assert two.store.checkins.all() == [] and [r[0] for r in one.store.checkins.all()] == [
                won.visit_id
            ]
            screen.settle()
            cues = [json.loads(m.payload)["visit_id"] for m in screen.on("/cues")]
            assert cues.count(won.visit_id) == 1 and cues.count(lost.visit_id) <= 1  # at most one duplicate
            assert one.claims.duplicates() == {"same_second": 0, "partition": 0}
    finally:
        proxy.close()
        screen.close()


def test_a_hostile_claim_is_refused_logged_and_counted(tmp_path: Path, broker: MosquittoBroker) -> None:
    branch = branch_id()
    with door(tmp_path, branch, "door-1", MqttConfig(port=broker.port)) as one:
        forger = Subscriber(broker.port, f"branchdoor/{branch}/none")
        forger.publish(f"branchdoor/{branch}/claims/{claim_key('CUST-1')}", b'{"schema":"nope"}')
        good = {"schema": "branchdoor/visit-claim/1", "visit_id": "v9", "customer_ref": "CUST-1",
                "device_id": "door-9", "at": time.time()}  # fmt: skip
        # A genuine-looking claim on another customer's key would silence that customer's cue.
        forger.publish(f"branchdoor/{branch}/claims/{claim_key('CUST-2')}", json.dumps(good).encode())
        extra = {**good, "greeting_name": "Grace"}
        forger.publish(f"branchdoor/{branch}/claims/{claim_key('CUST-1')}", json.dumps(extra).encode())
        assert eventually(lambda: one.claims.stats.rejected == 3)
        assert (
            one.store.claims.holder("CUST-1", since=0) is None
            and one.store.claims.holder("CUST-2", since=0) is None
        )
        assert one.sees("CUST-2") is not None
        forger.close()


def test_forgetting_a_customer_clears_their_retained_claim_on_the_broker(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    branch = branch_id()
    with door(tmp_path, branch, "door-1", MqttConfig(port=broker.port)) as one:
        assert one.sees("CUST-1") is not None
        claims = f"branchdoor/{branch}/claims/+"
        before = Subscriber(broker.port, claims)
        assert before.wait_for(lambda: before.on(claim_key("CUST-1")) != [])  # retained: there for anyone
        one.store.forget("CUST-1")
        one.claims.drop_pending_cues(lambda ref: one.store.profile(ref) is not None)
        assert before.wait_for(lambda: any(m.payload == b"" for m in before.on(claim_key("CUST-1"))))
        after = Subscriber(broker.port, claims)
        after.settle()
        assert after.messages == []
        before.close()
        after.close()


def test_a_claim_the_database_refuses_is_retried_until_reconciled(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    """The claim that tells a kiosk its visit is a duplicate must not be lost to a database that is
    locked for a while (a long `branchdoor` command, a backup): the fault shows, and it is retried."""
    branch = branch_id()
    settings = MqttConfig(port=broker.port)
    with door(tmp_path, branch, "door-1", settings) as one, door(tmp_path, branch, "door-2", settings) as two:
        lost = two.admit("CUST-1")
        assert lost is not None
        blocker = sqlite3.connect(two.store.path, timeout=0, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds door-2's database
        try:
            won = one.admit("CUST-1", at=lost.at - 5)
            assert won is not None
            one.announce(won)
            assert eventually(lambda: two.claims.faults.failing("claims", "reconcile visit claims"))
            assert two.claims.duplicates()["partition"] == 0
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert eventually(lambda: two.claims.duplicates()["partition"] == 1)
        assert not two.claims.faults.failing("claims", "reconcile visit claims")
        assert two.store.checkins.all() == []


def test_live_claims_survive_a_broker_restart_that_drops_retained_messages(tmp_path: Path) -> None:
    """The shipped broker does not persist: after its restart only the kiosks know their live claims,
    so each claims them again on reconnect, and a door connecting later still hears of the visit."""
    branch = branch_id()
    first = MosquittoBroker().start()
    port = first.port
    settings = MqttConfig(port=port, reconnect_min_s=0.5, reconnect_max_s=1.0)
    try:
        with door(tmp_path, branch, "door-1", settings) as one:
            visit = one.sees("CUST-1")
            assert visit is not None
            watcher = Subscriber(port, f"branchdoor/{branch}/claims/+")
            assert watcher.wait_for(lambda: watcher.messages != [])
            watcher.close()
            first.stop()
            first = MosquittoBroker(port=port).start()  # empty: no retained message survived
            assert eventually(lambda: one.link.connected)
            with door(tmp_path / "later", branch, "door-2", settings) as two:
                assert eventually(lambda: two.store.claims.holder("CUST-1", since=0) is not None)
                assert two.sees("CUST-1") is None
                assert two.audit_rules()[-1] == f"open-set; same visit (door-1's visit {visit.visit_id})"
    finally:
        first.stop()
