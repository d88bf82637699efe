"""Kiosks of one branch minus the camera: desk, claims, cue board and link each, on a real broker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from device.checkin.claims import ClaimBook
from device.checkin.desk import CheckinDesk
from device.cues.board import CueBoard
from device.cues.config import CuesConfig
from device.domain import CheckIn, Consent, Identification, Profile
from device.mqtt.config import MqttConfig
from device.mqtt.link import MqttLink
from device.mqtt.topics import Topics
from device.runtime.branch_claims import BranchClaims
from device.state.store import Store
from tests.conftest import random_templates
from tests.keys import CIPHER
from tests.waiting import PATIENCE_S

WINDOW_S = 600.0
CUSTOMERS = (Profile("CUST-1", "Grace", "en"), Profile("CUST-2", "Ada", "en"))


@dataclass
class Door:
    device_id: str
    store: Store
    desk: CheckinDesk
    board: CueBoard
    claims: BranchClaims
    link: MqttLink

    def sees(self, customer_ref: str, at: float | None = None) -> CheckIn | None:
        """What the daemon does with an identification (device/runtime/daemon.py, cue_for)."""
        checkin = self.admit(customer_ref, at)
        if checkin is not None:
            self.announce(checkin)
        return checkin

    def admit(self, customer_ref: str, at: float | None = None) -> CheckIn | None:
        seen = Identification(customer_ref, 0.35, 0.8, track_id=1)
        return self.desk.admit(seen, time.time() if at is None else at)

    def announce(self, checkin: CheckIn) -> None:
        self.claims.claim(checkin)
        self.board.issue(checkin, seen_at=checkin.at)

    def audit_rules(self) -> list[str]:
        return [str(r.get("rule")) for r in self.store.outbox.records() if r.get("event") == "identification"]


@contextmanager
def door(tmp_path: Path, branch: str, device_id: str, mqtt: MqttConfig) -> Iterator[Door]:
    store = Store(tmp_path / f"{device_id}.db", CIPHER)
    for profile in CUSTOMERS:
        store.enroll(profile, Consent("v1"), random_templates(1))
    topics = Topics("branchdoor", branch, device_id)
    link = MqttLink(mqtt, topics, client_id=f"kiosk-{branch}-{device_id}")
    board = CueBoard(link, topics, CuesConfig(), 60, store)
    claims = BranchClaims(ClaimBook(store, device_id, WINDOW_S), link, topics, board)
    link.start()
    try:
        assert link.wait_connected(PATIENCE_S), link.last_refusal
        yield Door(device_id, store, CheckinDesk(store, branch, device_id, WINDOW_S), board, claims, link)
    finally:
        link.stop()
        store.close()
