"""The demo's bank: the reference central service, where the demo customer is enrolled, and from where
the daemon's gallery arrives by sync, as it would in a branch."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

from device.demo.cast import Person
from device.enrollment.enroll import ENROLL_DETECT_WIDTH, template_from_photo
from device.recognition.faces import FaceEngine
from sync.central_sim import CentralSim
from sync.models import Consent, GalleryUpsert

DEVICE_ID = "demo-branch-door-1"


def start_central(workdir: Path) -> tuple[CentralSim, Path]:
    """A fresh central service on a free loopback port, and the device's secret file (0600)."""
    secret = secrets.token_hex(32).encode()
    secret_file = workdir / "device-secret"
    secret_file.unlink(missing_ok=True)
    secret_file.write_bytes(secret)
    secret_file.chmod(0o600)
    (workdir / "central.db").unlink(missing_ok=True)
    sim = CentralSim(workdir / "central.db", secrets={DEVICE_ID: secret}).start()
    return sim, secret_file


def enroll_centrally(sim: CentralSim, person: Person) -> int:
    """What the bank's enrollment desk does: templates from the photos, consent, preferences."""
    engine = FaceEngine(detect_width=ENROLL_DETECT_WIDTH, upsample=1)
    templates = [template_from_photo(engine, photo).tolist() for photo in person.enroll_photos]
    sim.db.enroll(
        GalleryUpsert(
            op="upsert",
            customer_ref=person.customer_ref,
            greeting_name=person.name,
            language="en",
            interests=["mortgage advice"],
            service_hints=["prefers a seat"],
            consent=Consent(
                notice_version="demo-notice-1",
                purpose="branch-check-in",
                scope=["branch-devices"],
                channel="branch-enrollment-desk",
                granted_at=datetime.now(UTC),
            ),
            embedding_model="dlib_face_recognition_resnet_model_v1",
            templates=templates,
        )
    )
    return len(templates)


def central_config(sim: CentralSim, secret_file: Path) -> str:
    return (
        f'[central]\nurl = "{sim.base_url}"\ndevice_id = "{DEVICE_ID}"\n'
        f'device_secret_file = "{secret_file}"\ninterval_s = 2.0\n\n'
    )
