"""The duties the supervising loop ticks: one that fails is a fault, tried again, never the loop's end."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from common.faults import Faults
from device.checkin.desk import CheckinDesk
from device.config import BranchConfig, Config
from device.domain import CheckIn, Profile
from device.privacy.retention import DAY_S
from device.recognition.config import RecognitionConfig
from device.recognition.faces import FaceEngine
from device.recognition.pipeline import Pipeline
from device.recognition.recognizer import Recognizer
from device.runtime import watchdog
from device.runtime.duties import Duties
from device.runtime.sdnotify import Notifier
from device.state.store import Store
from tests.device.runtime.test_watchdog import SteadyCamera
from tests.disks import small_disk
from tests.keys import CIPHER
from tests.waiting import eventually

REFUSED = "housekeeping: cannot apply the retention policy (database or disk is full)"


class NoCues:
    def drop_pending_cues(self, still_held: Callable[[str], bool]) -> int:
        return 0


@pytest.mark.subprocess
def test_housekeeping_a_full_disk_refuses_does_not_end_the_supervising_loop(tmp_path: Path) -> None:
    with small_disk(tmp_path / "state", "2m") as disk:
        store = Store(disk.path / "branchdoor.db", CIPHER)
        # Past every retention: without a central service, the next pass deletes it (and its record).
        ada = Profile("C1", "Ada")
        store.checkins.record(
            CheckIn("visit-old", "C1", "b1", "door-1", time.time() - 10 * DAY_S, "high", ada)
        )
        faults, stop = Faults(), threading.Event()
        desk = CheckinDesk(store, "b1", "door-1", 60)
        duties = Duties(Config(branch=BranchConfig(id="b1")), store, desk, NoCues(), lambda _c: None, faults)
        pipeline = Pipeline(
            SteadyCamera(),
            lambda gallery: Recognizer(FaceEngine(), RecognitionConfig(), gallery),
            store,
            desk,
            on_checkin=lambda _c: None,
            faults=faults,
        )
        disk.fill()
        supervisor = threading.Thread(
            target=watchdog.supervise,
            args=(Notifier(""), pipeline, stop, duties.tick),
            kwargs={"faults": faults},
            name="supervisor",
        )
        supervisor.start()
        try:
            assert eventually(lambda: REFUSED in [str(f) for f in faults.current()], 30), faults.current()
            time.sleep(2.5)  # more ticks: the loop goes on around the failing duty
            assert supervisor.is_alive()
            assert len(store.checkins.all()) == 1
            disk.grow("64m")
            # The failed pass is tried again after its backoff (5 s, then growing), not an hour later.
            assert eventually(lambda: store.checkins.all() == [], 60), faults.current()
            assert eventually(lambda: faults.current() == [])
            assert supervisor.is_alive()
        finally:
            stop.set()
            supervisor.join(5)
            store.close()
