"""A hello flood through a real broker: 5,000 hellos from invented screen ids cost a bounded number of
replays and audit records, and a live cue still reaches the branch's screens."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from device.cues.replay import UNLISTED_BURST, UNLISTED_PER_S
from device.demo.broker import MosquittoBroker
from device.mqtt.config import MqttConfig
from tests.device.cues.rig import GRACE, kiosk
from tests.mqtt_helpers import Subscriber

FLOOD = 5000


@pytest.mark.subprocess
def test_a_hello_flood_is_bounded_and_live_cues_keep_flowing(tmp_path: Path, broker: MosquittoBroker) -> None:
    with kiosk(tmp_path, MqttConfig(port=broker.port), branch="flood") as k:
        screen = Subscriber(broker.port, "branchdoor/flood/cues")
        flooder = Subscriber(broker.port, "branchdoor/flood/nothing")
        k.check_in(GRACE)  # one active cue: every honoured hello replays it once
        assert screen.wait_for(lambda: len(screen.messages) == 1)
        started = time.monotonic()
        for i in range(FLOOD):
            body = {"schema": "branchdoor/screen-hello/1", "screen_id": f"fake-{i}"}
            flooder.publish(k.topics.screen(f"fake-{i}", "hello"), json.dumps(body).encode(), qos=0)
        k.check_in(GRACE.__class__("CUST-2002", "Ada"))  # a live cue in the middle of the flood
        stats = k.board.hello_stats
        assert screen.wait_for(lambda: len(screen.messages) == 2, 60), "the live cue never arrived"
        assert flooder.wait_for(lambda: stats.replayed + stats.deferred + stats.refused == FLOOD, 60)
        allowed = UNLISTED_BURST + UNLISTED_PER_S * (time.monotonic() - started) + 1
        assert stats.replayed <= allowed and stats.refused >= FLOOD - allowed
        # Each honoured hello replays the cues active then: Grace's, and Ada's once it is issued.
        assert flooder.wait_for(lambda: k.board.stats.replays >= stats.replayed, 30)
        assert k.board.stats.replays <= 2 * stats.replayed
        shown = [r for r in k.store.outbox.records() if r.get("event") == "cue_shown"]
        assert len(shown) <= 2 * allowed + 2  # the two live cues, and the replays
        screen.close()
        flooder.close()
