"""Gallery cursors: opaque to devices, an (epoch, sequence number) pair to the server."""

from __future__ import annotations

import base64
import binascii
import json


class BadCursor(ValueError):
    pass


def encode(epoch: int, seq: int) -> str:
    raw = json.dumps({"e": epoch, "s": seq}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[int, int]:
    """(epoch, seq); BadCursor when the text is no cursor this server handed out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        fields = json.loads(raw)
        epoch, seq = fields["e"], fields["s"]
    except (binascii.Error, ValueError, TypeError, KeyError) as error:
        raise BadCursor(cursor) from error
    if not isinstance(epoch, int) or not isinstance(seq, int) or seq < 0:
        raise BadCursor(cursor)
    return epoch, seq
