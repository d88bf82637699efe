"""Face templates at rest: sealed with AES-GCM under a key that lives in its own 0600 file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from device.config_file import ConfigError, parse_config
from device.domain import AuditRecord, Consent, Profile
from device.privacy.config import PrivacyConfig
from device.privacy.keys import key_path, read_key, rotate, write_new_key
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
        raw.execute("INSERT INTO customers VALUES ('OLD', 'Ada', NULL, '[]', '[]', 1, 1, NULL)")
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


# --- the key file ----------------------------------------------------------------------------------


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "template-key"
    write_new_key(path)
    read_key(path)
    path.chmod(0o640)
    with pytest.raises(TemplateKeyError, match="readable by group or others"):
        read_key(path)


def test_a_missing_key_file_is_refused_with_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(TemplateKeyError, match="branchdoor keys new"):
        read_key(tmp_path / "absent")


def test_a_new_key_never_overwrites_an_existing_one(tmp_path: Path) -> None:
    path = tmp_path / "template-key"
    first = write_new_key(path)
    with pytest.raises(TemplateKeyError, match="already exists"):
        write_new_key(path)
    assert read_key(path).key_id == first.key_id


def test_the_systemd_credential_is_preferred_to_the_configured_file(tmp_path: Path) -> None:
    write_new_key(tmp_path / "template-key")
    privacy = PrivacyConfig(template_key_file=Path("/etc/branchdoor/template-key"))
    assert key_path(privacy, {"CREDENTIALS_DIRECTORY": str(tmp_path)}) == tmp_path / "template-key"
    assert key_path(privacy, {}) == Path("/etc/branchdoor/template-key")


def test_a_key_written_into_the_config_file_is_refused_with_the_reason(tmp_path: Path) -> None:
    text = '[branch]\nid = "b1"\n[privacy]\ntemplate_key = "' + "ab" * 32 + '"\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "k.toml")
    assert "never goes in the config file" in str(caught.value)
    assert "k.toml:3" in str(caught.value)


def daemon_start(tmp_path: Path, key: Path) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "k.toml"
    config.write_text(
        f'[branch]\nid = "b1"\n[storage]\nstate_dir = "{tmp_path / "state"}"\n'
        f'[privacy]\ntemplate_key_file = "{key}"\n[observability]\nenabled = false\n'
    )
    return subprocess.run(
        [sys.executable, "-m", "device", "run", "--config", str(config)],
        capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def test_the_daemon_refuses_to_start_with_a_world_readable_or_missing_key(tmp_path: Path) -> None:
    key = tmp_path / "template-key"
    missing = daemon_start(tmp_path, key)
    assert missing.returncode == 1 and "refusing to start" in missing.stderr and str(key) in missing.stderr
    write_new_key(key)
    key.chmod(0o644)
    readable = daemon_start(tmp_path, key)
    assert readable.returncode == 1 and "readable by group or others" in readable.stderr


# --- rotation ----------------------------------------------------------------------------------------


def test_rotation_re_seals_every_template_under_a_new_key_and_loses_no_customer(tmp_path: Path) -> None:
    db, key = tmp_path / "s.db", tmp_path / "template-key"
    old = write_new_key(key)
    store = Store(db, old)
    vectors = {f"C{i}": random_templates(2, seed=i) for i in range(5)}
    for ref, v in vectors.items():
        store.enroll(Profile(ref, "N"), Consent("v1"), v)
    store.close()

    count, key_id = rotate(db, key)

    assert count == 10
    new = read_key(key)
    assert new.key_id == key_id != old.key_id
    assert not (tmp_path / "template-key.new").exists()
    with pytest.raises(TemplateKeyError):
        Store(db, old)
    rotated = Store(db, new)
    for ref, v in vectors.items():
        np.testing.assert_array_equal(rotated.templates_of(ref), v)
    audits = [r for r in rotated.outbox.records() if r.get("event") == "key_rotated"]
    assert len(audits) == 1 and old.key_id in audits[0]["detail"]


def test_a_rotation_interrupted_after_its_commit_is_finished_by_running_it_again(tmp_path: Path) -> None:
    db, key = tmp_path / "s.db", tmp_path / "template-key"
    store = Store(db, write_new_key(key))
    store.enroll(Profile("C1", "N"), Consent("v1"), random_templates(1))
    pending = write_new_key(tmp_path / "template-key.new")
    # The power went after the commit, before the new key file was moved into place.
    store.rotate_key(pending, AuditRecord(event="key_rotated", actor="operator"))
    store.close()
    with pytest.raises(TemplateKeyError, match=r"template-key\.new|\.new"):
        Store(db, read_key(key))

    rotate(db, key)

    assert read_key(key).key_id == pending.key_id
    assert len(Store(db, read_key(key)).templates_of("C1")) == 1
