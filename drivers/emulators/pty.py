"""A pseudo-terminal that behaves like a USB serial adapter, unplug and replug included.

The reader side gets a stable path (a symlink named like `ttyUSB0` in a private directory) that
points at a real `/dev/pts/N`. `unplug()` removes the link and closes the master, so the reader's
next read fails and reopening the path fails, as after a USB unplug; `replug()` creates a fresh
pty and points the link at it. The emulator side only ever goes through `write` and `read`, under
a lock, so an unplug can never close a file descriptor that another thread is about to use.

The emulator does not keep the device end open itself: Linux reports a hang-up on the master side
while no process has the device end open, and that is how `reader_present` notices the host opening
the port (socat's `wait-slave` relies on the same behaviour). The raw settings made at plug time
stay with the device in between.
"""

from __future__ import annotations

import os
import select
import shutil
import tempfile
import threading
import tty
from pathlib import Path
from types import TracebackType


class PtyPort:
    def __init__(self, name: str = "ttyUSB0", directory: Path | None = None) -> None:
        self.name = name
        self._own_directory = directory is None
        self._directory = directory
        self.pts_path: str | None = None
        self._master: int | None = None
        self._lock = threading.Lock()

    @property
    def directory(self) -> Path:
        """Made when first needed: an emulator built and never started leaves no folder behind."""
        if self._directory is None:
            self._directory = Path(tempfile.mkdtemp(prefix="branchdoor-pty-"))
        return self._directory

    @property
    def path(self) -> str:
        return str(self.directory / self.name)

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def plug(self) -> str:
        """Create the pty and the link; returns the stable path a reader should open."""
        with self._lock:
            if self._master is not None:
                return self.path
            master, slave = os.openpty()
            # Raw from the start: bytes written before the reader configures the port must not be
            # line-buffered, echoed back or have CR translated.
            tty.setraw(slave)
            self.pts_path = os.ttyname(slave)
            os.close(slave)  # see the module docstring: held open, it would hide the host's open
            os.set_blocking(master, False)
            self._master = master
            link = Path(self.path)
            link.unlink(missing_ok=True)
            link.symlink_to(self.pts_path)
        return self.path

    def unplug(self) -> None:
        with self._lock:
            if self._directory is not None:
                Path(self.path).unlink(missing_ok=True)
            if self._master is not None:
                os.close(self._master)
            self._master = None
            self.pts_path = None

    def replug(self) -> str:
        self.unplug()
        return self.plug()

    def reader_present(self) -> bool:
        """Whether a host has the device end open right now."""
        with self._lock:
            if self._master is None:
                return False
            poller = select.poll()
            poller.register(self._master, select.POLLIN)  # a hang-up is reported whatever is asked
            return not any(events & select.POLLHUP for _, events in poller.poll(0))

    def write(self, data: bytes) -> int:
        """Bytes accepted; fewer than len(data) when unplugged or the reader has stopped reading
        (a full pty buffer drops bytes the way an unread UART overruns)."""
        with self._lock:
            if self._master is None:
                return 0
            try:
                return os.write(self._master, data)
            except (BlockingIOError, OSError):
                return 0

    def read(self, size: int = 4096) -> bytes:
        """Whatever the reader has sent, without waiting."""
        with self._lock:
            if self._master is None:
                return b""
            try:
                return os.read(self._master, size)
            except (BlockingIOError, OSError):
                return b""

    def close(self) -> None:
        self.unplug()
        if self._own_directory and self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)

    def __enter__(self) -> PtyPort:
        self.plug()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
