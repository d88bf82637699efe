"""A member of staff passing the door again and again among customers, through the real recognizer,
pipeline, check-in desk and store: named every time, and every time left alone (no check-in, no cue,
no visit), while the customer among them is checked in and cued once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from device.checkin.desk import CheckinDesk
from device.domain import CheckIn, Consent, Profile
from device.recognition.config import RecognitionConfig
from device.recognition.faces import FaceEngine, Template
from device.recognition.gallery import Gallery
from device.recognition.pipeline import Pipeline
from device.recognition.recognizer import Recognizer
from device.recognition.tracking import SAME_VISIT_S
from device.state.store import Store
from drivers.camera import Frame
from drivers.camera.scene import Actor, Pose, SceneRenderer, SceneScript
from tests.keys import CIPHER
from tests.waiting import PATIENCE_S, eventually

FPS = 5.0
IN_VIEW_S = 2.4
# Each person's pass through the door, one after another. A person named again within SAME_VISIT_S of
# their last track is the same visit (hidden a moment behind someone), so passes are further apart.
PASS_S = IN_VIEW_S + SAME_VISIT_S + 0.6


class LockstepScene:
    """The scene camera's frames (its renderer), each handed over once the pipeline has processed the
    one before: on a loaded machine a paced camera would drop frames at random, and this test is about
    what becomes of each identification, not about speed. Frame times are the script's own."""

    waiting_for_source = False
    problem: str | None = None

    def __init__(self, renderer: SceneRenderer) -> None:
        self._renderer = renderer
        self.processed: Callable[[], int] = lambda: 0

    def describe(self) -> str:
        return "lockstep scene"

    def _caught_up(self, handed: int) -> bool:
        return self.processed() >= handed

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        for index in range(self._renderer.frame_count):
            # Every frame handed over so far must be processed first.
            if stop.is_set() or not eventually(partial(self._caught_up, index), PATIENCE_S):
                return
            t = index / FPS
            yield Frame(self._renderer.render(index), index + 1, captured_at=1000.0 + t, monotonic=t)


def passes(*photos: Path) -> SceneRenderer:
    actors = [
        Actor(
            photo=photo,
            enter_s=0.2 + PASS_S * i,
            leave_s=0.2 + IN_VIEW_S + PASS_S * i,
            start=Pose(x=0.45, y=0.55, height=0.45),
            end=Pose(x=0.5, y=0.5, height=0.85),
        )
        for i, photo in enumerate(photos)
    ]
    return SceneRenderer(SceneScript(fps=FPS, duration_s=PASS_S * len(photos), actors=actors))


@pytest.mark.slow
def test_staff_passing_four_times_among_customers_get_no_check_in_no_cue_and_no_visit(
    tmp_path: Path,
    grace_photo: Path,
    astronaut_head: Path,
    grace_template: Template,
    astronaut_template: Template,
) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    store.enroll(Profile("CUST-GRACE", "Grace"), Consent("v1"), grace_template[np.newaxis])
    store.enroll(
        Profile("STAFF-EILEEN", "Eileen"), Consent("v1"), astronaut_template[np.newaxis], role="staff"
    )
    staff = astronaut_head
    camera = LockstepScene(passes(staff, staff, grace_photo, staff, staff))
    config = RecognitionConfig.model_validate({"track_timeout_s": 0.5})

    def recognizer(gallery: Callable[[], Gallery]) -> Recognizer:
        return Recognizer(FaceEngine(detect_width=320, upsample=1), config, gallery)

    cues: list[CheckIn] = []
    staff_named_at: list[float] = []
    desk = CheckinDesk(store, "b1", "door-1", dedup_window_s=1800)
    pipeline = Pipeline(
        camera, recognizer, store, desk, on_checkin=cues.append, on_staff_pass=staff_named_at.append
    )
    camera.processed = lambda: pipeline.stats.frames_processed
    pipeline.start()
    try:
        assert eventually(lambda: pipeline.finished, timeout_s=10 * PATIENCE_S)
    finally:
        pipeline.stop()
    assert [c.customer_ref for c in cues] == ["CUST-GRACE"]
    assert [row[1] for row in store.checkins.all()] == ["CUST-GRACE"]
    assert pipeline.stats.checkins == 1
    assert pipeline.stats.staff_passes == 4 and len(staff_named_at) == 4
    # Each naming is told to the floor with the time of its pass, for the door count.
    assert all(1000.0 + PASS_S * i <= at < 1000.0 + PASS_S * (i + 1)
               for i, at in zip((0, 1, 3, 4), staff_named_at, strict=True))  # fmt: skip
    assert pipeline.stats.unidentified_visits == 0 and store.visit_counts.unidentified_total() == 0
    assert pipeline.faults.current() == []
    store.close()
