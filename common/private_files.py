"""Files that hold customers or what they did: owner only, whatever the umask of whoever makes them
(systemd's UMask=0077 for the daemon, but a root shell's 022 for `sudo branchdoor heatmap`)."""

from __future__ import annotations

from pathlib import Path

OWNER_ONLY_DIR = 0o700
OWNER_ONLY_FILE = 0o600


def make_private_dir(folder: Path) -> None:
    """Create the folder (and its parents) if needed; one this call creates is 0700. OSError as mkdir."""
    existed = folder.is_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if not existed:
        folder.chmod(OWNER_ONLY_DIR)  # mkdir's mode is filtered through the umask; this is not


def keep_private(database: Path) -> None:
    """An SQLite database and its -wal and -shm: owner only (SQLite makes them 0644 less the umask and
    gives -wal and -shm files it makes later the database's own mode)."""
    for path in (database, *(database.with_name(database.name + end) for end in ("-wal", "-shm"))):
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(OWNER_ONLY_FILE)
        except FileNotFoundError:
            continue
        except PermissionError:  # another user's file (root's, under sudo): its folder is 0700 still
            continue
