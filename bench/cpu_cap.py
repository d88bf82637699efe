"""A CPU quota for one process tree, as a cgroup: the bench's stand-in for a smaller machine.

A quota caps CPU *time* (e.g. 25 % of one core), not speed: a Raspberry Pi's core is also slower per
instruction, has less cache and memory bandwidth, and its OpenBLAS kernels differ. So a run under a
quota shows whether the daemon keeps up with real time on a quarter of this machine's core, which is
about what a Pi 4 core is worth for this workload (README, "A Raspberry Pi's budget").

cgroup v2 (`cpu.max`) is used where the unified hierarchy has the cpu controller, else cgroup v1
(`cpu.cfs_quota_us`). Creating one needs root; when it cannot be made, `CpuCap.create` raises
`CapUnavailable` with the reason, and the bench says so instead of running uncapped.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from pathlib import Path

PERIOD_US = 100_000
CGROUP_ROOT = Path("/sys/fs/cgroup")


class CapUnavailable(RuntimeError):
    """No CPU quota can be set up here (not root, no cpu controller, a read-only cgroup tree)."""


class CpuCap:
    def __init__(self, path: Path, version: int, percent: float) -> None:
        self.path, self.version, self.percent = path, version, percent

    @classmethod
    def create(cls, percent: float, root: Path = CGROUP_ROOT) -> CpuCap:
        if not 1 <= percent <= 100 * (os.cpu_count() or 1):
            raise CapUnavailable(f"a quota of {percent} % of one core is not a quota")
        quota_us = round(PERIOD_US * percent / 100)
        name = f"branchdoor-bench-{uuid.uuid4().hex[:8]}"
        unified = root / "unified" if (root / "unified" / "cgroup.controllers").exists() else root
        reasons: list[str] = []
        if "cpu" in _words(unified / "cgroup.controllers"):
            try:
                if "cpu" not in _words(unified / "cgroup.subtree_control"):
                    (unified / "cgroup.subtree_control").write_text("+cpu")
                path = unified / name
                path.mkdir()
                (path / "cpu.max").write_text(f"{quota_us} {PERIOD_US}")
                return cls(path, 2, percent)
            except OSError as exc:
                reasons.append(f"cgroup v2 at {unified}: {exc.strerror or exc}")
                _remove(unified / name)
        v1 = root / "cpu"
        if (v1 / "cpu.cfs_quota_us").exists():
            try:
                path = v1 / name
                path.mkdir()
                (path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                (path / "cpu.cfs_quota_us").write_text(str(quota_us))
                return cls(path, 1, percent)
            except OSError as exc:
                reasons.append(f"cgroup v1 at {v1}: {exc.strerror or exc}")
                _remove(v1 / name)
        else:
            reasons.append(f"no cgroup v1 cpu controller at {v1}")
        raise CapUnavailable("; ".join(reasons) or "no cgroup cpu controller found")

    def add(self, pid: int) -> None:
        """Move `pid` into the quota; the processes it starts afterwards are born inside it."""
        (self.path / "cgroup.procs").write_text(str(pid))

    def throttled_s(self) -> float:
        """How long the quota held the group back, in total."""
        stat = dict(line.split() for line in (self.path / "cpu.stat").read_text().splitlines())
        if self.version == 2:
            return int(stat.get("throttled_usec", "0")) / 1e6
        return int(stat.get("throttled_time", "0")) / 1e9

    def remove(self) -> None:
        _remove(self.path)

    def describe(self) -> str:
        kind = "cpu.max" if self.version == 2 else "cpu.cfs_quota_us"
        return f"{self.percent:g} % of one core ({kind} in {self.path})"


def _words(path: Path) -> set[str]:
    try:
        return set(path.read_text().split())
    except OSError:
        return set()


def _remove(path: Path) -> None:
    """A cgroup can be removed once its processes are gone; they may take a moment to be reaped."""
    deadline = time.monotonic() + 10.0
    while path.exists():
        with contextlib.suppress(OSError):
            path.rmdir()
            return
        if time.monotonic() > deadline:
            return
        time.sleep(0.1)
