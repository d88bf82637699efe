"""The device's SQLite state: customers, their consents and the gallery changes from the central
service, over the parts in this package (device/state/part.py). Everything else calls named methods."""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlite_utils

from common.private_files import keep_private
from common.sqlite_transaction import immediate_transaction
from device.domain import AuditRecord, Consent, Profile, Role
from device.state.backups import BackupError, Backups
from device.state.check import require_usable
from device.state.checkins import Checkins
from device.state.claims import VisitClaims
from device.state.files import prepare_state_dir
from device.state.outbox import Outbox
from device.state.part import SharedConnection, add_missing_columns
from device.state.roles import Roles
from device.state.roster import Roster
from device.state.sealing import TemplateCipher
from device.state.templates import TemplateVault, Vectors
from device.state.tokens import TokenBook
from device.state.visit_counts import VisitCounts

__all__ = ["ForgetReport", "Store", "Vectors"]

log = logging.getLogger(__name__)

# Columns added to the store's own tables after their first release (see add_missing_columns).
ADDED_COLUMNS = {"customers": {"birth_year_band": str}}


@dataclass(frozen=True, slots=True)
class ForgetReport:
    """What `Store.forget` deleted; `found` is False when nothing was held about the customer."""

    customer_ref: str
    customers: int
    encodings: int
    checkins: int
    backup_problem: str | None = None  # the deletion stands; an older backup copy may not have gone

    @property
    def found(self) -> bool:
        return self.customers > 0


class Store:
    """One connection, guarded by a lock, so the pipeline and the control loop can share it. `cipher`
    seals templates (device/privacy/keys.py); without it the store serves everything else (outbox, forget).
    A database that is damaged, emptied, or missing while a backup exists is refused with a `StateError`
    (device/state/check.py) before anything touches it."""

    def __init__(self, path: Path, cipher: TemplateCipher | None = None) -> None:
        prepare_state_dir(path.parent)
        self.backups = Backups(path)
        require_usable(path, self.backups.newest())
        self.path = path
        connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=5.0)
        self._db = sqlite_utils.Database(connection)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")  # creates the file, if new, and its -wal and -shm
        keep_private(path)
        # NORMAL with WAL survives power loss up to the last checkpointed transaction; FULL loses nothing.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        # Deleted rows (a forgotten customer, a template before sealing) are overwritten with zeros.
        self._db.execute("PRAGMA secure_delete=ON")
        self._create_schema()
        self.shared = SharedConnection(self._db, self._lock, self._transaction)
        shared = self.shared
        self.outbox = Outbox(shared)
        self.templates = TemplateVault(shared, cipher)
        self.visit_counts = VisitCounts(shared)
        self.tokens = TokenBook(shared)
        self.checkins = Checkins(shared, self.outbox)
        self.claims = VisitClaims(shared, self.outbox)  # other kiosks' check-ins of the branch
        self.roster = Roster(shared)  # reads only: what is held about each customer, no biometrics
        self.roles = Roles(shared)
        self._scrub()  # templates an older version left in plaintext were just sealed: no copy remains
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
                    updated_at REAL NOT NULL,
                    birth_year_band TEXT
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
                CREATE TABLE IF NOT EXISTS meta (
                    key TEXT PRIMARY KEY,
                    value TEXT
                );
                """
            )
            add_missing_columns(self._db, ADDED_COLUMNS)

    def _transaction(self) -> AbstractContextManager[None]:
        return immediate_transaction(self._db.conn, self._lock)

    # --- customers and their templates -------------------------------------------------------------

    def enroll(
        self,
        profile: Profile,
        consent: Consent,
        vectors: Vectors,
        *,
        replace: bool = False,
        audits: Sequence[AuditRecord] = (),
        role: Role = "customer",
    ) -> int:
        """Store a consented customer's templates; re-enrollment adds to them unless `replace`. The role
        is the latest enrollment's: re-enrolling staff without `role="staff"` makes them a customer."""
        with self._transaction():
            held = self._enroll_rows(profile, consent, vectors, replace, time.time(), role)
            for audit in audits:
                self.outbox.enqueue_audit(audit, time.time())
        self._gallery_changes += 1
        return held

    def _enroll_rows(
        self,
        profile: Profile,
        consent: Consent,
        vectors: Vectors,
        replace: bool,
        now: float,
        role: Role | None,
    ) -> int:
        """Inside the caller's transaction. A `role` of None keeps the one held (a new person: customer)."""
        existing = self._db.execute(
            "SELECT enrolled_at FROM customers WHERE customer_ref = ?", [profile.customer_ref]
        ).fetchone()
        self._db.execute(
            """
            INSERT INTO customers
                (customer_ref, greeting_name, language, interests, service_hints, enrolled_at, updated_at,
                 birth_year_band)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(customer_ref) DO UPDATE SET
                greeting_name = excluded.greeting_name, language = excluded.language,
                interests = excluded.interests, service_hints = excluded.service_hints,
                updated_at = excluded.updated_at, birth_year_band = excluded.birth_year_band
            """,
            [
                profile.customer_ref,
                profile.greeting_name,
                profile.language,
                json.dumps(list(profile.interests)),
                json.dumps(list(profile.service_hints)),
                existing[0] if existing else now,
                now,
                profile.birth_year_band,
            ],
        )
        consent_fields = (consent.notice_version, consent.purpose, consent.scope, consent.channel)
        self._db.execute(
            """
            INSERT INTO consents (customer_ref, notice_version, purpose, scope, channel, granted_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(customer_ref) DO UPDATE SET
                notice_version = excluded.notice_version, purpose = excluded.purpose,
                scope = excluded.scope, channel = excluded.channel, granted_at = excluded.granted_at
            """,
            [profile.customer_ref, *consent_fields, consent.granted_at or now],
        )
        if role is not None:
            self.roles.set(profile.customer_ref, role)
        if replace:
            self.templates.delete(profile.customer_ref)
        if len(vectors):
            self.templates.add(profile.customer_ref, vectors, now)
        return self.templates.count_of(profile.customer_ref)

    def forget(self, customer_ref: str, audits: Sequence[AuditRecord] = ()) -> ForgetReport:
        """Delete everything held about one customer: profile, consent, templates, check-in tokens,
        check-ins and the records still waiting in the outbox that carry their reference; `audits`
        (the record of the deletion itself) are queued in the same transaction."""
        with self._transaction():
            report = self._forget_rows(customer_ref)
            for audit in audits if report.found else ():
                self.outbox.enqueue_audit(audit, time.time())
        self._gallery_changes += 1
        self._scrub()
        problem = self._refresh_backups()
        return report if problem is None else dataclasses.replace(report, backup_problem=problem)

    def _scrub(self) -> None:
        """Deleted rows are zeroed in place (secure_delete); this also empties the write-ahead log, so
        no older copy of a page (a forgotten customer, a template before sealing) stays on disk."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _refresh_backups(self) -> str | None:
        """After an erasure or a key rotation no older backup copy may remain (Backups.after_change).
        The change itself is committed and stands: a failure here is reported, not raised."""
        try:
            self.backups.after_change()
        except BackupError as exc:
            log.error("%s", exc)
            return str(exc)
        return None

    def _forget_rows(self, customer_ref: str) -> ForgetReport:
        """Inside the caller's transaction."""
        encodings = self.templates.delete(customer_ref)
        self.tokens.forget_customer(customer_ref)
        self.claims.forget_customer(customer_ref)
        self.visit_counts.keep_visits_of(customer_ref)  # the visits happened; only the name goes
        checkins = self._db.execute("DELETE FROM checkins WHERE customer_ref = ?", [customer_ref]).rowcount
        self.outbox.forget_customer(customer_ref)
        self._db.execute("DELETE FROM consents WHERE customer_ref = ?", [customer_ref])
        customers = self._db.execute("DELETE FROM customers WHERE customer_ref = ?", [customer_ref]).rowcount
        return ForgetReport(customer_ref, customers, encodings, checkins)

    def issue_token(self, profile: Profile, consent: Consent, audits: Sequence[AuditRecord] = ()) -> str:
        """A check-in token for a consented customer (their profile and consent stored or updated, no
        templates needed): the scanner path for those who do not want face check-in."""
        now = time.time()
        with self._transaction():
            no_templates = np.zeros((0, 128), np.float32)
            self._enroll_rows(profile, consent, no_templates, replace=False, now=now, role=None)
            token = self.tokens.issue(profile.customer_ref, now)
            for audit in audits:
                self.outbox.enqueue_audit(audit, now)
        return token

    def rotate_key(self, new: TemplateCipher, audit: AuditRecord) -> int:
        """Re-seal every template under `new`, with the audit record, in one transaction."""
        with self._transaction():
            count = self.templates.reseal(new)
            self.outbox.enqueue_audit(audit, time.time())
        self.templates.use(new)
        self._scrub()
        self._refresh_backups()  # copies sealed under the retired key would keep it useful
        return count

    # --- the gallery as the central service sends it -----------------------------------------------

    def apply_gallery_delta(
        self,
        upserts: list[tuple[Profile, Consent, Vectors]],
        deletions: list[str],
        cursor: str | None,
        audits: Sequence[AuditRecord] = (),
        staff: Collection[str] = (),
    ) -> None:
        """One page of central changes, all or nothing, with the cursor that follows it: a power cut
        mid-page leaves the device at the previous cursor, to fetch the page again. Each deletion is
        queued for acknowledgement upstream in the same transaction. An upsert replaces everything,
        its role too: staff when its reference is in `staff`, else customer."""
        now = time.time()
        with self._transaction():
            for profile, consent, vectors in upserts:
                role: Role = "staff" if profile.customer_ref in staff else "customer"
                self._enroll_rows(profile, consent, vectors, replace=True, now=now, role=role)
            for customer_ref in deletions:
                self._forget_rows(customer_ref)
                # No customer_ref column: a later forget must not erase the acknowledgement itself.
                self.outbox.enqueue(
                    "deletion_ack", f"del-{customer_ref}-{now}", {"customer_ref": customer_ref}, now
                )
            for audit in audits:
                self.outbox.enqueue_audit(audit, now)
            self._set_meta("gallery_cursor", cursor)
        if upserts or deletions:  # an empty page moves only the cursor: no gallery to rebuild
            self._gallery_changes += 1
        if deletions:
            self._scrub()
            self._refresh_backups()

    def record_audit(self, *audits: AuditRecord) -> None:
        """Queue audit records for upload, in one transaction; a change with an audit passes it in its own."""
        with self._transaction():
            for audit in audits:
                self.outbox.enqueue_audit(audit, time.time())

    def wipe_gallery(self) -> None:
        """The central service answered 410 Gone: forget every customer and start from scratch."""
        with self._transaction():
            for table in ("encodings", "checkin_tokens", "checkins", "consents", "customers"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            self._set_meta("gallery_cursor", None)
        self._gallery_changes += 1
        self._scrub()
        self._refresh_backups()

    def gallery_cursor(self) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'gallery_cursor'").fetchone()
        return None if row is None else row[0]

    def _set_meta(self, key: str, value: str | None) -> None:
        sql = "INSERT INTO meta (key, value) VALUES (?, ?) "
        sql += "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
        self._db.execute(sql, [key, value])

    def profile(self, customer_ref: str) -> Profile | None:
        with self._lock:
            row = self._db.execute(
                "SELECT greeting_name, language, interests, service_hints, birth_year_band FROM customers "
                "WHERE customer_ref = ?",
                [customer_ref],
            ).fetchone()
        if row is None:
            return None
        interests, hints = tuple(json.loads(row[2])), tuple(json.loads(row[3]))
        return Profile(customer_ref, row[0], row[1], interests, hints, birth_year_band=row[4])

    def gallery_rows(self) -> tuple[list[str], Vectors]:
        """Templates of every customer whose consent is on record, one row per template, opened."""
        return self.templates.gallery_rows()

    def templates_of(self, customer_ref: str) -> Vectors:
        """The templates already held for one customer, oldest first (none: a 0x128 array)."""
        return self.templates.templates_of(customer_ref)

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

    def close(self) -> None:
        with self._lock:
            self._db.close()
