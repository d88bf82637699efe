"""The state directory's files as files: making the directory, setting a file aside, writing one
durably, erasing one. Every refusal is a `StateError`: one line naming the path, what is wrong and
what to do, printed as it is by the command line (never a traceback)."""

from __future__ import annotations

import errno
import os
import pwd
import time
from pathlib import Path

from common.private_files import make_private_dir

# Bytes written per call while a file is overwritten with zeros before it is removed.
_ZEROS = bytes(1 << 20)
# Files set aside by `branchdoor state restore` / `start-empty` end in this, then a UTC time.
ASIDE_MARK = ".aside-"


class StateError(Exception):
    """The state cannot be used as it is: one line, naming the path and the way forward."""


def prepare_state_dir(folder: Path) -> None:
    """Create the state directory if needed (mode 0700); refuse, in one line, a path that cannot be one."""
    try:
        make_private_dir(folder)
    except FileExistsError:
        raise _a_file(folder) from None
    except PermissionError:  # it, or a folder above it, is out of this user's reach
        raise _not_ours(folder) from None
    except OSError as exc:
        raise StateError(f"state directory {folder}: cannot create it: {exc.strerror}") from None
    if not os.access(folder, os.R_OK | os.W_OK | os.X_OK):
        raise _not_ours(folder)


def state_dir_problem(folder: Path) -> str | None:
    """What `prepare_state_dir` would refuse, found without creating anything (for `config check`)."""
    try:
        if folder.exists():
            if not folder.is_dir():
                return str(_a_file(folder))
            return None if os.access(folder, os.R_OK | os.W_OK | os.X_OK) else str(_not_ours(folder))
        above = next((parent for parent in folder.parents if parent.exists()), folder.parent)
    except PermissionError:  # a folder above it is out of this user's reach
        return str(_not_ours(folder))
    if not above.is_dir():
        return f"state directory {folder}: cannot create it: {above} is a file, not a directory"
    if not os.access(above, os.W_OK | os.X_OK):
        return (
            f"state directory {folder}: {_user()} cannot create it in {above}: create it for them "
            f"(systemd's StateDirectory= does), or point [storage] state_dir elsewhere"
        )
    return None


def _a_file(folder: Path) -> StateError:
    return StateError(
        f"state directory {folder} is a file, not a directory: move that file away "
        "(or point [storage] state_dir elsewhere)"
    )


def _not_ours(folder: Path) -> StateError:
    return StateError(
        f"state directory {folder}: permission denied for {_user()}: it must belong to the user the daemon "
        f"runs as, and the folders above it let them through (chown -R branchdoor: {folder}; systemd's "
        "StateDirectory= does it)"
    )


def refusal(path: Path, exc: OSError, what: str) -> StateError:
    """An OSError met on one of the state's files, as one line saying what to do about it."""
    if exc.errno == errno.EISDIR or path.is_dir():
        return StateError(f"{what} {path} is a directory: move it away; the daemon makes the file itself")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return StateError(
            f"{what} {path}: permission denied for {_user()}: it must belong to the user the daemon runs as "
            f"(chown branchdoor: {path})"
        )
    return StateError(f"{what} {path}: {exc.strerror or exc}")


def _user() -> str:
    try:
        return f"user {pwd.getpwuid(os.geteuid()).pw_name}"
    except KeyError:
        return f"uid {os.geteuid()}"


def utc_stamp(at: float | None = None) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if at is None else at))


def set_aside(path: Path, stamp: str) -> Path | None:
    """Rename `path` (if present) to `<name>.aside-<stamp>` beside it, never over another file; the
    new name, or None when there was nothing to move."""
    if not path.exists():
        return None
    target = path.with_name(f"{path.name}{ASIDE_MARK}{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}{ASIDE_MARK}{stamp}-{n}")
    path.rename(target)
    return target


def fsync_dir(folder: Path) -> None:
    """A rename is durable only once its directory is."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def give_to_owner_of(path: Path, folder: Path) -> None:
    """Run as root (`sudo branchdoor state restore`), a file made for the daemon must still be the
    daemon's: it gets the owner of the state directory."""
    if os.geteuid() != 0:
        return
    owner = folder.stat()
    os.chown(path, owner.st_uid, owner.st_gid)


def erase(path: Path) -> None:
    """Overwrite a file with zeros, make that durable, then remove it: a copy of the database that
    held a forgotten customer must not linger in the freed blocks the way a plain unlink leaves it
    (the database itself zeroes deleted rows the same way, PRAGMA secure_delete)."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return
    try:
        left = os.fstat(fd).st_size
        while left > 0:
            left -= os.write(fd, _ZEROS[: min(left, len(_ZEROS))])
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink(missing_ok=True)
