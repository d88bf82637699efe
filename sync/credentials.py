"""Reading secrets from their own files (never from the config file): the device's signing secret here,
and, through `read_secret_file`, any other key the device holds (the template key, device/keys.py)."""

from __future__ import annotations

import stat
from pathlib import Path

from sync.signing import MIN_SECRET_BYTES


class CredentialError(ValueError):
    pass


def read_secret_file(path: Path, what: str, min_bytes: int) -> bytes:
    """The secret in `path` (surrounding whitespace dropped), refusing a file others could read.

    A systemd credential (`$CREDENTIALS_DIRECTORY/...`) or a 0600/0400 file both pass.
    """
    try:
        mode = path.stat().st_mode
        text = path.read_bytes().strip()
    except OSError as error:
        raise CredentialError(f"{path}: cannot read the {what} ({error.strerror})") from error
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialError(f"{path}: readable by group or others (mode {stat.S_IMODE(mode):o}); chmod 600")
    if len(text) < min_bytes:
        raise CredentialError(f"{path}: a {what} needs at least {min_bytes} bytes")
    return text


def read_device_secret(path: Path) -> bytes:
    return read_secret_file(path, "device secret", MIN_SECRET_BYTES)
