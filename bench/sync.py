"""Sync benchmark: drain 50,000 queued records and pull a 10,000-customer gallery from scratch.

Usage: .venv/bin/python bench/sync.py [--json]

The reference central service runs as its own process (`python -m sync.central_sim`) on loopback, so
the peak RSS reported is the device side's alone. Every record is counted on the server afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from device.central.service import CentralSync
from device.domain import CheckIn, Profile
from device.state.sealing import TemplateCipher
from device.state.store import Store
from sync.central_sim.db import CentralDb
from sync.central_sim.device_keys import MasterSecret
from sync.client import CentralClient
from sync.models import Consent, GalleryUpsert

MASTER_SECRET = b"bench-secret-0123456789abcdef-0123456789"
RECORDS = 50_000
CUSTOMERS = 10_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed_gallery(db_path: Path, customers: int) -> None:
    rng = random.Random(3)
    db = CentralDb(db_path)
    consent = Consent(
        notice_version="n1",
        purpose="branch-check-in",
        scope=["branch-devices"],
        channel="kiosk-enrollment",
        granted_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    for i in range(customers):
        db.enroll(
            GalleryUpsert(
                op="upsert",
                customer_ref=f"CUST-{i:06d}",
                greeting_name=f"Customer {i}",
                language="en",
                consent=consent,
                embedding_model="dlib_face_recognition_resnet_model_v1",
                templates=[[rng.uniform(-0.2, 0.2) for _ in range(128)] for _ in range(3)],
            )
        )


def queue_records(store: Store, count: int) -> None:
    store.checkins.queue_for_upload(
        [
            CheckIn(
                f"rec-{i:06d}", f"CUST-{i % 977:06d}", "b1", "door-1", 1.8e9 + i, "high", Profile("x", "x")
            )
            for i in range(count)
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    args = parser.parse_args()
    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        secret_file = folder / "master-secret"
        secret_file.write_bytes(MASTER_SECRET)
        secret_file.chmod(0o600)
        central_db = folder / "central.db"
        started = time.monotonic()
        seed_gallery(central_db, args.customers)
        print(f"seeded {args.customers} customers centrally in {time.monotonic() - started:.1f}s", flush=True)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "sync.central_sim", "--db", str(central_db), "--port", str(port),
             "--master-secret-file", str(secret_file)],
            cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/admin/faults", timeout=0.5)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        try:
            store = Store(folder / "device.db", TemplateCipher(os.urandom(32)))
            secret = MasterSecret(MASTER_SECRET).for_device("bench-door")
            client = CentralClient(base, "bench-door", secret, timeout_s=60)
            sync = CentralSync(store, client, batch_size=500)

            started = time.monotonic()
            report = sync.sync_once()
            pull_s = time.monotonic() - started
            pull_requests = client.requests
            held = store.customer_count()

            queue_records(store, args.records)
            client.requests = 0
            started = time.monotonic()
            drained = sync.sync_once()
            drain_s = time.monotonic() - started
            drain_requests = client.requests
        finally:
            server.terminate()
            server.wait(10)
        received = CentralDb(central_db).records("checkins")
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lost = args.records - len(received)
    duplicated = sum(1 for receipts in received.values() if receipts > 1)
    pull_label = f"pull {args.customers}-customer gallery (3 templates)"
    drain_label = f"drain {args.records} queued check-ins"
    print(f"{'step':44} {'seconds':>8} {'requests':>9} {'result':>22}")
    print(f"{pull_label:44} {pull_s:>8.1f} {pull_requests:>9} {f'{held} customers held':>22}")
    print(f"{drain_label:44} {drain_s:>8.1f} {drain_requests:>9} {f'{len(received)} received':>22}")
    print(
        f"lost {lost}, duplicated {duplicated}, device peak RSS {peak_rss_mb:.0f} MB "
        f"(targets: drain <= 60 s, pull <= 30 s, RSS <= 300 MB, lost = duplicated = 0)"
    )
    assert report.upserts == args.customers and drained.drained is not None
    if args.json:
        print(json.dumps({
            "drain_s": round(drain_s, 2), "gallery_pull_s": round(pull_s, 2), "lost": lost,
            "duplicated": duplicated, "peak_rss_mb": round(peak_rss_mb, 1),
            "drain_requests": drain_requests, "pull_requests": pull_requests,
        }))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
