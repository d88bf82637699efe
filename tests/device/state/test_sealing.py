"""Face templates at rest: sealed with AES-GCM, bound to their customer, unreadable under another key."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from device.domain import Consent, Profile
from device.state.sealing import TemplateCipher, TemplateKeyError
from device.state.store import Store
from tests.conftest import random_templates
from tests.keys import CIPHER

TEMPLATE_BYTES = 128 * 4


def state_bytes(db: Path) -> bytes:
    """Everything SQLite keeps for this database: the file, its WAL and shared memory."""
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def windows(vector: np.ndarray, width_floats: int = 4) -> list[bytes]:
    """Every run of `width_floats` consecutive numbers of a template, as float32 and as float64."""
    out: list[bytes] = []
    for dtype in (np.float32, np.float64):
        raw = np.asarray(vector, dtype=dtype).tobytes()
        step = np.dtype(dtype).itemsize
        out += [raw[i : i + width_floats * step] for i in range(0, len(raw) - width_floats * step + 1, step)]
    return out


def test_the_database_file_holds_no_plaintext_template(tmp_path: Path, grace_template: np.ndarray) -> None:
    db = tmp_path / "s.db"
    store = Store(db, CIPHER)
    vectors = np.vstack([grace_template, random_templates(2, seed=3)]).astype(np.float32)
    store.enroll(Profile("C1", "Grace"), Consent("v1"), vectors)
    raw = state_bytes(db)
    leaks = [w for v in vectors for w in windows(v) if w in raw]
    assert leaks == [], f"{len(leaks)} plaintext runs of a template in the database"
    store.close()

    again = Store(db, CIPHER)
    refs, opened = again.gallery_rows()
    assert refs == ["C1"] * 3
    np.testing.assert_array_equal(opened, vectors)


def test_a_template_moved_onto_another_customer_fails_authentication(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    store = Store(db, CIPHER)
    store.enroll(Profile("C1", "A"), Consent("v1"), random_templates(1, seed=1))
    store.enroll(Profile("C2", "B"), Consent("v1"), random_templates(1, seed=2))
    store.close()
    with sqlite3.connect(db) as raw:  # an attacker with write access swaps the blobs
        a, b = (r[0] for r in raw.execute("SELECT vector FROM encodings ORDER BY customer_ref"))
        raw.execute("UPDATE encodings SET vector = ? WHERE customer_ref = 'C1'", [b])
        raw.execute("UPDATE encodings SET vector = ? WHERE customer_ref = 'C2'", [a])
    with pytest.raises(TemplateKeyError, match="fails authentication"):
        Store(db, CIPHER).gallery_rows()


def test_a_store_refuses_a_key_other_than_the_one_its_templates_were_sealed_with(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    Store(db, CIPHER).enroll(Profile("C1", "A"), Consent("v1"), random_templates(1))
    with pytest.raises(TemplateKeyError, match="sealed with key"):
        Store(db, TemplateCipher(bytes(32)))


def test_templates_stored_in_plaintext_by_an_older_version_are_sealed_and_their_pages_zeroed(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.db"
    Store(db).close()  # the schema, as an older version left it
    vector = random_templates(1, seed=9)[0]
    with sqlite3.connect(db) as raw:
        raw.execute(
            "INSERT INTO customers (customer_ref, greeting_name, language, interests, service_hints, "
            "enrolled_at, updated_at) VALUES ('OLD', 'Ada', NULL, '[]', '[]', 1, 1)"
        )
        raw.execute("INSERT INTO consents VALUES ('OLD', 'v0', 'p', 'branch-devices', 'kiosk', 1)")
        raw.execute(
            "INSERT INTO encodings (customer_ref, model, vector, created_at) VALUES (?, ?, ?, 1)",
            ["OLD", "dlib_face_recognition_resnet_model_v1", vector.tobytes()],
        )
    assert vector.tobytes() in state_bytes(db)
    store = Store(db, CIPHER)
    np.testing.assert_array_equal(store.gallery_rows()[1][0], vector)
    store.close()
    assert not [w for w in windows(vector) if w in state_bytes(db)]
