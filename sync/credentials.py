"""The device's signing secret for the central service, read from its own 0600 file."""

from __future__ import annotations

from pathlib import Path

from common.secret_files import read_secret_file
from sync.signing import MIN_SECRET_BYTES


def read_device_secret(path: Path) -> bytes:
    return read_secret_file(path, "device secret", MIN_SECRET_BYTES)
