"""The device's SQLite state. This module owns every SQL statement; the rest call named methods."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import sqlite_utils

from device.audit import AuditRecord
from device.events import CheckIn, Consent, Profile
from device.outbox import Outbox

EMBEDDING_MODEL = "dlib_face_recognition_resnet_model_v1"
Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class ForgetReport:
    customer_ref: str
    customers: int
    encodings: int
    checkins: int

    @property
    def found(self) -> bool:
        return self.customers > 0


class Store:
    """One connection, guarded by a lock, so the pipeline and the control loop can share it."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=5.0)
        self._db = sqlite_utils.Database(connection)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL with WAL survives power loss up to the last checkpointed transaction; FULL loses nothing.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._create_schema()
        self.outbox = Outbox(self._db, self._lock, self._transaction)
        self._gallery_changes = 0

    def _create_schema(self) -> None:
        with self._lock:
            self._db.executescript(
                """
                CREATE TABLE IF NOT EXISTS customers (
                    customer_ref TEXT PRIMARY KEY,
                    greeting_name TEXT NOT NULL,
                    language TEXT,
                    interests TEXT NOT NULL DEFAULT '[]',
                    service_hints TEXT NOT NULL DEFAULT '[]',
                    enrolled_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE TABLE IF NOT EXISTS consents (
                    customer_ref TEXT PRIMARY KEY
                        REFERENCES customers(customer_ref) ON DELETE CASCADE,
                    notice_version TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    granted_at REAL NOT NULL
                );
                CREATE TABLE IF NOT EXISTS encodings (
                    id INTEGER PRIMARY KEY,
                    customer_ref TEXT NOT NULL
                        REFERENCES customers(customer_ref) ON DELETE CASCADE,
                    model TEXT NOT NULL,
                    vector BLOB NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX IF NOT EXISTS encodings_by_customer ON encodings(customer_ref);
                CREATE TABLE IF NOT EXISTS checkins (
                    visit_id TEXT PRIMARY KEY,
                    customer_ref TEXT NOT NULL,
                    branch_id TEXT NOT NULL,
                    device_id TEXT NOT NULL,
                    at REAL NOT NULL,
                    score_band TEXT NOT NULL
                );
                CREATE INDEX IF NOT EXISTS checkins_by_customer ON checkins(customer_ref, at);
                CREATE TABLE IF NOT EXISTS meta (
                    key TEXT PRIMARY KEY,
                    value TEXT
                );
                CREATE TABLE IF NOT EXISTS unidentified_counts (
                    bin_start REAL PRIMARY KEY,
                    visits INTEGER NOT NULL
                );
                """
            )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # --- customers and their templates -------------------------------------------------------------

    def enroll(self, profile: Profile, consent: Consent, vectors: Vectors, *, replace: bool = False) -> int:
        """Store a consented customer's templates; re-enrollment adds to them unless `replace`."""
        with self._transaction():
            held = self._enroll_rows(profile, consent, vectors, replace, time.time())
        self._gallery_changes += 1
        return held

    def _enroll_rows(
        self, profile: Profile, consent: Consent, vectors: Vectors, replace: bool, now: float
    ) -> int:
        """Inside the caller's transaction."""
        existing = self._db.execute(
            "SELECT enrolled_at FROM customers WHERE customer_ref = ?", [profile.customer_ref]
        ).fetchone()
        self._db.execute(
            """
            INSERT INTO customers
                (customer_ref, greeting_name, language, interests, service_hints, enrolled_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(customer_ref) DO UPDATE SET
                greeting_name = excluded.greeting_name, language = excluded.language,
                interests = excluded.interests, service_hints = excluded.service_hints,
                updated_at = excluded.updated_at
            """,
            [
                profile.customer_ref,
                profile.greeting_name,
                profile.language,
                json.dumps(list(profile.interests)),
                json.dumps(list(profile.service_hints)),
                existing[0] if existing else now,
                now,
            ],
        )
        self._db.execute(
            """
            INSERT INTO consents (customer_ref, notice_version, purpose, scope, channel, granted_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(customer_ref) DO UPDATE SET
                notice_version = excluded.notice_version, purpose = excluded.purpose,
                scope = excluded.scope, channel = excluded.channel, granted_at = excluded.granted_at
            """,
            [
                profile.customer_ref,
                consent.notice_version,
                consent.purpose,
                consent.scope,
                consent.channel,
                consent.granted_at or now,
            ],
        )
        if replace:
            self._db.execute("DELETE FROM encodings WHERE customer_ref = ?", [profile.customer_ref])
        for vector in np.asarray(vectors, dtype=np.float32).reshape(-1, 128):
            self._db.execute(
                "INSERT INTO encodings (customer_ref, model, vector, created_at) VALUES (?, ?, ?, ?)",
                [profile.customer_ref, EMBEDDING_MODEL, vector.tobytes(), now],
            )
        row = self._db.execute(
            "SELECT COUNT(*) FROM encodings WHERE customer_ref = ?", [profile.customer_ref]
        ).fetchone()
        return int(row[0])

    def forget(self, customer_ref: str) -> ForgetReport:
        """Delete everything held about one customer: profile, consent, templates, check-ins and the
        records still waiting in the outbox that carry their reference."""
        with self._transaction():
            report = self._forget_rows(customer_ref)
        self._gallery_changes += 1
        return report

    def _forget_rows(self, customer_ref: str) -> ForgetReport:
        """Inside the caller's transaction."""
        encodings = self._db.execute("DELETE FROM encodings WHERE customer_ref = ?", [customer_ref]).rowcount
        checkins = self._db.execute("DELETE FROM checkins WHERE customer_ref = ?", [customer_ref]).rowcount
        self.outbox.forget_customer(customer_ref)
        self._db.execute("DELETE FROM consents WHERE customer_ref = ?", [customer_ref])
        customers = self._db.execute("DELETE FROM customers WHERE customer_ref = ?", [customer_ref]).rowcount
        return ForgetReport(customer_ref, customers, encodings, checkins)

    # --- the gallery as the central service sends it -----------------------------------------------

    def apply_gallery_delta(
        self,
        upserts: list[tuple[Profile, Consent, Vectors]],
        deletions: list[str],
        cursor: str | None,
        audits: Sequence[AuditRecord] = (),
    ) -> None:
        """One page of central changes, all or nothing, with the cursor that follows it: a power cut
        mid-page leaves the device at the previous cursor, to fetch the page again. Each deletion is
        queued for acknowledgement upstream in the same transaction."""
        now = time.time()
        with self._transaction():
            for profile, consent, vectors in upserts:
                self._enroll_rows(profile, consent, vectors, replace=True, now=now)
            for customer_ref in deletions:
                self._forget_rows(customer_ref)
                # No customer_ref column: a later forget must not erase the acknowledgement itself.
                self.outbox.enqueue(
                    "deletion_ack", f"del-{customer_ref}-{now}", {"customer_ref": customer_ref}, now
                )
            for audit in audits:
                self._enqueue_audit(audit, now)
            self._set_meta("gallery_cursor", cursor)
        if upserts or deletions:  # an empty page moves only the cursor: no gallery to rebuild
            self._gallery_changes += 1

    def record_audit(self, audit: AuditRecord) -> None:
        """Queue an audit record for upload on its own; changes with an audit pass it in their transaction."""
        with self._transaction():
            self._enqueue_audit(audit, time.time())

    def _enqueue_audit(self, audit: AuditRecord, now: float) -> None:
        self.outbox.enqueue("audit", audit.record_id, audit.payload(), now)

    def wipe_gallery(self) -> None:
        """The central service answered 410 Gone: forget every customer and start from scratch."""
        with self._transaction():
            for table in ("encodings", "checkins", "consents", "customers"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            self._set_meta("gallery_cursor", None)
        self._gallery_changes += 1

    def gallery_cursor(self) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'gallery_cursor'").fetchone()
        return None if row is None else row[0]

    def _set_meta(self, key: str, value: str | None) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    def profile(self, customer_ref: str) -> Profile | None:
        with self._lock:
            row = self._db.execute(
                "SELECT greeting_name, language, interests, service_hints FROM customers "
                "WHERE customer_ref = ?",
                [customer_ref],
            ).fetchone()
        if row is None:
            return None
        return Profile(
            customer_ref=customer_ref,
            greeting_name=row[0],
            language=row[1],
            interests=tuple(json.loads(row[2])),
            service_hints=tuple(json.loads(row[3])),
        )

    def gallery_rows(self) -> tuple[list[str], Vectors]:
        """Templates of every customer whose consent is on record, one row per template."""
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
        refs = [row[0] for row in rows]
        vectors = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32).reshape(-1, 128)
        return refs, vectors.copy()

    def templates_of(self, customer_ref: str) -> Vectors:
        """The templates already held for one customer, oldest first (none: a 0x128 array)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT vector FROM encodings WHERE customer_ref = ? AND model = ? ORDER BY id",
                [customer_ref, EMBEDDING_MODEL],
            ).fetchall()
        return np.frombuffer(b"".join(row[0] for row in rows), dtype=np.float32).reshape(-1, 128).copy()

    def customer_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM customers").fetchone()[0])

    def data_version(self) -> int:
        """Changes whenever another connection commits: how the daemon notices `enroll` and `forget`."""
        with self._lock:
            return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def gallery_version(self) -> int:
        """Changes whenever the gallery may have: another connection's commit (a `branchdoor forget`)
        or this connection's own gallery changes (central sync), which data_version does not count."""
        return self.data_version() + self._gallery_changes

    # --- visits ------------------------------------------------------------------------------------

    def last_checkin_at(self, customer_ref: str) -> float | None:
        with self._lock:
            row = self._db.execute(
                "SELECT MAX(at) FROM checkins WHERE customer_ref = ?", [customer_ref]
            ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def visit_history(self, customer_ref: str, before: float) -> tuple[int, float | None]:
        """Check-ins of this customer up to `before` (included), and the latest one before it."""
        with self._lock:
            count, previous = self._db.execute(
                "SELECT COUNT(*), MAX(CASE WHEN at < ? THEN at END) FROM checkins "
                "WHERE customer_ref = ? AND at <= ?",
                [before, customer_ref, before],
            ).fetchone()
        return int(count), None if previous is None else float(previous)

    def record_checkin(self, checkin: CheckIn) -> None:
        """The check-in and its outbox record, in one transaction: both survive a power cut, or neither."""
        with self._transaction():
            self._enqueue_checkin(checkin)
            self._db.execute(
                "INSERT INTO checkins (visit_id, customer_ref, branch_id, device_id, at, score_band) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    checkin.visit_id,
                    checkin.customer_ref,
                    checkin.branch_id,
                    checkin.device_id,
                    checkin.at,
                    checkin.score_band,
                ],
            )

    def queue_checkins_for_upload(self, checkins: Sequence[CheckIn]) -> None:
        """Outbox records only, many in one transaction: for loading a benchmark, not for the daemon."""
        with self._transaction():
            for checkin in checkins:
                self._enqueue_checkin(checkin)

    def _enqueue_checkin(self, checkin: CheckIn) -> None:
        self.outbox.enqueue(
            "checkin",
            checkin.visit_id,
            # The central contract's CheckinRecord (sync/models.py): no biometric content.
            {
                "customer_ref": checkin.customer_ref,
                "branch_id": checkin.branch_id,
                "at": datetime.fromtimestamp(checkin.at, UTC).isoformat(),
                "score_band": checkin.score_band,
            },
            now=checkin.at,
            customer_ref=checkin.customer_ref,
        )

    def checkins(self) -> list[tuple[str, str, float]]:
        with self._lock:
            rows = self._db.execute("SELECT visit_id, customer_ref, at FROM checkins ORDER BY at").fetchall()
        return [(row[0], row[1], float(row[2])) for row in rows]

    def count_unidentified(self, at: float, bin_s: int = 900) -> None:
        bin_start = at - (at % bin_s)
        with self._transaction():
            self._db.execute(
                "INSERT INTO unidentified_counts (bin_start, visits) VALUES (?, 1) "
                "ON CONFLICT(bin_start) DO UPDATE SET visits = visits + 1",
                [bin_start],
            )

    def unidentified_total(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT COALESCE(SUM(visits), 0) FROM unidentified_counts").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
