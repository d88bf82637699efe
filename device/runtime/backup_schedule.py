"""The daemon's thread that copies the database every `[storage] backup_interval_s` (device/state/backups.py
makes the copy; a deletion of a customer makes one at once, on the thread that deleted). The first copy
comes right after start when the newest one is older than the interval, or absent."""

from __future__ import annotations

import logging
import threading
import time

from device.state.backups import BackupError, Backups

log = logging.getLogger(__name__)

# After a failed copy (disk full, ...), the next try comes this soon rather than a whole interval later.
RETRY_S = 300.0
# The first copy waits this long after start, so it does not compete with the gallery's loading.
FIRST_DELAY_S = 5.0


class BackupSchedule:
    def __init__(self, backups: Backups, interval_s: float, keep: int) -> None:
        self._backups = backups
        self._interval_s = interval_s
        self._keep = keep
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="backups", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        # A copy under way is not waited for past this: SIGTERM must stop the daemon within 5 s, and the
        # unfinished copy is only a temporary file, erased by the next one.
        self._thread.join(2.0)

    def first_wait_s(self, now: float) -> float:
        """Seconds until the first copy: the rest of the interval since the newest copy. A copy dated in
        the future (the clock went back) is treated as old, not trusted for hours."""
        newest = self._backups.newest()
        if newest is None:
            return FIRST_DELAY_S
        try:
            age = now - newest.stat().st_mtime
        except OSError:
            return FIRST_DELAY_S
        if age < 0 or age >= self._interval_s:
            return FIRST_DELAY_S
        return self._interval_s - age

    def _run(self) -> None:
        wait = self.first_wait_s(time.time())
        while not self._stop.wait(wait):
            wait = self._interval_s if self.copy_once() else min(RETRY_S, self._interval_s)

    def copy_once(self) -> bool:
        """One copy; a failure is logged (and shown in /healthz), never allowed to end the thread."""
        try:
            copy = self._backups.make(self._keep)
        except BackupError as exc:
            log.error("%s", exc)
            return False
        except Exception:  # a bug must not end the backups for the rest of the run
            log.exception("backup: unexpected failure")
            self._backups.last_error = "backup: unexpected failure (see the log)"
            return False
        log.info("backup: %s, %.1f MB in %.2f s", copy.path.name, copy.size_bytes / 2**20, copy.seconds)
        return True
