"""Fleet bench: N lightweight kiosks against the reference central service and a central Mosquitto.

Usage: .venv/bin/python bench/fleet.py [--kiosks 1000] [--quick] [--json]

Each kiosk has no camera but its own SQLite store, the real sync cycle (device/central/service.py over
sync/client.py: every request signed with that kiosk's secret, derived from the master secret as
`central_sim --print-device-secret` provisions it) and its own MQTT 5 connection publishing what the
fleet bridge forwards (availability, health, floor, forecast) under `fleet/<region>/<branch>/`. The
reference service (`python -m sync.central_sim`) and Mosquitto run as their own processes, so their
CPU is read from /proc apart from the bench's.

Time runs `--compression` times faster than real (every interval divided by it); the per-kiosk
figures are converted back to real rates. The load steps run at the busiest hour's footfall; the
per-day figures use the day's mean. The smallest step is the baseline of the ratios. Stepping stops
at the first step where a limit breaks (the knee), and says which.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fleet_kiosks import CentralListener, Kiosk, Lag, MqttFleet, record_checkin, run_syncs
from bench.fleet_report import daily_figures, print_report, step_figures
from bench.fleet_traffic import (
    BATCH_SIZE,
    HttpMeter,
    MeteredTransport,
    cpu_seconds,
    forecast_payloads,
    peak_hour_visits,
)
from bench.sync import MASTER_SECRET, free_port, seed_gallery
from device.analytics.data import AnalyticsData
from device.central.service import CentralSync
from device.demo.broker import MosquittoBroker
from device.state.sealing import TemplateCipher
from device.state.store import Store
from sync.central_sim.device_keys import MasterSecret
from sync.client import CentralClient

# Its database (with -wal and -shm), its HTTP connection and its MQTT one.
FDS_PER_KIOSK = 5
DELTA_CHANGES = 20  # assumption: a branch-day of enrolments, updates and withdrawals


@dataclass(frozen=True)
class Central:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path


def start_central(folder: Path, db: Path) -> Central:
    secret_file = folder / "master-secret"
    secret_file.write_bytes(MASTER_SECRET)
    secret_file.chmod(0o600)
    port = free_port()
    log = folder / "central.log"
    repo = Path(__file__).resolve().parents[1]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "sync.central_sim", "--db", str(db), "--port", str(port),
             "--master-secret-file", str(secret_file)],
            cwd=repo, stdout=sink, stderr=sink, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/admin/faults", timeout=1.0)
            return Central(process, base, log)
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError(f"the central service did not answer within 60 s: {log.read_text()[-500:]}")


def logged_device_requests(log: Path) -> int:
    """Requests on the device endpoints as uvicorn's access log recorded them."""
    return sum('"GET /v1/' in line or '"POST /v1/' in line for line in log.read_text().splitlines())


def gallery_pulls(folder: Path, base_url: str, master: MasterSecret, meter: HttpMeter) -> dict[str, Any]:
    """A new kiosk pulling the whole gallery, then the delta of a branch-day. Returns its cursor too."""
    store = Store(folder / "probe.db", TemplateCipher(os.urandom(32)))
    device = "probe-door-1"
    client = CentralClient(
        base_url, device, master.for_device(device), timeout_s=120, transport=MeteredTransport(meter)
    )
    sync = CentralSync(store, client, batch_size=BATCH_SIZE)
    started = time.monotonic()
    full = sync.sync_once()
    full_s = time.monotonic() - started
    held = store.customer_count()
    full_requests = client.requests
    with httpx.Client(base_url=base_url, timeout=30) as admin:
        for i in range(DELTA_CHANGES):
            admin.post("/admin/customers", json=_customer(f"NEW-{i:04d}")).raise_for_status()
    started = time.monotonic()
    delta = sync.sync_once()
    delta_s = time.monotonic() - started
    cursor = store.gallery_cursor()
    pulled_bytes = sum(meter.down.values())
    meter.reset()  # a steady kiosk's gallery requests are deltas: the sizes per kind start here
    # One of each upload, so every request kind's size is measured even when a short run has none.
    record_checkin(store, "probe", np.random.default_rng(0))
    AnalyticsData.of(store).queue_aggregates(forecast_payloads("probe", time.time())[1], time.time())
    sync.sync_once()
    assert cursor is not None and full.upserts == held and delta.upserts == DELTA_CHANGES
    requests = client.requests
    client.close()
    store.close()
    return {
        "full_pull_s": round(full_s, 2), "full_pull_requests": full_requests, "customers_held": held,
        "delta_changes": DELTA_CHANGES, "delta_pull_s": round(delta_s, 3), "cursor": cursor,
        "pull_bytes_down": pulled_bytes,
        "requests": requests,
    }  # fmt: skip


def _customer(ref: str) -> dict[str, Any]:
    return {
        "op": "upsert", "customer_ref": ref, "greeting_name": "New customer", "language": "en",
        "consent": {"notice_version": "n1", "purpose": "branch-check-in", "scope": ["branch-devices"],
                    "channel": "kiosk-enrollment", "granted_at": "2026-01-01T00:00:00Z"},
        "embedding_model": "dlib_face_recognition_resnet_model_v1",
        "templates": [[0.01 * (k % 7) for k in range(128)]] * 3,
    }  # fmt: skip


def wait_quiet(listener: CentralListener, expected: int, patience_s: float = 30.0) -> None:
    """Until the head-office subscriber has what was published, or stops receiving any more."""
    deadline = time.monotonic() + patience_s
    last, still_since = -1, time.monotonic()
    while time.monotonic() < deadline and listener.total() < expected:
        now_total = listener.total()
        if now_total != last:
            last, still_since = now_total, time.monotonic()
        elif time.monotonic() - still_since > 10.0:
            return
        time.sleep(0.2)


def run_step(
    kiosks: list[Kiosk], fleet: MqttFleet, listener: CentralListener, meter: HttpMeter,
    args: argparse.Namespace, central_pid: int, broker_pid: int,
) -> dict[str, Any]:  # fmt: skip
    meter.reset()
    published_before = sum(fleet.counts.published.values())
    wait_quiet(listener, published_before)  # the new kiosks' `online`, which belongs to no step
    received_before = listener.total()
    cpu_central, cpu_broker = cpu_seconds(central_pid), cpu_seconds(broker_pid)
    started = time.monotonic()
    visits_per_s = peak_hour_visits() / 3600
    syncs: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: syncs.update(
            lag=run_syncs(kiosks, args.step_s, args.compression, visits_per_s, args.workers)
        ),
        name="fleet-syncs",
    )
    worker.start()
    if args.no_mqtt:  # the central service alone: the bench's one publishing thread is not in the way
        mqtt_lag = Lag()
        worker.join()
    else:
        mqtt_lag = fleet.run(args.step_s, args.compression)
    worker.join()
    wall_s = time.monotonic() - started
    published = sum(fleet.counts.published.values()) - published_before
    wait_quiet(listener, received_before + published)
    return step_figures(
        kiosks=len(kiosks), wall_s=wall_s, compression=args.compression, meter=meter,
        central_cpu_s=cpu_seconds(central_pid) - cpu_central,
        broker_cpu_s=cpu_seconds(broker_pid) - cpu_broker,
        published=published, received=listener.total() - received_before,
        sync_lag=syncs["lag"].values, mqtt_lag=mqtt_lag.values,
        sync_errors=sum(k.sync_errors for k in kiosks),
    )  # fmt: skip


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kiosks", type=int, default=1000, help="the fleet the per-kiosk table is for")
    parser.add_argument(
        "--steps", default="", help="kiosk counts to step through (default 250,500,1000,2000,4000)"
    )
    parser.add_argument("--compression", type=float, default=5.0, help="time runs this many times faster")
    parser.add_argument(
        "--no-mqtt", action="store_true", help="sync traffic only: to find the central service's own knee"
    )
    parser.add_argument("--step-s", type=float, default=40.0, help="wall seconds per step")
    parser.add_argument("--customers", type=int, default=10_000, help="gallery of the branch")
    parser.add_argument(
        "--workers",
        type=int,
        default=128,
        help="threads running the kiosks' sync cycles (each waits on its request: enough of them that "
        "the service, not the bench, is what waits)",
    )
    parser.add_argument("--quick", action="store_true", help="a few kiosks for seconds: for the test")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.kiosks, args.step_s, args.customers, args.workers, args.compression = 4, 8.0, 300, 4, 20.0
        args.steps = args.steps or "2,4"
    steps = [int(s) for s in (args.steps or "250,500,1000,2000,4000").split(",")]
    args.steps = sorted(set(steps) | {args.kiosks})
    return args


def main() -> int:
    args = parse_args()
    master = MasterSecret(MASTER_SECRET)
    meter = HttpMeter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.monotonic()
        seed_gallery(folder / "central.db", args.customers)
        print(f"seeded {args.customers} customers in {time.monotonic() - started:.0f} s", flush=True)
        central = start_central(folder, folder / "central.db")
        broker = MosquittoBroker().start()
        kiosks: list[Kiosk] = []
        fleet = MqttFleet()
        listener = CentralListener(broker.host, broker.port)
        try:
            pulls = gallery_pulls(folder, central.base_url, master, meter)
            print(f"gallery: {pulls['customers_held']} customers in {pulls['full_pull_s']} s", flush=True)
            probe_requests = pulls.pop("requests")
            per_kind = {"requests": dict(meter.requests), "up": dict(meter.up), "down": dict(meter.down)}
            steps: list[dict[str, Any]] = []
            bench_limit = None
            for count in args.steps:
                if count * FDS_PER_KIOSK + 200 > resource.getrlimit(resource.RLIMIT_NOFILE)[0]:
                    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
                    bench_limit = (
                        f"bench: {count} kiosks need ~{count * FDS_PER_KIOSK} descriptors (limit {limit})"
                    )
                    print(bench_limit, flush=True)
                    break
                new = [Kiosk(i, folder, central.base_url, master, meter, pulls["cursor"])
                       for i in range(len(kiosks), count)]  # fmt: skip
                if not args.no_mqtt:
                    fleet.add(new, broker.host, broker.port)
                kiosks += new
                step = run_step(kiosks, fleet, listener, meter, args, central.process.pid, _pid(broker))
                for key in per_kind:
                    for kind, value in getattr(meter, key).items():
                        per_kind[key][kind] = per_kind[key].get(kind, 0) + value
                steps.append(step)
                print(f"step {count} kiosks: {json.dumps(step)}", flush=True)
                if step["broke"]:
                    break
            fleet.close()
            client_requests = probe_requests + sum(k.client.requests for k in kiosks)
        finally:
            listener.close()
            for kiosk in kiosks:
                kiosk.close()
            broker.stop()
            os.killpg(central.process.pid, signal.SIGTERM)
            central.process.wait(30)
        server_requests = logged_device_requests(central.log)
    report = daily_figures(steps, per_kind, fleet.counts, args.kiosks)
    report |= {
        "machine": f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}",
        "compression": args.compression, "step_s": args.step_s,
        "gallery": pulls | {"cursor": None}, "steps": steps,
        "requests_sent": client_requests, "requests_logged_by_server": server_requests,
        "bench_limit": bench_limit,
    }  # fmt: skip
    del report["gallery"]["cursor"]
    print_report(report)
    if args.json:
        print(json.dumps(report))
    return 0


def _pid(broker: MosquittoBroker) -> int:
    # The harness keeps its Mosquitto process private; the bench only reads its CPU counters.
    process = broker._process
    assert process is not None
    return process.pid


if __name__ == "__main__":
    sys.exit(main())
