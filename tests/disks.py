"""A real small disk for the tests that need one full: a tmpfs the test mounts (the tests run as root),
fills, grows, and unmounts before it ends. Where mounting is not permitted, the test is skipped and
says why."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Tmpfs:
    path: Path

    def fill(self) -> None:
        """Write until the disk refuses: ENOSPC for the next write of any size."""
        descriptor = os.open(self.path / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for size in (1 << 20, 4096, 1):
                with contextlib.suppress(OSError):
                    while True:
                        os.write(descriptor, b"\0" * size)
        finally:
            os.close(descriptor)
        assert shutil.disk_usage(self.path).free == 0

    def grow(self, size: str) -> None:
        """The disk gets room again without anything on it moving, as a cleaned-up disk would."""
        remount = ["mount", "-o", f"remount,size={size}", str(self.path)]
        subprocess.run(remount, check=True, capture_output=True)


@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[Tmpfs]:
    path.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        pytest.skip("a full disk needs a real tmpfs, and there is no `mount` command here")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        why = mounted.stderr.strip()
        pytest.skip(f"a full disk needs a real tmpfs, and mounting one is not permitted here: {why}")
    try:
        yield Tmpfs(path)
    finally:
        # Lazily if a file is still open: no mount outlives the test.
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "--lazy", str(path)], check=True, capture_output=True)
