"""Forgetting a customer removes every trace: database rows and their old pages, queued uploads, check-in
tokens, cues held for the broker. What remains is the record that the deletion happened."""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

import pytest

from device.analytics.data import AnalyticsData
from device.checkin.desk import CheckinDesk
from device.cues.cue import Cue
from device.demo.broker import MosquittoBroker
from device.domain import AuditRecord, Consent, Identification, Profile
from device.mqtt.config import MqttConfig
from device.mqtt.link import MqttLink
from device.mqtt.topics import Topics
from device.privacy.forgetting import drop_forgotten_cues, kiosk_withdrawal
from device.state.store import Store
from tests.conftest import random_templates
from tests.keys import CIPHER
from tests.mqtt_helpers import Subscriber, TickWatch, publish_cue
from tests.waiting import PATIENCE_S

NAME = "Grace Forgettable"


def held_customer(tmp_path: Path) -> tuple[Store, dict[str, bytes]]:
    """C1 with templates, a check-in token, a check-in and its audit records; C2 stays."""
    store = Store(tmp_path / "s.db", CIPHER)
    store.enroll(Profile("C1", NAME, "en", ("mortgage",)), Consent("v1"), random_templates(2, seed=1))
    store.enroll(Profile("C2", "Kept"), Consent("v1"), random_templates(1, seed=2))
    token = store.issue_token(Profile("C1", NAME), Consent("v1"))
    checkin = CheckinDesk(store, "b1", "door-1", 600).admit(Identification("C1", 0.3, 0.9, 1), time.time())
    assert checkin is not None
    store.record_audit(AuditRecord(event="cue_shown", customer_ref="C1", screen="branchdoor/b1/cues"))
    with sqlite3.connect(store.path) as raw:
        blobs = [bytes(r[0]) for r in raw.execute("SELECT vector FROM encodings WHERE customer_ref = 'C1'")]
    traces = {"name": NAME.encode(), "visit": checkin.visit_id.encode(), "token": token.encode()}
    traces |= {f"template {i}": blob[-64:] for i, blob in enumerate(blobs)}
    return store, traces


def rows_naming(store: Store, ref: str) -> dict[str, list[tuple[object, ...]]]:
    found: dict[str, list[tuple[object, ...]]] = {}
    with sqlite3.connect(store.path) as raw:
        tables = [r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            rows = [r for r in raw.execute(f"SELECT * FROM {table}") if any(ref in str(v) for v in r)]  # noqa: S608
            if rows:
                found[table] = rows
    return found


def assert_no_trace(store: Store, traces: dict[str, bytes]) -> None:
    raw = b"".join(p.read_bytes() for p in store.path.parent.glob(store.path.name + "*"))
    left = [what for what, data in traces.items() if data in raw]
    assert left == [], f"still on disk after forget: {left}"
    assert store.tokens.holder(traces["token"].decode()) is None
    assert "C1" not in store.gallery_rows()[0] and store.profile("C1") is None


def test_forget_at_the_kiosk_removes_every_trace_and_leaves_the_record_of_the_withdrawal(
    tmp_path: Path,
) -> None:
    store, traces = held_customer(tmp_path)
    assert {"customers", "consents", "encodings", "checkin_tokens", "checkins", "outbox"} <= set(
        rows_naming(store, "C1")
    )

    report = store.forget("C1", kiosk_withdrawal("C1", "operator", "branchdoor forget"))

    assert report.found and report.encodings == 2
    assert_no_trace(store, traces)
    left = rows_naming(store, "C1")
    assert list(left) == ["outbox"], left
    audits = [r for r in store.outbox.records() if r.get("customer_ref") == "C1"]
    assert sorted(a["event"] for a in audits) == ["consent_withdrawn", "customer_forgotten"]
    assert all(NAME not in str(a) for a in audits)  # the pseudonymous ref, nothing more
    assert store.profile("C2") is not None and store.gallery_rows()[0] == ["C2"]


def test_a_deletion_from_central_removes_every_trace_and_is_acknowledged_upstream(tmp_path: Path) -> None:
    store, traces = held_customer(tmp_path)
    store.apply_gallery_delta(
        [], ["C1"], "cursor-2", [AuditRecord(event="customer_forgotten", customer_ref="C1")]
    )
    assert_no_trace(store, traces)
    kinds = sorted(
        (r.get("event") or "ack", r["customer_ref"])
        for r in store.outbox.records()
        if r.get("customer_ref") == "C1"
    )
    assert kinds == [("ack", "C1"), ("customer_forgotten", "C1")]


def cue_for(ref: str, name: str) -> Cue:
    from device.domain import CheckIn

    now = time.time()
    return Cue.for_checkin(
        CheckIn(f"v-{ref}", ref, "b1", "door-1", now, "high", Profile(ref, name)), now, 120
    )


@pytest.mark.subprocess
def test_a_cue_held_for_the_broker_is_dropped_when_its_customer_is_forgotten(tmp_path: Path) -> None:
    store, _traces = held_customer(tmp_path)
    with MosquittoBroker(users={"screen": "pw"}) as broker:
        screen = Subscriber(broker.port, "branchdoor/b1/cues", auth=("screen", "pw"))
        password = Path(tempfile.mkdtemp()) / "password"
        password.write_text("kiosk-pw\n")
        password.chmod(0o600)
        settings = MqttConfig(port=broker.port, username="kiosk", password_file=password, reconnect_max_s=1)
        link = MqttLink(settings, Topics("branchdoor", "b1", "door-1"), "t-forget")
        link.start()
        try:
            assert publish_cue(link, cue_for("C1", NAME)) and publish_cue(link, cue_for("C2", "Kept"))
            store.forget("C1")
            assert drop_forgotten_cues(link, lambda ref: store.profile(ref) is not None) == 1
            broker.add_user("kiosk", "kiosk-pw")  # the broker is back: what was held goes out
            assert link.wait_connected(PATIENCE_S)
            assert screen.wait_for(lambda: len(screen.messages) >= 1)
            TickWatch(link).wait()  # anything else it held has gone out too
            screen.settle()
            assert [b"Kept" in m.payload for m in screen.messages] == [True]
            assert all(NAME.encode() not in m.payload for m in screen.messages)
        finally:
            link.stop()
            screen.close()


def test_a_forgotten_customers_visits_stay_counted_without_a_name(tmp_path: Path) -> None:
    store, _traces = held_customer(tmp_path)
    [(_visit, _ref, at)] = store.checkins.all()
    before = AnalyticsData.of(store).visit_bins(at - 3600, at + 3600)
    store.forget("C1")
    after = AnalyticsData.of(store).visit_bins(at - 3600, at + 3600)
    assert [(b.start, b.visits) for b in after] == [(b.start, b.visits) for b in before] != []
    assert AnalyticsData.of(store).visitors(at - 3600, at + 3600) == []
