"""Camera -> recognizer -> check-in desk -> cue sink, on two threads: capture and recognition.

Neither thread dies of an exception. A camera that fails is reopened with backoff; a frame that fails
is skipped; a check-in that cannot be recorded waits in a backlog while the next frames are processed,
and its cue goes out once it is recorded. Each failure is a fault of `recognition` or `camera` in
`faults` (health and metrics read it) until the part works again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from common.backoff import Backoff
from common.faults import Faults, keep_running
from device.checkin.backlog import Backlog
from device.checkin.desk import CheckinDesk
from device.domain import CheckIn, Identification, UnidentifiedVisit
from device.recognition.gallery import Gallery
from device.recognition.mailbox import LatestOnly
from device.recognition.recognizer import Event, Recognizer
from device.state.store import Store
from device.state.visit_counts import WATCHED_BIN_S
from drivers.camera import Camera, Frame

log = logging.getLogger(__name__)

GALLERY_POLL_S = 1.0
# A failing camera is reopened within the watchdog's capture stall limit (runtime/watchdog.py).
CAPTURE_BACKOFF_S = (1.0, 10.0)
# A failing frame holds recognition back at most this long, well within the worker stall limit.
FRAME_BACKOFF_S = (0.5, 10.0)


@dataclass
class PipelineStats:
    frames_captured: int = 0
    frames_processed: int = 0
    checkins: int = 0
    unidentified_visits: int = 0
    staff_passes: int = 0  # staff named at the door: no check-in, no cue, no visit
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
        faults: Faults | None = None,
        on_staff_pass: Callable[[float], object] | None = None,
    ) -> None:
        self.faults = faults or Faults()
        self._camera = camera
        self._store = store
        self._desk = desk
        self._on_checkin = on_checkin
        # Told when (wall time) staff were named: the floor's door count leaves their crossing out.
        self._on_staff_pass = on_staff_pass
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
        self._capture_failed_at = -float("inf")  # monotonic
        self._next_gallery_poll = 0.0  # monotonic
        self._checkins: Backlog[CheckIn] = Backlog(self.faults, "recognition", "record check-ins")
        self._counts: Backlog[None] = Backlog(self.faults, "recognition", "count unidentified visits")
        self._staff_audits: Backlog[None] = Backlog(self.faults, "recognition", "audit staff passes")
        self._watched_hour = -1.0  # the last hour recorded as watched, so each is written once

    @property
    def dropped_frames(self) -> int:
        return self._mailbox.dropped

    def capture_healthy(self, now: float, stall_s: float) -> bool:
        """Frames are arriving, or the camera is deliberately absent (its driver waits to retry), or
        failing and reopened with backoff, or the stream has ended: anything but a capture stuck
        inside a read."""
        last = self.stats.last_frame_at
        if (last is not None and now - last < stall_s) or now - self._capture_failed_at < stall_s:
            return True
        return self._camera.waiting_for_source or self._capture_done.is_set()

    @property
    def camera_problem(self) -> str | None:
        """Why the camera gives no frames, as its driver tells it (a missing file, a missing device)."""
        return self._camera.problem

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
        new = Gallery(refs, vectors, self._store.roles.staff())
        for customer_ref in self._recognizer.tracker.customers_remembered():
            if customer_ref not in new:
                self._recognizer.tracker.drop_customer(customer_ref)
        self._gallery = new
        log.info("gallery loaded: %d customers, %d templates", len(new), new.template_count)

    @property
    def checkins_waiting(self) -> int:
        """Check-ins made but not yet recorded (the database refused them): retried until they are."""
        return len(self._checkins)

    def _capture_loop(self) -> None:
        try:
            backoff = Backoff(*CAPTURE_BACKOFF_S)
            keep_running(self.faults, "camera", "read frames", self._read_frames, self._stop, backoff)
        finally:
            log.info("camera %s stream ended", self._camera.describe())
            self._capture_done.set()
            self._mailbox.close()

    def _read_frames(self) -> None:
        """Until the stream ends (None: the loop is over) or raises (it is reopened after a backoff)."""
        try:
            for frame in self._camera.frames(self._stop):
                self.stats.frames_captured += 1
                self.stats.last_frame_at = frame.monotonic
                self._mailbox.put(frame)
                if self._capture_failed_at > 0:
                    self._capture_failed_at = -float("inf")
                    self.faults.clear("camera", "read frames")
        except Exception:
            self._capture_failed_at = time.monotonic()
            raise

    def _recognition_loop(self) -> None:
        backoff = Backoff(*FRAME_BACKOFF_S)
        keep_running(self.faults, "recognition", "process frames", self._recognize_next, self._stop, backoff)
        self.faults.attempt(
            "recognition", "process frames", lambda: self._handle(self._recognizer.flush(time.time()), None)
        )
        self._record(self._checkins.retry(force=True))
        self._counts.retry(force=True)
        self._staff_audits.retry(force=True)
        if self._checkins or self._counts:
            log.error(
                "stopping with %d check-in(s) and %d unidentified visit(s) not recorded",
                len(self._checkins),
                len(self._counts),
            )

    def _recognize_next(self) -> float | None:
        """One frame from the mailbox, if one came; None once the stream has ended and been handled."""
        frame = self._mailbox.get(timeout_s=0.5)
        self.worker_heartbeat = time.monotonic()
        self._record(self._checkins.retry())
        self._counts.retry()
        self._staff_audits.retry()
        if time.monotonic() >= self._next_gallery_poll:
            self._next_gallery_poll = time.monotonic() + GALLERY_POLL_S
            # A gallery that cannot be read leaves the one loaded before in service.
            self.faults.attempt("recognition", "load the gallery", self.reload_gallery)
        if frame is None:
            return None if self._stop.is_set() or self._capture_done.is_set() else 0.0
        self._handle(self._recognizer.process(frame.image, frame.monotonic, frame.captured_at), frame)
        self.stats.frames_processed += 1
        self._note_watched(frame.captured_at)
        latency = time.monotonic() - frame.monotonic
        self.stats.latency_s_total += latency
        return 0.0

    def _note_watched(self, at: float) -> None:
        """The forecast must tell an hour nobody came from an hour nobody counted (the kiosk off, the
        camera dead): an hour with a frame recognised is recorded as watched."""
        hour = at - at % WATCHED_BIN_S
        if hour != self._watched_hour:
            self._watched_hour = hour
            self._counts.write(partial(self._store.visit_counts.mark_watched, at))

    def _handle(self, events: list[Event], frame: Frame | None) -> None:
        for event in events:
            if isinstance(event, Identification) and self._gallery.is_staff(event.customer_ref):
                self._staff_pass(event, frame.captured_at if frame is not None else time.time())
            elif isinstance(event, Identification):
                at = frame.captured_at if frame is not None else time.time()
                # Bound now: a check-in that waits is retried with this identification, not the next.
                self._record(self._checkins.write(partial(self._desk.admit, event, at)))
            elif isinstance(event, UnidentifiedVisit):
                # Counted, then forgotten: nothing about the face is kept.
                self.stats.unidentified_visits += 1
                self._counts.write(partial(self._store.visit_counts.count_unidentified, event.at))
                log.info("unidentified visit counted")

    def _staff_pass(self, identification: Identification, at: float) -> None:
        """Counted anonymously and audited (an identification happened), never a visit or a cue."""
        self.stats.staff_passes += 1
        self._staff_audits.write(partial(self._desk.audit_staff_pass, identification))
        log.info("staff pass counted")
        if self._on_staff_pass is not None:
            self.faults.attempt("recognition", "tell the floor of staff", partial(self._on_staff_pass, at))

    def _record(self, checkins: list[CheckIn]) -> None:
        for checkin in checkins:
            self.stats.checkins += 1
            # The visit id, not the customer: journald cannot forget a customer who withdraws.
            log.info("check-in visit=%s band=%s", checkin.visit_id, checkin.score_band)
            self.faults.attempt("recognition", "issue cues", partial(self._on_checkin, checkin))
