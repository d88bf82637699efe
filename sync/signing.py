"""Device request signatures (HMAC-SHA256), shared by the central service and the device client.

Pure functions: no clock, no I/O. The caller passes the timestamp: the device signs with the server's
time as it last learned it, and tests can sign with any time they like.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER_DEVICE = "X-Device-Id"
HEADER_TIMESTAMP = "X-Timestamp"
HEADER_SIGNATURE = "X-Signature"
MIN_SECRET_BYTES = 32
# A request is fresh while its timestamp is this close to the server's clock, and the server knows
# every signature it accepted for as long as it stays fresh: a captured request is good for nothing.
MAX_SKEW_S = 300
# How a 401 for a timestamp outside that window begins: the device re-reads the answer's Date header
# and signs again with the server's time.
STALE_TIMESTAMP = "timestamp outside the window"
# How a 401 for a signature already used begins. For the device itself it means it repeated a request
# within a second across a restart: safe to sign again a second later.
REPLAYED = "replayed request"


def canonical_message(method: str, path_with_query: str, timestamp: int, body: bytes) -> bytes:
    """`METHOD\\npath?query\\ntimestamp\\nsha256(body) in hex`: what the signature covers.

    The query is part of it, so a cursor or limit cannot be swapped; the body by its hash, so large
    uploads are not copied. The path carries the device id, so one device's signature is no good for
    another device's resources.
    """
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path_with_query}\n{timestamp}\n{digest}".encode()


def sign(secret: bytes, method: str, path_with_query: str, timestamp: int, body: bytes) -> str:
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"a device secret needs at least {MIN_SECRET_BYTES} bytes")
    message = canonical_message(method, path_with_query, timestamp, body)
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify(
    secret: bytes, method: str, path_with_query: str, timestamp: int, body: bytes, signature: str
) -> bool:
    """True when `signature` is this request's; compared in constant time."""
    if len(secret) < MIN_SECRET_BYTES:
        return False
    expected = sign(secret, method, path_with_query, timestamp, body)
    return hmac.compare_digest(expected, signature.strip().lower())


def signed_headers(
    device_id: str, secret: bytes, method: str, path_with_query: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three headers a device sends with every request."""
    return {
        HEADER_DEVICE: device_id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: sign(secret, method, path_with_query, timestamp, body),
    }
