"""Reading secrets from their own files, never from the config file: the template key, the broker's
password and TLS key, the central service's device secret."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

# Where systemd puts a unit's credentials (LoadCredential=) while the unit runs.
CREDENTIALS_ROOT = Path("/run/credentials")
# systemd's own search path for unit files, when $SYSTEMD_UNIT_PATH does not replace it.
UNIT_DIRS = (
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
)


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


def credential_source(path: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """Where the secret a config names as a systemd credential can be read now.

    `/run/credentials/<unit>/<name>` exists only while systemd runs the unit (ExecStartPre= included).
    Outside it (an engineer's `sudo branchdoor config check` while the unit is stopped) the same
    secret is the file the unit loads it from (`LoadCredential=<name>:<file>`). Any other path, or a
    credential no installed unit loads, is itself.
    """
    if path.parent.parent != CREDENTIALS_ROOT or path.exists():
        return path
    unit, name = path.parent.name, path.name
    listed = environ.get("SYSTEMD_UNIT_PATH")
    # As in systemd: a trailing ":" (an empty entry) adds the default folders after the listed ones.
    folders: list[str] = list(UNIT_DIRS)
    if listed is not None:
        folders = [part for part in listed.split(":") if part] + (folders if listed.endswith(":") else [])
    for folder in folders:
        try:
            text = (Path(folder) / unit).read_text()
        except OSError:
            continue
        for line in text.splitlines():
            setting, _, value = line.strip().partition("=")
            credential, _, source = value.strip().partition(":")
            if setting.strip() == "LoadCredential" and credential == name and source:
                return Path(source)
        return path  # the first unit file found is the unit, as for systemd
    return path
