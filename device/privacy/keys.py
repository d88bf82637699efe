"""The template key: found, checked and loaded at start; created and rotated by `branchdoor keys`.

The daemon prefers the systemd credential `$CREDENTIALS_DIRECTORY/template-key` (LoadCredential= in
the unit, so the service user never reads /etc directly), else `[privacy] template_key_file`. A key
file readable by group or others, a missing one, or a key written into the config refuse the start
with the reason. The file check is the one every secret gets (common/secret_files.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from common.secret_files import CredentialError, read_secret_file
from device.domain import AuditRecord
from device.privacy.config import PrivacyConfig
from device.state.files import fsync_dir
from device.state.sealing import TemplateCipher, TemplateKeyError, new_key_text, parse_key
from device.state.store import Store

CREDENTIAL_NAME = "template-key"
KEY_TEXT_BYTES = 64


def key_path(privacy: PrivacyConfig, environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    credentials = env.get("CREDENTIALS_DIRECTORY")
    if credentials and (Path(credentials) / CREDENTIAL_NAME).is_file():
        return Path(credentials) / CREDENTIAL_NAME
    return privacy.template_key_file


def read_key(path: Path) -> TemplateCipher:
    try:
        text = read_secret_file(path, "template key", KEY_TEXT_BYTES)
    except CredentialError as exc:
        raise TemplateKeyError(f"{exc} (create one with `branchdoor keys new {path}`)") from exc
    try:
        return TemplateCipher(parse_key(text))
    except TemplateKeyError as exc:
        raise TemplateKeyError(f"{path}: {exc}") from exc


def load_cipher(privacy: PrivacyConfig) -> TemplateCipher:
    return read_key(key_path(privacy))


def write_new_key(path: Path) -> TemplateCipher:
    """A fresh random key in a new 0600 file; an existing file is never overwritten."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = new_key_text()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise TemplateKeyError(f"{path}: already exists; a key is never overwritten") from exc
    with os.fdopen(fd, "wb") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    return TemplateCipher(parse_key(text))


def rotate(database: Path, key_file: Path) -> tuple[int, str]:
    """Seal every template under a new key, then put the new key in `key_file`'s place.

    The new key is written first, beside the old one (`<file>.new`); the database is re-sealed in one
    transaction; then the new file replaces the old one. Interrupted before the commit, the old key
    still opens everything (and `.new` is replaced on the next try); after it, the store says to move
    `<file>.new` into place, and running this again finishes the job. No customer is lost either way.
    """
    pending = key_file.with_name(key_file.name + ".new")
    current = read_key(key_file)
    try:
        store = Store(database, current)
    except TemplateKeyError:
        if not pending.exists():
            raise
        new = read_key(pending)
        Store(database, new).close()  # the database already holds the new key: finish the swap
        pending.replace(key_file)
        fsync_dir(key_file.parent)
        return 0, new.key_id
    try:
        pending.unlink(missing_ok=True)
        new = write_new_key(pending)
        count = store.rotate_key(
            new,
            AuditRecord(event="key_rotated", actor="operator", detail=f"{current.key_id} -> {new.key_id}"),
        )
    finally:
        store.close()
    pending.replace(key_file)
    fsync_dir(key_file.parent)
    return count, new.key_id
