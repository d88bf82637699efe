"""Backup benchmark: a 10,000-customer store with 3 sealed templates each, copied for `state restore`.

Usage: .venv/bin/python bench/backup.py [--customers N] [--json]

Prints the store's size, the check every opening of the store makes (`PRAGMA quick_check`), a scheduled
copy (snapshot, check of the copy, fsync, rename), the copy that follows a deletion (a fresh copy, then
the older ones overwritten with zeros and removed), and what a thread using the store the way the
recognition thread does (a check-in written, the gallery version read) waited while the copy ran,
against the same loop with no copy running (the baseline, measured in the same run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from device.checkin.desk import CheckinDesk
from device.domain import Consent, Identification, Profile
from device.state.check import quick_check
from device.state.sealing import TemplateCipher
from device.state.store import Store

CIPHER = TemplateCipher(bytes(range(32)))


def seed(store: Store, customers: int) -> None:
    rng = np.random.default_rng(7)
    page: list[tuple[Profile, Consent, np.ndarray]] = []
    for i in range(customers):
        profile = Profile(f"CUST-{i:06d}", f"Customer {i}", "en", ("savings",), ("prefers a seat",))
        page.append((profile, Consent("notice-2026-03"), rng.normal(0, 0.09, (3, 128)).astype(np.float32)))
        if len(page) == 500:
            store.apply_gallery_delta(page, [], None)
            page = []
    if page:
        store.apply_gallery_delta(page, [], None)


def waits_during(store: Store, action: Callable[[], object]) -> tuple[float, list[float]]:
    """Seconds `action` took, and each wait of a recognition-like loop running meanwhile."""
    desk = CheckinDesk(store, "b1", "door-1", dedup_window_s=0)
    waits: list[float] = []
    stop = threading.Event()

    def recognition() -> None:
        n = 0
        while not stop.is_set():
            began = time.perf_counter()
            desk.admit(Identification(f"CUST-{n % 1000:06d}", 0.3, 0.9, 1), time.time() + n)
            store.gallery_version()
            waits.append(time.perf_counter() - began)
            n += 1
            time.sleep(0.005)

    thread = threading.Thread(target=recognition)
    thread.start()
    time.sleep(0.2)
    began = time.perf_counter()
    action()
    took = time.perf_counter() - began
    stop.set()
    thread.join()
    return took, waits


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        store = Store(Path(scratch) / "branchdoor.db", CIPHER)
        seed(store, args.customers)
        size_mb = store.path.stat().st_size / 2**20
        began = time.perf_counter()
        assert quick_check(store.path) == ["ok"]
        check_s = time.perf_counter() - began
        store.backups.make(keep=3)  # warm: the first copy also creates the folder
        store.backups.make(keep=3)
        _, idle = waits_during(store, lambda: time.sleep(1.0))
        copy_s, during_copy = waits_during(store, lambda: store.backups.make(keep=3))
        copy_mb = store.backups.copies()[0].stat().st_size / 2**20
        after_s, during_after = waits_during(store, store.backups.after_change)
        store.close()
    rows = [
        ("store size", f"{size_mb:.1f} MB", f"{args.customers} customers x 3 templates"),
        ("quick_check at open", f"{check_s:.3f} s", ""),
        ("scheduled copy", f"{copy_s:.3f} s", f"{copy_mb:.1f} MB, verified, fsynced"),
        ("copy after a deletion", f"{after_s:.3f} s", "fresh copy + 2 old ones zeroed and removed"),
    ]
    print(f"{'step':28} {'result':>10}  note")
    for name, value, note in rows:
        print(f"{name:28} {value:>10}  {note}")
    print(f"\n{'recognition-like loop waits':28} {'p50 ms':>8} {'max ms':>8} {'samples':>8}")
    for name, waits in (
        ("no copy (baseline)", idle),
        ("during a copy", during_copy),
        ("during after-deletion", during_after),
    ):
        print(f"{name:28} {statistics.median(waits) * 1e3:>8.2f} {max(waits) * 1e3:>8.2f} {len(waits):>8}")
    if args.json:
        print(
            json.dumps(
                {
                    "customers": args.customers,
                    "store_mb": round(size_mb, 2),
                    "copy_mb": round(copy_mb, 2),
                    "quick_check_s": round(check_s, 4),
                    "copy_s": round(copy_s, 4),
                    "after_deletion_s": round(after_s, 4),
                    "max_wait_ms": {
                        "baseline": round(max(idle) * 1e3, 2),
                        "copy": round(max(during_copy) * 1e3, 2),
                        "after_deletion": round(max(during_after) * 1e3, 2),
                    },
                }
            )
        )


if __name__ == "__main__":
    main()
