"""Enrollment keeps templates, never photos, and refuses photos it cannot trust."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from device.enrollment import EnrollmentError, enroll, template_from_photo
from device.events import Consent, Profile
from device.faces import FaceEngine
from device.store import Store


def test_a_portrait_yields_one_template(engine: FaceEngine, grace_photo: Path) -> None:
    template = template_from_photo(engine, grace_photo)
    assert template.shape == (128,) and template.dtype == np.float32


def test_a_photo_with_two_faces_is_refused(engine: FaceEngine, astronaut_photo: Path) -> None:
    with pytest.raises(EnrollmentError, match="2 faces found"):
        template_from_photo(engine, astronaut_photo)


def test_a_photo_without_a_face_is_refused(engine: FaceEngine, tmp_path: Path) -> None:
    blank = tmp_path / "wall.png"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 128, np.uint8))
    with pytest.raises(EnrollmentError, match="no face found"):
        template_from_photo(engine, blank)


def test_an_unreadable_file_is_refused(engine: FaceEngine, tmp_path: Path) -> None:
    bogus = tmp_path / "photo.jpg"
    bogus.write_text("not an image")
    with pytest.raises(EnrollmentError, match="cannot read"):
        template_from_photo(engine, bogus)


def test_one_bad_photo_stores_nothing(
    engine: FaceEngine, grace_photo: Path, astronaut_photo: Path, tmp_path: Path
) -> None:
    store = Store(tmp_path / "s.db")
    with pytest.raises(EnrollmentError):
        enroll(store, Profile("C1", "Grace"), Consent("v1"), [grace_photo, astronaut_photo], engine)
    assert store.customer_count() == 0


def test_cli_enroll_and_forget(grace_photo: Path, astronaut_photo: Path, tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text(f'[branch]\nid = "b1"\n[storage]\nstate_dir = "{tmp_path / "state"}"\n')

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command, *rest = args
        return subprocess.run(
            [sys.executable, "-m", "device", command, "--config", str(config), *rest],
            capture_output=True,
            text=True,
            timeout=120,
        )

    refused = cli(
        "enroll", "--customer", "C9", "--name", "Eileen", "--consent-version", "v1", str(astronaut_photo)
    )
    assert refused.returncode == 1 and "2 faces found" in refused.stderr

    done = cli("enroll", "--customer", "C1", "--name", "Grace", "--consent-version", "v1", str(grace_photo))
    assert done.returncode == 0, done.stderr
    assert "1 template(s) held; the photos were not stored" in done.stdout
    db = tmp_path / "state" / "branchdoor.db"
    assert grace_photo.read_bytes()[:4096] not in db.read_bytes()

    forgot = cli("forget", "C1")
    assert forgot.returncode == 0 and "forgot C1" in forgot.stdout
    assert Store(db).customer_count() == 0
