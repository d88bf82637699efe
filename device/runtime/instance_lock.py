"""One daemon per state directory, and no key rotation under a running daemon.

The daemon holds an exclusive lock on `<state_dir>/daemon.lock` while it runs. The kernel drops the
lock when the process dies however it dies, so a crash never leaves a stale lock behind. A state
directory or lock path that cannot be used is refused with a one-line `StateError`.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from device.state.files import give_to_owner_of, prepare_state_dir, refusal


class AlreadyRunning(RuntimeError):
    pass


class InstanceLock:
    def __init__(self, state_dir: Path, holder: str) -> None:
        self.path = state_dir / "daemon.lock"
        self._holder = holder
        self._fd: int | None = None

    def __enter__(self) -> InstanceLock:
        prepare_state_dir(self.path.parent)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise refusal(self.path, exc, "instance lock") from None
        give_to_owner_of(self.path, self.path.parent)  # made under sudo, the daemon must still open it
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise AlreadyRunning(f"{holder} is using {self.path.parent}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{self._holder} (pid {os.getpid()})\n".encode(), 0)
        self._fd = fd
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the lock
            self._fd = None


def held(state_dir: Path) -> bool:
    """Whether a daemon runs on `state_dir` now. Probes with a shared lock, released at once: a daemon
    starting in that very instant would find it taken and exit, for systemd to start it again."""
    try:
        fd = os.open(state_dir / "daemon.lock", os.O_RDONLY)
    except OSError:
        return False  # never started here, or not ours to read
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
