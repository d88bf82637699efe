"""Checking a device's signed request: the secret proves who it is, the timestamp that it is fresh, and
the seen-signature log that it is not a replay of a fresh one."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, Security
from fastapi.security import APIKeyHeader

from sync.central_sim.db import CentralDb
from sync.central_sim.device_keys import secret_of
from sync.signing import (
    HEADER_DEVICE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    MAX_SKEW_S,
    REPLAYED,
    STALE_TIMESTAMP,
    verify,
)

# Declared as security schemes so the contract documents them; checked together below.
_device = APIKeyHeader(
    name=HEADER_DEVICE,
    scheme_name="DeviceId",
    description="The device's id; must equal {device_id} in the path.",
    auto_error=False,
)
_timestamp = APIKeyHeader(
    name=HEADER_TIMESTAMP,
    scheme_name="Timestamp",
    description=f"Unix seconds by the server's clock, as the device last learned it from the `Date` "
    f"header of an answer: refused more than {MAX_SKEW_S} s from it (401, `{STALE_TIMESTAMP}`).",
    auto_error=False,
)
_signature = APIKeyHeader(
    name=HEADER_SIGNATURE,
    scheme_name="Signature",
    description="Lower-case hex HMAC-SHA256, keyed with the device secret, over "
    "`METHOD\\npath?query\\nX-Timestamp\\nhex(sha256(body))`.",
    auto_error=False,
)


def _refuse(reason: str) -> HTTPException:
    return HTTPException(401, detail=reason, headers={"WWW-Authenticate": "BranchdoorHMAC"})


async def authenticate(
    request: Request,
    device_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")],
    header_device: Annotated[str | None, Security(_device)],
    header_timestamp: Annotated[str | None, Security(_timestamp)],
    header_signature: Annotated[str | None, Security(_signature)],
) -> str:
    """The authenticated device id, checked against the app's `secrets` and its seen-signature log."""
    db: CentralDb = request.app.state.db
    if not (header_device and header_timestamp and header_signature):
        raise _refuse(f"unsigned: send {HEADER_DEVICE}, {HEADER_TIMESTAMP} and {HEADER_SIGNATURE}")
    if header_device != device_id:
        raise _refuse(f"{HEADER_DEVICE} does not match the device in the path")
    try:
        timestamp = int(header_timestamp)
    except ValueError:
        raise _refuse(f"{HEADER_TIMESTAMP} is not unix seconds") from None
    secret = secret_of(request.app.state.secrets, device_id)
    # The exact path and query of the request line: percent-encoding is signed as sent.
    target = request.scope["raw_path"].decode("latin-1")
    if request.scope["query_string"]:
        target += "?" + request.scope["query_string"].decode("latin-1")
    body = await request.body()
    if secret is None or not verify(secret, request.method, target, timestamp, body, header_signature):
        raise _refuse("bad signature")
    now = time.time()
    # After the signature: only the device itself learns that its clock is off, and by how much.
    if abs(timestamp - now) > MAX_SKEW_S:
        raise _refuse(
            f"{STALE_TIMESTAMP}: {HEADER_TIMESTAMP} is {timestamp - now:+.0f} s from the server's clock "
            f"(allowed: {MAX_SKEW_S} s either way); sign again with the time in this answer's Date header"
        )
    if not db.first_use_of_signature(device_id, timestamp, header_signature.strip().lower(), now):
        raise _refuse(f"{REPLAYED}: this signature was already used")
    return device_id


AuthenticatedDevice = Annotated[str, Depends(authenticate)]
