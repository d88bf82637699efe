"""Face templates sealed at rest: AES-256-GCM, a fresh nonce per row, bound to whose template it is.

A sealed blob is `BDT1` + key id (8 bytes) + nonce (12 bytes) + ciphertext and tag. The associated
data names the customer and the embedding model, so a blob copied onto another customer's row, or
read as another model's template, fails authentication instead of greeting the wrong person. The key
id says which key sealed a blob (after a rotation, or a wrong key file) without revealing the key.
"""

from __future__ import annotations

import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"BDT1"
KEY_BYTES = 32
KEY_ID_BYTES = 8
NONCE_BYTES = 12
_HEADER = len(MAGIC) + KEY_ID_BYTES + NONCE_BYTES


class TemplateKeyError(Exception):
    """The template key is missing, unsafe, wrong for this database, or a blob fails authentication."""


def parse_key(text: bytes) -> bytes:
    """A key file holds 64 hex digits (32 random bytes), as `branchdoor keys new` writes it."""
    try:
        key = bytes.fromhex(text.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError) as exc:
        raise TemplateKeyError("a template key file holds 64 hex digits (`branchdoor keys new`)") from exc
    if len(key) != KEY_BYTES:
        raise TemplateKeyError(f"a template key is {KEY_BYTES} bytes (64 hex digits), not {len(key)}")
    return key


def new_key_text() -> bytes:
    return os.urandom(KEY_BYTES).hex().encode("ascii") + b"\n"


def _associated_data(customer_ref: str, model: str) -> bytes:
    return b"branchdoor/template/1\0" + customer_ref.encode() + b"\0" + model.encode()


def is_sealed(blob: bytes) -> bool:
    return blob[: len(MAGIC)] == MAGIC


def key_id_of(blob: bytes) -> str:
    return blob[len(MAGIC) : len(MAGIC) + KEY_ID_BYTES].hex()


class TemplateCipher:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise TemplateKeyError(f"a template key is {KEY_BYTES} bytes")
        self._aead = AESGCM(key)
        self._key_id = hashlib.sha256(b"branchdoor template key id\0" + key).digest()[:KEY_ID_BYTES]

    @property
    def key_id(self) -> str:
        return self._key_id.hex()

    def seal(self, template: bytes, customer_ref: str, model: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)  # 96 random bits per row: no reuse at any gallery size
        sealed = self._aead.encrypt(nonce, template, _associated_data(customer_ref, model))
        return MAGIC + self._key_id + nonce + sealed

    def open(self, blob: bytes, customer_ref: str, model: str) -> bytes:
        if not is_sealed(blob):
            raise TemplateKeyError(f"a template of {customer_ref} is not sealed")
        if blob[len(MAGIC) : len(MAGIC) + KEY_ID_BYTES] != self._key_id:
            raise TemplateKeyError(
                f"a template of {customer_ref} was sealed with key {key_id_of(blob)}, "
                f"this key is {self.key_id}"
            )
        nonce = blob[len(MAGIC) + KEY_ID_BYTES : _HEADER]
        try:
            return self._aead.decrypt(nonce, blob[_HEADER:], _associated_data(customer_ref, model))
        except InvalidTag as exc:
            raise TemplateKeyError(f"a template of {customer_ref} fails authentication (tampered?)") from exc
