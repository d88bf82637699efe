"""`make unit` starts no process: a test that starts one (Mosquitto, a command, the daemon, an encoder
or forecast worker, a browser) says so with a marker that `make unit` leaves out. This guard fails an
unmarked test at the moment it starts one, naming the test and the program.

Python reports process starts to audit hooks, except multiprocessing's spawn start method (Python
3.11 starts those without an audit event): it is made to report itself here.
"""

from __future__ import annotations

import multiprocessing.util
import sys
from collections.abc import Generator, Sequence
from typing import Any

import pytest

# Markers that allow a test to start processes; `make unit` deselects every one of them.
PROCESS_MARKERS = frozenset({"subprocess", "browser", "e2e", "hil"})
SPAWN_EVENT = "multiprocessing.spawnv_passfds"
PROCESS_EVENTS = frozenset(
    {"subprocess.Popen", "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.system", "os.exec"}
    | {SPAWN_EVENT}
)


class UnmarkedProcess(RuntimeError):
    pass


_running: list[pytest.Item] = []  # the test whose setup, call or teardown is under way


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event not in PROCESS_EVENTS or not _running:  # the cheap test first: this sees every event
        return
    item = _running[-1]
    if PROCESS_MARKERS.isdisjoint(marker.name for marker in item.iter_markers()):
        program = args[0] if args else "?"
        raise UnmarkedProcess(
            f"{item.nodeid} starts a process ({event}: {program!r}) but is not marked subprocess "
            f"(or {', '.join(sorted(PROCESS_MARKERS - {'subprocess'}))}), so `make unit` would run it"
        )


def _spawn_reports_itself() -> None:
    original = multiprocessing.util.spawnv_passfds

    def spawnv_passfds(path: bytes, args: Sequence[Any], passfds: Sequence[int]) -> int:
        sys.audit(SPAWN_EVENT, path, args)
        return original(path, args, passfds)

    multiprocessing.util.spawnv_passfds = spawnv_passfds


def pytest_configure(config: pytest.Config) -> None:
    # An audit hook cannot be removed: it is added once per process, and idle outside a test.
    if not getattr(sys, "_branchdoor_process_guard", False):
        _spawn_reports_itself()
        sys.addaudithook(_audit)
        sys._branchdoor_process_guard = True  # type: ignore[attr-defined]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    _running.append(item)
    try:
        yield
    finally:
        _running.pop()
