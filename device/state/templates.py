"""The `encodings` table: every face template, sealed (device/state/sealing.py) before it is written
and opened only into memory for matching. Shares the store's connection, lock and transactions, the
way the outbox does; nothing else reads or writes template rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from device.state.check import connect
from device.state.part import SharedConnection, StorePart
from device.state.sealing import MAGIC, TemplateCipher, TemplateKeyError, is_sealed

EMBEDDING_MODEL = "dlib_face_recognition_resnet_model_v1"
Vectors = npt.NDArray[np.float32]
KEY_ID_META = "template_key_id"
SCHEMA = """
CREATE TABLE IF NOT EXISTS encodings (
    id INTEGER PRIMARY KEY,
    customer_ref TEXT NOT NULL REFERENCES customers(customer_ref) ON DELETE CASCADE,
    model TEXT NOT NULL,
    vector BLOB NOT NULL,  -- sealed: device/state/sealing.py
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS encodings_by_customer ON encodings(customer_ref);
"""


def sealed_with(database: Path) -> str | None:
    """The id of the key the database's templates are sealed with, without opening the store (for
    `config check`): None before a key was ever used with it. Raises sqlite3.Error on a damaged file."""
    db = connect(database)
    try:
        tables = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
        if tables.fetchone() is None:
            return None
        row = db.execute("SELECT value FROM meta WHERE key = ?", [KEY_ID_META]).fetchone()
        return None if row is None else str(row[0])
    finally:
        db.close()


class TemplateVault(StorePart):
    SCHEMA = SCHEMA

    def __init__(self, shared: SharedConnection, cipher: TemplateCipher | None) -> None:
        super().__init__(shared)
        self._cipher = cipher
        if cipher is not None:
            self._adopt(cipher)

    def _need_cipher(self) -> TemplateCipher:
        if self._cipher is None:
            raise TemplateKeyError("this store was opened without the template key: templates are sealed")
        return self._cipher

    def _key_id(self) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", [KEY_ID_META]).fetchone()
        return None if row is None else str(row[0])

    def _set_key_id(self, key_id: str) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [KEY_ID_META, key_id],
        )

    def _adopt(self, cipher: TemplateCipher) -> None:
        """Refuse a key other than the one the templates were sealed with; seal any template left in
        plaintext by a version before encryption (and zero the pages it occupied: secure_delete)."""
        with self._transaction():
            held = self._key_id()
            if held is not None and held != cipher.key_id:
                raise TemplateKeyError(
                    f"the templates in this database were sealed with key {held}, the key given is "
                    f"{cipher.key_id}: use the key file the kiosk was set up with (after an interrupted "
                    "`branchdoor keys rotate`, the new key is beside the old one as <file>.new)"
                )
            rows = self._db.execute(
                "SELECT id, customer_ref, model, vector FROM encodings WHERE substr(vector, 1, 4) != ?",
                [MAGIC],
            ).fetchall()
            for row_id, ref, model, blob in rows:
                if not is_sealed(bytes(blob)):
                    self._db.execute(
                        "UPDATE encodings SET vector = ? WHERE id = ?",
                        [cipher.seal(bytes(blob), ref, model), row_id],
                    )
            self._set_key_id(cipher.key_id)

    def add(self, customer_ref: str, vectors: Vectors, now: float) -> None:
        """Inside the caller's transaction."""
        cipher = self._need_cipher()
        for vector in np.asarray(vectors, dtype=np.float32).reshape(-1, 128):
            self._db.execute(
                "INSERT INTO encodings (customer_ref, model, vector, created_at) VALUES (?, ?, ?, ?)",
                [
                    customer_ref,
                    EMBEDDING_MODEL,
                    cipher.seal(vector.tobytes(), customer_ref, EMBEDDING_MODEL),
                    now,
                ],
            )

    def count_of(self, customer_ref: str) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM encodings WHERE customer_ref = ?", [customer_ref]
        ).fetchone()
        return int(row[0])

    def delete(self, customer_ref: str) -> int:
        """Inside the caller's transaction."""
        return int(self._db.execute("DELETE FROM encodings WHERE customer_ref = ?", [customer_ref]).rowcount)

    def _open_rows(self, rows: list[tuple[str, bytes]]) -> Vectors:
        cipher = self._need_cipher()
        plain = b"".join(cipher.open(bytes(blob), ref, EMBEDDING_MODEL) for ref, blob in rows)
        return np.frombuffer(plain, dtype=np.float32).reshape(-1, 128).copy()

    def gallery_rows(self) -> tuple[list[str], Vectors]:
        """Templates of every customer whose consent is on record, one row per template, opened."""
        with self._lock:
            rows = self._db.execute(
                """
                SELECT e.customer_ref, e.vector FROM encodings e
                JOIN consents c ON c.customer_ref = e.customer_ref
                WHERE e.model = ?
                ORDER BY e.customer_ref, e.id
                """,
                [EMBEDDING_MODEL],
            ).fetchall()
        return [row[0] for row in rows], self._open_rows(rows)

    def templates_of(self, customer_ref: str) -> Vectors:
        with self._lock:
            rows = self._db.execute(
                "SELECT customer_ref, vector FROM encodings WHERE customer_ref = ? AND model = ? ORDER BY id",
                [customer_ref, EMBEDDING_MODEL],
            ).fetchall()
        return self._open_rows(rows)

    def reseal(self, new: TemplateCipher) -> int:
        """Key rotation, inside the caller's transaction (all or nothing: a power cut leaves every row
        under the old key): every template opened with the current key and sealed with `new`. Call
        `use(new)` once it has committed."""
        old = self._need_cipher()
        rows = self._db.execute("SELECT id, customer_ref, model, vector FROM encodings").fetchall()
        for row_id, ref, model, blob in rows:
            plain = old.open(bytes(blob), ref, model)
            self._db.execute(
                "UPDATE encodings SET vector = ? WHERE id = ?", [new.seal(plain, ref, model), row_id]
            )
        self._set_key_id(new.key_id)
        return len(rows)

    def use(self, cipher: TemplateCipher) -> None:
        self._cipher = cipher
