"""What runs beside the camera pipeline: the QR/card scanner's thread, the retention housekeeping, and
dropping held cues of customers forgotten meanwhile. Started, ticked about once a second and stopped
by device/runtime/daemon.py. A duty that fails is a `housekeeping` fault, tried again, never the end
of the supervising loop that ticks it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from common.faults import Faults
from device.checkin.desk import CheckinDesk
from device.checkin.scanner import ScannerCheckins, ScannerStats
from device.config import Config
from device.domain import CheckIn
from device.privacy.forgetting import PendingCues, drop_forgotten_cues
from device.privacy.retention import Housekeeper
from device.state.store import Store
from drivers.serial.registry import open_scanner

log = logging.getLogger(__name__)


class Duties:
    def __init__(
        self,
        config: Config,
        store: Store,
        desk: CheckinDesk,
        cues: PendingCues,
        on_checkin: Callable[[CheckIn], object],
        faults: Faults | None = None,
    ) -> None:
        self.faults = faults or Faults()
        self._store = store
        self._cues = cues
        self._gallery_version = store.gallery_version()
        self.housekeeper = Housekeeper(
            store, config.privacy, config.checkin.dedup_window_s, uploads=config.central is not None
        )
        self.scanner: ScannerCheckins | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if config.scanner is not None:
            self.scanner = ScannerCheckins(store, desk, on_checkin, self.faults)
            reader = open_scanner(config.scanner)
            self._thread = threading.Thread(
                target=self.scanner.run, args=(reader, self._stop, time.time), name="scanner", daemon=True
            )
            log.info("scanner: reading check-in tokens from %s", reader.describe())

    @property
    def scanner_stats(self) -> ScannerStats | None:
        return None if self.scanner is None else self.scanner.stats

    def start(self) -> None:
        if self._thread is not None:
            self._thread.start()

    def tick(self) -> None:
        """From the daemon's supervising loop, about once a second."""
        self.faults.attempt("housekeeping", "drop the cues of forgotten customers", self._drop_forgotten)
        self.faults.attempt("housekeeping", "apply the retention policy", self.housekeeper.tick)
        if self.scanner is not None:
            self.scanner.retry()

    def _drop_forgotten(self) -> None:
        version = self._store.gallery_version()
        if version != self._gallery_version:  # someone may have been forgotten
            drop_forgotten_cues(self._cues, lambda ref: self._store.profile(ref) is not None)
            self._gallery_version = version  # only now: a pass that failed is made again next tick

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
        if self.scanner is not None:
            log.info("scanner: %s", self.scanner.stats)
