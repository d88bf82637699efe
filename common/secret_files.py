"""Reading secrets from their own files, never from the config file: the template key, the broker's
password and TLS key, the central service's device secret."""

from __future__ import annotations

import stat
from pathlib import Path


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
