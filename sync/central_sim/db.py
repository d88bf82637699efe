"""The reference central service's SQLite state. This module owns every SQL statement of the sim."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from common.sqlite_transaction import immediate_transaction
from sync.models import GalleryDelete, GalleryUpsert
from sync.signing import MAX_SKEW_S

RecordKind = Literal["checkins", "audit", "aggregates"]


@dataclass(frozen=True, slots=True)
class Change:
    seq: int
    item: dict[str, Any]


@dataclass(frozen=True, slots=True)
class IdempotentAnswer:
    """A batch's answer, and whether it was replayed from an earlier batch with the same key."""

    response: dict[str, int]
    replayed: bool


class KeyReused(Exception):
    """The Idempotency-Key was used before for a different body."""


class CentralDb:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=5.0)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
            INSERT OR IGNORE INTO meta VALUES ('seq', 0), ('epoch', 1);
            -- The gallery feed, compacted: one row per customer holding its latest change, so a
            -- customer changed mid-paging moves past the cursor and is seen again, never lost.
            CREATE TABLE IF NOT EXISTS gallery (
                customer_ref TEXT PRIMARY KEY,
                seq INTEGER NOT NULL UNIQUE,
                item TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS records (
                kind TEXT NOT NULL,
                record_id TEXT NOT NULL,
                device_id TEXT NOT NULL,
                body TEXT NOT NULL,
                receipts INTEGER NOT NULL,
                PRIMARY KEY (kind, record_id)
            );
            CREATE TABLE IF NOT EXISTS idempotency (
                device_id TEXT NOT NULL,
                endpoint TEXT NOT NULL,
                key TEXT NOT NULL,
                body_sha256 TEXT NOT NULL,
                response TEXT NOT NULL,
                PRIMARY KEY (device_id, endpoint, key)
            );
            CREATE TABLE IF NOT EXISTS deletion_acks (
                device_id TEXT NOT NULL,
                customer_ref TEXT NOT NULL,
                acks INTEGER NOT NULL,
                PRIMARY KEY (device_id, customer_ref)
            );
            CREATE TABLE IF NOT EXISTS seen_signatures (
                device_id TEXT NOT NULL,
                timestamp INTEGER NOT NULL,
                signature TEXT NOT NULL,
                seen_at REAL NOT NULL,
                PRIMARY KEY (device_id, timestamp, signature)
            );
            -- Pruned by timestamp on every signed request.
            CREATE INDEX IF NOT EXISTS seen_signatures_by_time ON seen_signatures (timestamp);
            """
        )

    def _transaction(self) -> AbstractContextManager[None]:
        return immediate_transaction(self._db, self._lock)

    def _meta(self, key: str) -> int:
        return int(self._db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()[0])

    def _bump(self, key: str) -> int:
        self._db.execute("UPDATE meta SET value = value + 1 WHERE key = ?", [key])
        return self._meta(key)

    # --- the gallery feed --------------------------------------------------------------------------

    def _put(self, customer_ref: str, item: dict[str, Any]) -> int:
        with self._transaction():
            seq = self._bump("seq")
            self._db.execute(
                "INSERT INTO gallery (customer_ref, seq, item) VALUES (?, ?, ?) "
                "ON CONFLICT(customer_ref) DO UPDATE SET seq = excluded.seq, item = excluded.item",
                [customer_ref, seq, json.dumps(item)],
            )
        return seq

    def enroll(self, customer: GalleryUpsert) -> int:
        """Add or replace a customer in every device's gallery; returns the change's sequence number."""
        return self._put(customer.customer_ref, customer.model_dump(mode="json"))

    def withdraw(self, customer_ref: str, reason: Literal["withdrawn", "deleted"] = "withdrawn") -> int:
        """Replace the customer by a tombstone that every device will pull and acknowledge."""
        tombstone = GalleryDelete(op="delete", customer_ref=customer_ref, reason=reason)
        return self._put(customer_ref, tombstone.model_dump(mode="json"))

    def changes_after(self, seq: int, limit: int) -> tuple[list[Change], bool]:
        """Up to `limit` latest changes after `seq`, oldest first, and whether more are waiting."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, item FROM gallery WHERE seq > ? ORDER BY seq LIMIT ?", [seq, limit + 1]
            ).fetchall()
        changes = [Change(int(row[0]), json.loads(row[1])) for row in rows[:limit]]
        return changes, len(rows) > limit

    def epoch(self) -> int:
        with self._lock:
            return self._meta("epoch")

    def expire_cursors(self) -> int:
        """Every cursor handed out so far now answers 410 Gone: devices wipe and pull from scratch."""
        with self._transaction():
            return self._bump("epoch")

    # --- uploads -----------------------------------------------------------------------------------

    def store_batch(
        self, device_id: str, kind: RecordKind, key: str, body: bytes, records: Sequence[dict[str, Any]]
    ) -> IdempotentAnswer:
        """Store each record once by record_id; the same key with the same body gets the same answer."""
        body_sha256 = hashlib.sha256(body).hexdigest()
        with self._transaction():
            earlier = self._db.execute(
                "SELECT body_sha256, response FROM idempotency WHERE device_id = ? AND endpoint = ? "
                "AND key = ?",
                [device_id, kind, key],
            ).fetchone()
            if earlier is not None:
                if earlier[0] != body_sha256:
                    raise KeyReused(key)
                return IdempotentAnswer(json.loads(earlier[1]), replayed=True)
            accepted = 0
            for record in records:
                accepted += self._db.execute(
                    "INSERT INTO records (kind, record_id, device_id, body, receipts) "
                    "VALUES (?, ?, ?, ?, 1) "
                    "ON CONFLICT(kind, record_id) DO UPDATE SET receipts = receipts + 1 "
                    "RETURNING receipts = 1",
                    [kind, record["record_id"], device_id, json.dumps(record)],
                ).fetchone()[0]
            response = {"accepted": accepted, "duplicates": len(records) - accepted}
            self._db.execute(
                "INSERT INTO idempotency (device_id, endpoint, key, body_sha256, response) "
                "VALUES (?, ?, ?, ?, ?)",
                [device_id, kind, key, body_sha256, json.dumps(response)],
            )
        return IdempotentAnswer(response, replayed=False)

    def records(self, kind: RecordKind) -> dict[str, int]:
        """record_id -> how many times it was received (stored once whatever the count)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT record_id, receipts FROM records WHERE kind = ? ORDER BY record_id", [kind]
            ).fetchall()
        return {str(row[0]): int(row[1]) for row in rows}

    def acknowledge_deletions(self, device_id: str, customer_refs: Sequence[str]) -> int:
        with self._transaction():
            for ref in customer_refs:
                self._db.execute(
                    "INSERT INTO deletion_acks (device_id, customer_ref, acks) VALUES (?, ?, 1) "
                    "ON CONFLICT(device_id, customer_ref) DO UPDATE SET acks = acks + 1",
                    [device_id, ref],
                )
        return len(customer_refs)

    def deletion_acks(self) -> dict[str, list[str]]:
        """customer_ref -> the devices that acknowledged forgetting them."""
        with self._lock:
            rows = self._db.execute(
                "SELECT customer_ref, device_id FROM deletion_acks ORDER BY customer_ref, device_id"
            ).fetchall()
        acks: dict[str, list[str]] = {}
        for ref, device in rows:
            acks.setdefault(str(ref), []).append(str(device))
        return acks

    # --- replay protection -------------------------------------------------------------------------

    def first_use_of_signature(self, device_id: str, timestamp: int, signature: str, now: float) -> bool:
        """Remember a signature while its timestamp is inside the window; False when already seen.

        Kept by its timestamp, not by when it arrived: one signed ahead by almost the whole window
        stays acceptable, and so remembered, for twice the window of server time.
        """
        with self._transaction():
            self._db.execute("DELETE FROM seen_signatures WHERE timestamp < ?", [now - MAX_SKEW_S])
            inserted = self._db.execute(
                "INSERT OR IGNORE INTO seen_signatures (device_id, timestamp, signature, seen_at) "
                "VALUES (?, ?, ?, ?)",
                [device_id, timestamp, signature, now],
            ).rowcount
        return inserted == 1

    def close(self) -> None:
        with self._lock:
            self._db.close()
