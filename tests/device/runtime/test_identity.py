"""The fleet identity every health message carries: the software version, a digest of the effective
configuration (stable across a file's layout, changed by any setting) and the face model versions."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import cv2
import dlib

from device.config_file import parse_config
from device.mqtt.contract.models import Health
from device.runtime.identity import config_hash, fleet_identity

KIOSK = """
# The main door of branch 0427.
[branch]
id = "0427"
device_id = "door-1"

[mqtt]
host = "127.0.0.1"
keepalive_s = 30

[checkin]
dedup_window_s = 3600

[central]
url = "https://central.bank.example/api"
device_secret_file = "/etc/branchdoor/device-secret"
"""

# The same settings: tables and keys in another order, other comments, a default written out.
KIOSK_REARRANGED = """
[central]
device_secret_file = "/etc/branchdoor/device-secret"
url = "https://central.bank.example/api"

[checkin]
dedup_window_s = 3600
[mqtt]
keepalive_s = 30
host = "127.0.0.1"
port = 1883
[branch]
device_id = "door-1"  # its only door
id = "0427"
"""


def hash_of(text: str) -> str:
    return config_hash(parse_config(text, Path("kiosk.toml")))


def test_the_same_settings_in_another_order_have_the_same_hash() -> None:
    assert hash_of(KIOSK) == hash_of(KIOSK_REARRANGED)
    assert hash_of(KIOSK).startswith("sha256:") and len(hash_of(KIOSK)) == len("sha256:") + 64


def test_any_changed_setting_changes_the_hash() -> None:
    changed = [
        KIOSK.replace('device_id = "door-1"', 'device_id = "door-2"'),
        KIOSK.replace("keepalive_s = 30", "keepalive_s = 31"),
        KIOSK.replace("dedup_window_s = 3600", "dedup_window_s = 3599"),
        KIOSK + "[recognition]\ntolerance = 0.42\n",
    ]
    hashes = {hash_of(text) for text in changed}
    assert len(hashes) == len(changed) and hash_of(KIOSK) not in hashes


def test_a_secret_files_contents_are_not_part_of_the_hash(tmp_path: Path) -> None:
    """Only the file's path is configuration: rotating the secret in place is no configuration change
    (and the digest could never be used to test a guess of the secret)."""
    secret = tmp_path / "device-secret"
    text = KIOSK.replace("/etc/branchdoor/device-secret", str(secret))
    secret.write_text("first secret")
    before = hash_of(text)
    secret.write_text("second secret")
    assert hash_of(text) == before


def test_the_identity_names_this_software_and_these_models() -> None:
    identity = fleet_identity(parse_config(KIOSK, Path("kiosk.toml")))
    assert identity.software_version == importlib.metadata.version("branchdoor")
    assert identity.config_hash == hash_of(KIOSK)
    assert identity.models["dlib"] == dlib.__version__
    assert identity.models["opencv"] == cv2.__version__
    assert identity.models["face_recognition_models"] == importlib.metadata.version("face_recognition_models")
    assert identity.models["encoder"].startswith("dlib_face_recognition_resnet_model_v1 (")


def test_a_health_verdict_with_the_identity_is_in_the_contract() -> None:
    identity = fleet_identity(parse_config(KIOSK, Path("kiosk.toml")))
    verdict = {"status": "ok", "problems": [], "uptime_s": 1.0, "frames": 1, "dropped_frames": 0,
               "gallery_customers": 0, "outbox": {}}  # fmt: skip
    Health.model_validate(verdict | identity.as_health())
