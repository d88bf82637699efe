"""The kiosk records each hour in which it recognised frames: the forecast tells an hour nobody came
from an hour nobody counted (the kiosk off, the camera dead)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import numpy as np

from device.analytics.data import AnalyticsData
from device.checkin.desk import CheckinDesk
from device.recognition.config import RecognitionConfig
from device.recognition.faces import FaceEngine
from device.recognition.pipeline import Pipeline
from device.recognition.recognizer import Recognizer
from device.state.store import Store
from drivers.camera import Frame
from tests.keys import CIPHER
from tests.waiting import PATIENCE_S, eventually

T0 = 1_888_888 * 3600.0  # a whole hour
# Two frames in the first hour, one in the second, none in the third, one in the fourth.
CAPTURED_AT = (T0 + 10, T0 + 1800, T0 + 3600 + 5, T0 + 3 * 3600 + 60)


class Handover:
    """Frames from given wall-clock times, each handed over once the one before is processed: the
    mailbox keeps only the latest frame, and this test is about every frame's hour."""

    waiting_for_source = False
    problem: str | None = None

    def __init__(self) -> None:
        self.processed: Callable[[], int] = lambda: 0

    def describe(self) -> str:
        return "handover"

    def _caught_up(self, handed: int) -> bool:
        return self.processed() >= handed

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        for index, at in enumerate(CAPTURED_AT):
            if stop.is_set() or not eventually(partial(self._caught_up, index), PATIENCE_S):
                return
            yield Frame(np.zeros((48, 64, 3), np.uint8), index + 1, captured_at=at, monotonic=float(index))


def test_each_hour_with_a_frame_recognised_is_recorded_as_watched(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    camera = Handover()
    pipeline = Pipeline(
        camera,
        lambda gallery: Recognizer(FaceEngine(), RecognitionConfig(), gallery),
        store,
        CheckinDesk(store, "b1", "door-1", 60),
        on_checkin=lambda _c: None,
    )
    camera.processed = lambda: pipeline.stats.frames_processed
    pipeline.start()
    try:
        assert eventually(lambda: pipeline.finished, PATIENCE_S)
        watched = AnalyticsData.of(store).watched(T0, T0 + 5 * 3600)
        assert [watched(T0 + hour * 3600) for hour in range(5)] == [True, True, False, True, False]
    finally:
        pipeline.stop()
        store.close()
