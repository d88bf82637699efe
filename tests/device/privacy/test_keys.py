"""The key that seals face templates: in its own 0600 file (or a systemd credential), never in the config,
rotated without losing a customer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from device.config_file import ConfigError, parse_config
from device.domain import AuditRecord, Consent, Profile
from device.privacy.config import PrivacyConfig
from device.privacy.keys import key_path, read_key, rotate, write_new_key
from device.state.sealing import TemplateKeyError
from device.state.store import Store
from tests.conftest import random_templates


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


@pytest.mark.subprocess
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
