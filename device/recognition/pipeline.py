"""Camera -> recognizer -> check-in desk -> cue sink, on two threads: capture and recognition."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from device.checkin.desk import CheckinDesk
from device.domain import CheckIn, Identification, UnidentifiedVisit
from device.recognition.gallery import Gallery
from device.recognition.mailbox import LatestOnly
from device.recognition.recognizer import Event, Recognizer
from device.state.store import Store
from drivers.camera import Camera, Frame

log = logging.getLogger(__name__)

GALLERY_POLL_S = 1.0


@dataclass
class PipelineStats:
    frames_captured: int = 0
    frames_processed: int = 0
    checkins: int = 0
    unidentified_visits: int = 0
    last_frame_at: float | None = None  # monotonic
    # From a frame's capture to the end of its recognition: what a customer waits for, frame by frame.
    latency_s_total: float = 0.0


class Pipeline:
    def __init__(
        self,
        camera: Camera,
        recognizer_factory: Callable[[Callable[[], Gallery]], Recognizer],
        store: Store,
        desk: CheckinDesk,
        on_checkin: Callable[[CheckIn], object],
    ) -> None:
        self._camera = camera
        self._store = store
        self._desk = desk
        self._on_checkin = on_checkin
        self._gallery = Gallery.empty()
        self._gallery_version = -1
        self._recognizer = recognizer_factory(lambda: self._gallery)
        self._mailbox: LatestOnly[Frame] = LatestOnly()
        self._stop = threading.Event()
        self._capture_done = threading.Event()
        self.stats = PipelineStats()
        self._capture = threading.Thread(target=self._capture_loop, name="capture", daemon=True)
        self._worker = threading.Thread(target=self._recognition_loop, name="recognition", daemon=True)
        self.worker_heartbeat = time.monotonic()

    @property
    def dropped_frames(self) -> int:
        return self._mailbox.dropped

    def capture_healthy(self, now: float, stall_s: float) -> bool:
        """Frames are arriving, or the camera is deliberately absent (its driver waits to retry), or
        the stream has ended: anything but a capture stuck inside a read."""
        last = self.stats.last_frame_at
        if last is not None and now - last < stall_s:
            return True
        return self._camera.waiting_for_source or self._capture_done.is_set()

    @property
    def recognizer(self) -> Recognizer:
        return self._recognizer

    @property
    def gallery(self) -> Gallery:
        return self._gallery

    @property
    def finished(self) -> bool:
        """The camera stream ended for good and every frame has been handled."""
        return not self._worker.is_alive() and self._capture_done.is_set()

    def start(self) -> None:
        self.reload_gallery(force=True)
        self._capture.start()
        self._worker.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        self._stop.set()
        self._mailbox.close()
        self._capture.join(timeout_s)
        self._worker.join(timeout_s)
        self._recognizer.close()

    def reload_gallery(self, force: bool = False) -> None:
        version = self._store.gallery_version()
        if not force and version == self._gallery_version:
            return
        self._gallery_version = version
        refs, vectors = self._store.gallery_rows()
        new = Gallery(refs, vectors)
        for track in self._recognizer.tracker.active:
            if track.customer_ref is not None and track.customer_ref not in new:
                self._recognizer.tracker.drop_customer(track.customer_ref)
        self._gallery = new
        log.info("gallery loaded: %d customers, %d templates", len(new), new.template_count)

    def _capture_loop(self) -> None:
        try:
            for frame in self._camera.frames(self._stop):
                self.stats.frames_captured += 1
                self.stats.last_frame_at = frame.monotonic
                self._mailbox.put(frame)
        except Exception:
            log.exception("camera %s failed", self._camera.describe())
        finally:
            log.info("camera %s stream ended", self._camera.describe())
            self._capture_done.set()
            self._mailbox.close()

    def _recognition_loop(self) -> None:
        next_poll = 0.0
        while True:
            frame = self._mailbox.get(timeout_s=0.5)
            self.worker_heartbeat = time.monotonic()
            if time.monotonic() >= next_poll:
                self.reload_gallery()
                next_poll = time.monotonic() + GALLERY_POLL_S
            if frame is None:
                if self._stop.is_set() or self._capture_done.is_set():
                    break
                continue
            self._handle(self._recognizer.process(frame.image, frame.monotonic, frame.captured_at), frame)
            self.stats.frames_processed += 1
            latency = time.monotonic() - frame.monotonic
            self.stats.latency_s_total += latency
        self._handle(self._recognizer.flush(time.time()), None)

    def _handle(self, events: list[Event], frame: Frame | None) -> None:
        for event in events:
            if isinstance(event, Identification):
                at = frame.captured_at if frame is not None else time.time()
                checkin = self._desk.admit(event, at)
                if checkin is not None:
                    self.stats.checkins += 1
                    # The visit id, not the customer: journald cannot forget a customer who withdraws.
                    log.info("check-in visit=%s band=%s", checkin.visit_id, checkin.score_band)
                    self._on_checkin(checkin)
            elif isinstance(event, UnidentifiedVisit):
                # Counted, then forgotten: nothing about the face is kept.
                self.stats.unidentified_visits += 1
                self._store.visit_counts.count_unidentified(event.at)
                log.info("unidentified visit counted")
