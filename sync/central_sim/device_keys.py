"""Each device's secret, derived from one master secret: the sim keeps no table of secrets, and one
device's secret opens nothing of another's."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from sync.signing import MIN_SECRET_BYTES

_LABEL = b"branchdoor device secret\n"


@dataclass(frozen=True, slots=True)
class MasterSecret:
    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) < MIN_SECRET_BYTES:
            raise ValueError(f"a master secret needs at least {MIN_SECRET_BYTES} bytes")

    def for_device(self, device_id: str) -> bytes:
        """HMAC-SHA256(master, label + device id) in hex: what goes into that device's secret file.

        Hex text, not raw bytes, because the device uses its file's text as the key, as it is."""
        return hmac.new(self.key, _LABEL + device_id.encode(), hashlib.sha256).hexdigest().encode()


# Per device id, as a table (tests, the demo) or derived from a master secret (the command line).
DeviceSecrets = Mapping[str, bytes] | MasterSecret


def secret_of(secrets: DeviceSecrets, device_id: str) -> bytes | None:
    return secrets.for_device(device_id) if isinstance(secrets, MasterSecret) else secrets.get(device_id)
