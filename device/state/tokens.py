"""Check-in tokens: what a customer without a face template shows the kiosk's QR/card scanner.

A token is an opaque random string printed on a card or shown as a QR code; it is never an account,
card or ID number, and says nothing about its holder. The device keeps only its SHA-256 (like a
password hash: a copied database yields no working card) mapped to the pseudonymous customer ref.
Shares the store's connection, lock and transactions, like the outbox and the template vault.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from device.state.part import StorePart

SCHEMA = """
CREATE TABLE IF NOT EXISTS checkin_tokens (
    token_hash TEXT PRIMARY KEY,
    customer_ref TEXT NOT NULL REFERENCES customers(customer_ref) ON DELETE CASCADE,
    issued_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS checkin_tokens_by_customer ON checkin_tokens(customer_ref);
"""
PREFIX = "BDT-"
# 26 characters of base32: 130 random bits; what a QR code or a Code 128 card barcode carries easily.
TOKEN_PATTERN = re.compile(r"^BDT-[A-Z2-7]{26}$")


def new_token() -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return PREFIX + "".join(secrets.choice(alphabet) for _ in range(26))


def well_formed(token: str) -> bool:
    return TOKEN_PATTERN.fullmatch(token) is not None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class TokenBook(StorePart):
    SCHEMA = SCHEMA

    def issue(self, customer_ref: str, now: float) -> str:
        """Inside the caller's transaction, which holds the customer's profile and consent."""
        token = new_token()
        self._db.execute(
            "INSERT INTO checkin_tokens (token_hash, customer_ref, issued_at) VALUES (?, ?, ?)",
            [_hash(token), customer_ref, now],
        )
        return token

    def holder(self, token: str) -> str | None:
        """The customer a well-formed token was issued to (with their consent still held), else None."""
        if not well_formed(token):
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT t.customer_ref FROM checkin_tokens t "
                "JOIN consents c ON c.customer_ref = t.customer_ref WHERE t.token_hash = ?",
                [_hash(token)],
            ).fetchone()
        return None if row is None else str(row[0])

    def forget_customer(self, customer_ref: str) -> int:
        """Inside the transaction that forgets the customer."""
        return int(
            self._db.execute("DELETE FROM checkin_tokens WHERE customer_ref = ?", [customer_ref]).rowcount
        )
