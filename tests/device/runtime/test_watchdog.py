"""The watchdog is honest: systemd hears WATCHDOG=1 only while recognition makes progress."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from device.checkin.desk import CheckinDesk
from device.recognition import pipeline as pipeline_module
from device.recognition.config import RecognitionConfig
from device.recognition.faces import FaceEngine
from device.recognition.gallery import Gallery
from device.recognition.pipeline import Pipeline
from device.recognition.recognizer import Event, Recognizer
from device.runtime import watchdog
from device.runtime.sdnotify import Notifier
from device.state.store import Store
from drivers.camera import Frame
from tests.keys import CIPHER
from tests.waiting import PATIENCE_S, eventually

pytestmark = pytest.mark.slow


class SteadyCamera:
    waiting_for_source = False
    problem = None

    def describe(self) -> str:
        return "steady"

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        seq = 0
        while not stop.is_set():
            seq += 1
            yield Frame(np.zeros((48, 64, 3), np.uint8), seq, time.time(), time.monotonic())
            stop.wait(0.05)


class HangingRecognizer(Recognizer):
    """A real recognizer that, once told to, never comes back from a frame: a stuck native call."""

    def __init__(
        self, gallery: Callable[[], Gallery], hang: threading.Event, release: threading.Event
    ) -> None:
        super().__init__(FaceEngine(), RecognitionConfig(), gallery)
        self._hang, self._release = hang, release

    def process(self, image: np.ndarray, now: float, wall_time: float) -> list[Event]:
        if self._hang.is_set():
            self._release.wait()
        return super().process(image, now, wall_time)


def test_pings_stop_when_the_recognition_worker_hangs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(tmp_path / "notify.sock"))
    listener.settimeout(0.1)
    monkeypatch.setenv("WATCHDOG_USEC", "400000")  # ping every 0.2 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    monkeypatch.setattr(watchdog, "WORKER_STALL_S", 1.0)
    hang, release, stop = threading.Event(), threading.Event(), threading.Event()
    store = Store(tmp_path / "s.db", CIPHER)
    pipeline = Pipeline(
        SteadyCamera(),
        lambda gallery: HangingRecognizer(gallery, hang, release),
        store,
        CheckinDesk(store, "b", "d", 60),
        on_checkin=lambda _c: None,
    )
    pipeline.start()
    supervisor = threading.Thread(
        target=watchdog.supervise,
        args=(Notifier(str(tmp_path / "notify.sock")), pipeline, stop, lambda: None),
    )
    supervisor.start()

    try:
        assert pings_arrive(listener)
        hang.set()
        time.sleep(1.2)  # past the stall limit
        count_pings(listener, 0.3)  # what was sent before the stall was noticed, still queued on the socket
        assert count_pings(listener, 1.0) == 0
        release.set()
        hang.clear()
        assert pings_arrive(listener)  # progress again: pings again
    finally:
        release.set()
        stop.set()
        supervisor.join(5)
        pipeline.stop()
        listener.close()


class StuckCamera(SteadyCamera):
    """Frames for a while, then a read that never returns (a wedged USB camera)."""

    def __init__(self, stuck: threading.Event) -> None:
        self._stuck = stuck

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        for frame in super().frames(stop):
            if self._stuck.is_set():
                stop.wait()  # blocked until the daemon stops
                return
            yield frame


def supervised(
    tmp_path: Path,
    camera: object,
    monkeypatch: pytest.MonkeyPatch,
    recognizer: Callable[[Callable[[], Gallery]], Recognizer] | None = None,
) -> tuple[socket.socket, Pipeline, threading.Event, threading.Thread]:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(tmp_path / "notify.sock"))
    listener.settimeout(0.1)
    monkeypatch.setenv("WATCHDOG_USEC", "400000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    monkeypatch.setattr(watchdog, "CAPTURE_STALL_S", 1.0)
    store = Store(tmp_path / "s.db", CIPHER)
    pipeline = Pipeline(
        camera,  # type: ignore[arg-type]
        recognizer or (lambda gallery: Recognizer(FaceEngine(), RecognitionConfig(), gallery)),
        store,
        CheckinDesk(store, "b", "d", 60),
        on_checkin=lambda _c: None,
    )
    stop = threading.Event()
    pipeline.start()
    thread = threading.Thread(
        target=watchdog.supervise,
        args=(Notifier(str(tmp_path / "notify.sock")), pipeline, stop, lambda: None),
    )
    thread.start()
    return listener, pipeline, stop, thread


def count_pings(listener: socket.socket, seconds: float) -> int:
    count, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            count += listener.recv(64) == b"WATCHDOG=1"
    return count


def pings_arrive(listener: socket.socket, count: int = 3) -> bool:
    """`count` pings come (a fed watchdog pings five times a second here, a busy machine less often)."""
    received, deadline = 0, time.monotonic() + PATIENCE_S
    while received < count and time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            received += listener.recv(64) == b"WATCHDOG=1"
    return received >= count


def test_pings_stop_when_the_camera_is_stuck_in_a_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stuck = threading.Event()
    listener, pipeline, stop, thread = supervised(tmp_path, StuckCamera(stuck), monkeypatch)
    try:
        assert pings_arrive(listener)
        stuck.set()
        time.sleep(1.3)
        count_pings(listener, 0.3)  # sent before the stall was noticed
        assert count_pings(listener, 1.0) == 0
    finally:
        stop.set()
        thread.join(5)
        pipeline.stop()
        listener.close()


def test_a_camera_deliberately_absent_keeps_the_watchdog_fed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from drivers.camera import open_camera
    from drivers.camera.opencv_source import OpenCVCameraConfig

    absent = open_camera(OpenCVCameraConfig(source=str(tmp_path / "unplugged.avi"), reconnect_min_s=0.2))
    listener, pipeline, stop, thread = supervised(tmp_path, absent, monkeypatch)
    try:
        time.sleep(1.3)  # no frame ever, for longer than the stall limit
        assert pings_arrive(listener)
    finally:
        stop.set()
        thread.join(5)
        pipeline.stop()
        listener.close()


class FailingRecognizer(Recognizer):
    """A real recognizer that, while told to, fails on every frame (an error inside a native library)."""

    def __init__(self, gallery: Callable[[], Gallery], failing: threading.Event) -> None:
        super().__init__(FaceEngine(), RecognitionConfig(), gallery)
        self._failing = failing

    def process(self, image: np.ndarray, now: float, wall_time: float) -> list[Event]:
        if self._failing.is_set():
            raise RuntimeError("Unsupported image type, must be 8bit gray or RGB image.")
        return super().process(image, now, wall_time)


def test_a_recognizer_failing_on_frames_is_degraded_not_stalled_and_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = threading.Event()
    failing.set()
    monkeypatch.setattr(watchdog, "WORKER_STALL_S", 1.0)  # a dead worker would be noticed at once
    monkeypatch.setattr(pipeline_module, "FRAME_BACKOFF_S", (0.1, 0.2))  # within it, as in production
    listener, pipeline, stop, thread = supervised(
        tmp_path, SteadyCamera(), monkeypatch, lambda gallery: FailingRecognizer(gallery, failing)
    )
    try:
        assert eventually(lambda: pipeline.faults.failing("recognition", "process frames"))
        time.sleep(1.3)  # past the stall limit
        assert count_pings(listener, 1.0) >= 3  # failing, retried, alive: not a stall
        assert [str(f) for f in pipeline.faults.current()] == [
            "recognition: cannot process frames (RuntimeError, see the log)"
        ]
        failing.clear()
        processed = pipeline.stats.frames_processed
        assert eventually(lambda: pipeline.stats.frames_processed > processed + 3)
        assert pipeline.faults.current() == []
    finally:
        stop.set()
        thread.join(5)
        pipeline.stop()
        listener.close()


class FlakyCamera(SteadyCamera):
    """Frames, then a driver error (a USB camera unplugged mid-read) the first time only."""

    def __init__(self) -> None:
        self.opened = 0

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        self.opened += 1
        for seq, frame in enumerate(super().frames(stop)):
            if self.opened == 1 and seq == 5:
                raise OSError(5, "Input/output error")
            yield frame


def test_a_camera_that_fails_is_opened_again_and_is_not_a_stall(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    camera = FlakyCamera()
    listener, pipeline, stop, thread = supervised(tmp_path, camera, monkeypatch)
    try:
        assert eventually(lambda: camera.opened == 2, 10)
        frames = pipeline.stats.frames_captured
        assert eventually(lambda: pipeline.stats.frames_captured > frames + 5)
        assert not pipeline.finished and thread.is_alive()
        assert pipeline.faults.current() == [] and pipeline.faults.totals() == {"camera": 1}
        assert count_pings(listener, 1.0) >= 3
    finally:
        stop.set()
        thread.join(5)
        pipeline.stop()
        listener.close()
