"""A kiosk's state on real files for the damage tests: a store holding customers and queued uploads, the
ways a file gets damaged, and the `branchdoor` command line as a real subprocess."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from device.checkin.desk import CheckinDesk
from device.domain import Consent, Identification, Profile
from device.privacy.keys import read_key
from device.state.files import StateError
from device.state.store import Store
from tests.conftest import REPO, random_templates
from tests.keys import key_file

PAGE = 4096
NAME = "Grace Restorable"


def kiosk_config(folder: Path, state_dir: Path | None = None) -> Path:
    """A config whose daemon would need nothing beyond its state to start (and fail fast otherwise)."""
    config = folder / "kiosk.toml"
    config.write_text(
        f'[branch]\nid = "b1"\n[storage]\nstate_dir = "{state_dir or folder / "state"}"\n'
        f'[privacy]\ntemplate_key_file = "{key_file(folder)}"\n[observability]\nenabled = false\n'
    )
    return config


def fill(database: Path, key_folder: Path, customers: int = 20) -> dict[str, int]:
    """Customers with three templates each, one check-in each (so queued uploads): their counts."""
    store = Store(database, read_key(key_file(key_folder)))
    try:
        desk = CheckinDesk(store, "b1", "door-1", 600)
        for i in range(customers):
            name = NAME if i == 0 else f"Customer {i}"
            store.enroll(Profile(f"C{i}", name, "en"), Consent("v1"), random_templates(3, seed=i))
            desk.admit(Identification(f"C{i}", 0.3, 0.9, 1), time.time())
        return {"customers": store.customer_count(), "outbox": sum(store.outbox.depth().values())}
    finally:
        store.close()


def held(database: Path, key_folder: Path) -> dict[str, int]:
    store = Store(database, read_key(key_file(key_folder)))
    try:
        return {
            "customers": store.customer_count(),
            "outbox": sum(store.outbox.depth().values()),
            "queued check-ins": store.outbox.depth().get("checkin", 0),
            "templates": len(store.gallery_rows()[0]),
        }
    finally:
        store.close()


def garble_header(database: Path) -> None:
    with database.open("r+b") as raw:
        raw.write(b"this is no SQLite header, honestly")


def garble_middle_page(database: Path) -> int:
    """Junk over one page in the middle of the file (not the header): the page number."""
    checkpoint(database)
    pages = database.stat().st_size // PAGE
    assert pages > 8, "too small a database to damage in the middle"
    page = pages // 2
    with database.open("r+b") as raw:
        raw.seek(page * PAGE)
        raw.write(bytes((i * 37 + 11) % 251 for i in range(PAGE)))
    return page


def checkpoint(database: Path) -> None:
    """Everything in the main file, nothing left in a -wal, as after a clean stop."""
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def branchdoor(*args: str, timeout_s: float = 120.0) -> subprocess.CompletedProcess[str]:
    """`branchdoor ARGS` as a subprocess in a process group of its own, ended with it on a timeout."""
    process = subprocess.Popen(
        [sys.executable, "-m", "device", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def as_another_user(action: Callable[[], object]) -> str:
    """The StateError `action` meets in a forked process that owns nothing here (run as root: the
    nobody user, for a real permission error), or "" when it meets none; any other exception is named."""
    context = multiprocessing.get_context("fork")
    said = context.Queue()

    def child() -> None:
        if os.geteuid() == 0:
            os.setgid(65534)
            os.setuid(65534)
        try:
            action()
            said.put("")
        except StateError as exc:
            said.put(str(exc))
        except Exception as exc:  # anything else is the failure to show: a traceback where a line was due
            said.put(f"not a StateError: {type(exc).__name__}: {exc}")

    process = context.Process(target=child)
    process.start()
    process.join(60)
    return str(said.get(timeout=10))
