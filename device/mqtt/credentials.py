"""What the kiosk proves itself to the broker with: a password file or a TLS client certificate.

Both are read once at start; any problem refuses the start with the setting, the file and the reason
(`CredentialError`), as for the template key and the central service's device secret.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from common.secret_files import CredentialError, read_secret_file
from device.mqtt.config import MqttTlsConfig


def read_password(path: Path | None) -> str | None:
    if path is None:
        return None
    return read_secret_file(path, "mqtt.password_file", 1).decode()


def tls_context(tls: MqttTlsConfig) -> ssl.SSLContext:
    """Verify the broker against the branch CA and present our certificate. Any problem refuses the
    start with the file and the reason (CredentialError); an encrypted key fails here instead of
    prompting on a terminal nobody watches at boot."""
    read_secret_file(tls.key_file, "mqtt.tls.key_file", 32)  # exists, and no one else can read it

    def no_password() -> str:
        raise ssl.SSLError(f"{tls.key_file} is encrypted: the kiosk needs an unencrypted 0600 key")

    try:
        context = ssl.create_default_context(cafile=str(tls.ca_file))
    except (OSError, ssl.SSLError) as exc:
        raise CredentialError(f"mqtt.tls.ca_file {tls.ca_file}: {exc}") from exc
    try:
        context.load_cert_chain(str(tls.cert_file), str(tls.key_file), password=no_password)
    except (OSError, ssl.SSLError) as exc:
        raise CredentialError(f"mqtt.tls.cert_file/key_file {tls.cert_file}, {tls.key_file}: {exc}") from exc
    return context
