"""Privacy as behaviour, proven on the whole daemon run as a subprocess: no image, crop or encoding
leaves the encrypted gallery (not to disk, logs, MQTT or uploads), and a customer without a face
template checks in with a QR code or card and gets the same teller cue."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest

from device.checkin.scanner import WITHDRAW_CODE
from device.demo.broker import MosquittoBroker
from device.privacy.keys import read_key
from device.recognition.faces import Template
from device.state.store import Store
from drivers.emulators.scanner import ScannerEmulator
from sync.central_sim import CentralSim
from tests.e2e.daemon import Daemon
from tests.e2e.test_central import central, kiosk  # noqa: F401 - the fixture
from tests.e2e.test_daemon import door_scene
from tests.keys import key_file, privacy_section
from tests.mqtt_helpers import Subscriber
from tests.sync.helpers import customer
from tests.waiting import PATIENCE_S, eventually

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
# Byte signatures of every image format OpenCV or Pillow would write, and their base64 openings.
IMAGE_SIGNATURES = {
    "png": b"\x89PNG\r\n\x1a\n",
    "jpeg (JFIF)": b"JFIF\x00",
    "jpeg (Exif)": b"Exif\x00\x00",
    "gif": b"GIF89a",
    "gif87": b"GIF87a",
    "tiff": b"II*\x00\x08\x00",
    "webp": b"WEBPVP8",
    "bmp dib header": b"BM6\x10\x0e\x00",  # a 640x480 24-bit BMP's header
    "base64 jpeg": b"/9j/4AAQ",
    "base64 png": b"iVBORw0KGgo",
}
# A JSON (or Python) list of 16 or more numbers: the shape of a template or a pixel row.
NUMBER_ARRAY = re.compile(rb"\[\s*-?\d+(\.\d+)?(e-?\d+)?(\s*,\s*-?\d+(\.\d+)?(e-?\d+)?){15,}\s*\]")
RAW_GREY_FRAME_BYTES = 640 * 480


def encoding_runs(vector: np.ndarray, floats: int = 4) -> list[bytes]:
    """Every run of 4 consecutive numbers of an encoding as float32 and float64 bytes."""
    runs: list[bytes] = []
    for dtype in (np.float32, np.float64):
        raw = np.asarray(vector, dtype=dtype).tobytes()
        size = np.dtype(dtype).itemsize
        runs += [raw[i : i + floats * size] for i in range(0, len(raw) - floats * size + 1, size)]
    return runs


def leaks(blob: bytes, encodings: list[np.ndarray]) -> list[str]:
    found = [name for name, signature in IMAGE_SIGNATURES.items() if signature in blob]
    if NUMBER_ARRAY.search(blob):
        found.append("an array of 16+ numbers")
    runs = [run for vector in encodings for run in encoding_runs(vector)]
    if any(run in blob for run in runs):
        found.append("the bytes of a known encoding")
    return found


def written_since(started: float, roots: list[Path], skip: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        for path in root.rglob("*"):
            if any(part in skip for part in path.parts) or not path.is_file():
                continue
            if path.stat().st_mtime >= started:
                files.append(path)
    return files


def test_the_leak_detectors_see_what_they_look_for(grace_photo: Path, grace_template: Template) -> None:
    """The scan below is only as good as these: each kind of leak is caught, a clean blob is not."""
    vector = np.asarray(grace_template)
    assert leaks(grace_photo.read_bytes(), []) == ["jpeg (JFIF)"]
    ok, png = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))
    assert ok and leaks(png.tobytes(), []) == ["png"]
    assert leaks(json.dumps({"t": vector.tolist()}).encode(), []) == ["an array of 16+ numbers"]
    assert leaks(b"x" + vector[10:20].astype(np.float64).tobytes(), [vector]) == [
        "the bytes of a known encoding"
    ]
    assert leaks(json.dumps({"cue": "Grace", "at": [1, 2, 3]}).encode(), [vector]) == []


def test_a_full_run_writes_no_image_crop_or_encoding_anywhere_but_the_sealed_gallery(
    tmp_path: Path,
    broker: MosquittoBroker,
    central: CentralSim,  # noqa: F811 - the fixture
    grace_photo: Path,
    astronaut_head: Path,
    grace_template: Template,
    astronaut_template: Template,
) -> None:
    grace = customer("CUST-GRACE", "Grace").model_copy(update={"templates": [grace_template.tolist()]})
    central.db.enroll(grace)
    scene = door_scene(tmp_path / "scene.toml", grace_photo, astronaut_head)
    config = kiosk(tmp_path, broker, central, scene)
    started = time.time() - 1
    everything = Subscriber(broker.port, "#")
    temp = tmp_path / "tmp"
    temp.mkdir()
    daemon = Daemon(config, {"TMPDIR": str(temp), "PYTHONDONTWRITEBYTECODE": "1"})
    try:
        assert everything.wait_for(lambda: len(everything.on("/cues")) >= 1, 40), daemon.log_text()
        assert daemon.wait_logged("unidentified visit counted", 30), daemon.log_text()  # the stranger
        assert eventually(
            lambda: len(central.db.records("audit")) >= 2 and bool(central.db.records("checkins")), 15
        )
        code, _ = daemon.terminate()
    finally:
        daemon.kill()
        everything.close()
    assert code == 0

    known = [np.asarray(grace_template), np.asarray(astronaut_template)]
    logs = "\n".join(json.dumps(line) for line in daemon.lines).encode()
    assert leaks(logs, known) == []
    assert b"CUST-GRACE" not in logs and b"Grace" not in logs  # journald cannot forget a customer
    assert len(everything.messages) > 3
    for message in everything.messages:
        assert leaks(message.payload, known) == [], message.topic
    with sqlite3.connect(central.db.path) as uploads:
        bodies = [(kind, body.encode()) for kind, body in uploads.execute("SELECT kind, body FROM records")]
    assert {kind for kind, _ in bodies} >= {"checkins", "audit"}
    for kind, body in bodies:
        assert leaks(body, known) == [], kind
    events = {json.loads(body)["event"] for kind, body in bodies if kind == "audit"}
    assert {"identification", "cue_shown"} <= events

    # On disk: everything the run wrote, here, in its temp dir, and in the working directory.
    written = written_since(
        started,
        [tmp_path, REPO],
        (".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"),
    )
    written = [p for p in written if not p.name.startswith("central.db")]  # the central service's own
    assert any(p.name.startswith("branchdoor.db") for p in written)
    for path in written:
        data = path.read_bytes()
        assert leaks(data, known) == [], path
        assert len(data) < RAW_GREY_FRAME_BYTES, f"{path}: as large as a raw frame"
    store = Store(tmp_path / "state" / "branchdoor.db", read_key(key_file(tmp_path)))
    with sqlite3.connect(store.path) as raw:
        blobs = [bytes(r[0]) for r in raw.execute("SELECT vector FROM encodings")]
    assert blobs and all(blob.startswith(b"BDT1") for blob in blobs)
    np.testing.assert_allclose(store.gallery_rows()[1][0], grace_template, atol=1e-6)  # sealed, not lost


def test_a_customer_without_a_face_checks_in_with_a_qr_code_and_the_teller_gets_the_cue(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    branch = f"qr-{int(time.time() * 1000) % 10**8}"
    empty = tmp_path / "empty.toml"
    empty.write_text("fps = 5\nduration_s = 5.0\n")
    with ScannerEmulator() as scanner:
        config = tmp_path / "branchdoor.toml"
        config.write_text(
            f'[branch]\nid = "{branch}"\n[camera]\ntype = "scene"\nscript = "{empty}"\nloop = true\n'
            f'[mqtt]\nport = {broker.port}\n[storage]\nstate_dir = "{tmp_path / "state"}"\n'
            + privacy_section(tmp_path)
            + f'[scanner]\nport = "{scanner.path}"\n[observability]\nport = 0\n'
        )
        issued = subprocess.run(
            [sys.executable, "-m", "device", "token", "issue", "--config", str(config),
             "--customer", "CUST-LIN", "--name", "Lin", "--consent-version", "notice-2026-03",
             "--language", "zh", "--hint", "prefers Mandarin"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert issued.returncode == 0, issued.stderr
        token = issued.stdout.split()[-1]
        screen = Subscriber(broker.port, f"branchdoor/{branch}/cues")
        daemon = Daemon(config)
        try:
            assert daemon.wait_logged("ready:", 30), daemon.log_text()

            # Until the daemon has the port open, what the scanner sends is lost, as on a real line.
            def probe() -> bool:
                scanner.scan("NOT-A-TOKEN")
                return daemon.logged("code refused") > 0

            assert eventually(probe), daemon.log_text()
            scanner.scan(token[:-2] + "AA")  # well formed, never issued
            scanner.scan(token)
            assert screen.wait_for(lambda: len(screen.messages) == 1), daemon.log_text()
            scanner.scan(token)  # the same visit: no second cue
            assert daemon.wait_logged("check-in token refused", PATIENCE_S), daemon.log_text()
            scanner.scan(WITHDRAW_CODE)
            scanner.scan(token)
            assert daemon.wait_logged("scan the code again to confirm", PATIENCE_S), daemon.log_text()
            scanner.scan(WITHDRAW_CODE)
            assert daemon.wait_logged("withdrew consent at the kiosk", PATIENCE_S), daemon.log_text()
            scanner.scan(token)  # the card no longer works
            assert daemon.wait_logged("check-in token refused", PATIENCE_S, count=2), daemon.log_text()
            port = re.search(r"http://127\.0\.0\.1:(\d+)/healthz", daemon.log_text())
            assert port is not None, daemon.log_text()
            metrics = httpx.get(f"http://127.0.0.1:{port.group(1)}/metrics", timeout=5).text
            code, _ = daemon.terminate()
        finally:
            daemon.kill()
            screen.close()
    assert code == 0
    [cue] = [json.loads(m.payload) for m in screen.messages]
    assert cue["schema"] == "branchdoor/cue/2" and cue["customer_ref"] == "CUST-LIN"
    assert cue["checkin_channel"] == "token" and "confidence" not in cue  # no camera was involved
    assert cue["greeting_name"] == "Lin" and cue["service_hints"] == ["prefers Mandarin"]
    assert token not in daemon.log_text()  # a bearer credential is never logged
    counted = dict(re.findall(r'branchdoor_scanner_codes_total\{outcome="(\w+)"\} (\d+)', metrics))
    assert counted["checked_in"] == "1" and counted["same_visit"] == "1" and counted["withdrawn"] == "1"
    assert counted["unknown"] == "2" and int(counted["malformed"]) >= 1
    store = Store(tmp_path / "state" / "branchdoor.db")
    assert store.profile("CUST-LIN") is None
    upstream = sorted(r["event"] for r in store.outbox.records() if r.get("customer_ref") == "CUST-LIN")
    assert upstream == ["consent_withdrawn", "customer_forgotten"]
