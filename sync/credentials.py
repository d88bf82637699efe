"""Reading the per-device secret from its credential file (never from the config file)."""

from __future__ import annotations

import stat
from pathlib import Path

from sync.signing import MIN_SECRET_BYTES


class CredentialError(ValueError):
    pass


def read_device_secret(path: Path) -> bytes:
    """The secret in `path` (surrounding whitespace dropped), refusing a file others could read.

    A systemd credential (`$CREDENTIALS_DIRECTORY/...`) or a 0600/0400 file both pass.
    """
    try:
        mode = path.stat().st_mode
        text = path.read_bytes().strip()
    except OSError as error:
        raise CredentialError(f"{path}: cannot read the device secret ({error.strerror})") from error
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialError(f"{path}: readable by group or others (mode {stat.S_IMODE(mode):o}); chmod 600")
    if len(text) < MIN_SECRET_BYTES:
        raise CredentialError(f"{path}: a device secret needs at least {MIN_SECRET_BYTES} bytes")
    return text
