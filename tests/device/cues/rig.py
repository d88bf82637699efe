"""A kiosk's cue side on a real broker: link, board and store, minus the camera."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from device.cues.board import CueBoard
from device.cues.config import CuesConfig
from device.domain import CheckIn, CheckinChannel, Profile, ScoreBand
from device.mqtt.config import MqttConfig
from device.mqtt.link import MqttLink
from device.mqtt.topics import Topics
from device.state.store import Store
from tests.waiting import PATIENCE_S

GRACE = Profile("CUST-1001", "Grace", "en", ("mortgage advice",), ("prefers a seat",))


@dataclass
class Kiosk:
    branch: str
    topics: Topics
    link: MqttLink
    board: CueBoard
    store: Store

    def check_in(self, profile: Profile = GRACE, at: float | None = None) -> CheckIn:
        checkin = CheckIn(
            str(uuid.uuid4()), profile.customer_ref, self.branch, "door-1", at or time.time(), "high", profile
        )
        self.store.checkins.record(checkin)
        self.board.issue(checkin)
        return checkin

    def arrive(
        self,
        profile: Profile = GRACE,
        seconds_ago: float = 0.0,
        channel: CheckinChannel = "face",
        band: ScoreBand = "high",
        verify: bool = False,
    ) -> CheckIn:
        """A check-in as the daemon makes it: the cue's life runs from when the customer was seen."""
        checkin = CheckIn(
            str(uuid.uuid4()), profile.customer_ref, self.branch, "door-1", time.time() - seconds_ago, band,
            profile, channel, verify,
        )  # fmt: skip
        self.store.checkins.record(checkin)
        self.board.issue(checkin, seen_at=checkin.at)
        return checkin

    def feedback_audits(self) -> list[dict[str, object]]:
        return [r for r in self.store.outbox.records() if r.get("event") == "cue_feedback"]


@contextmanager
def kiosk(
    tmp_path: Path, mqtt: MqttConfig, *, cues: CuesConfig | None = None, expiry_s: float = 60,
    branch: str | None = None, link_class: type[MqttLink] = MqttLink, client_id: str | None = None,
) -> Iterator[Kiosk]:  # fmt: skip
    branch = branch or f"b-{uuid.uuid4().hex[:8]}"
    topics = Topics("branchdoor", branch, "door-1")
    store = Store(tmp_path / f"{branch}.db")
    link = link_class(mqtt, topics, client_id=client_id or f"kiosk-{branch}")
    board = CueBoard(link, topics, cues or CuesConfig(), expiry_s, store)
    link.start()
    try:
        assert link.wait_connected(PATIENCE_S), link.last_refusal
        yield Kiosk(branch, topics, link, board, store)
    finally:
        link.stop()
        store.close()
