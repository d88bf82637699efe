"""Signatures: a device's request verifies, and any change to what it covers breaks it."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.secret_files import CredentialError
from sync.credentials import read_device_secret
from sync.signing import canonical_message, sign, signed_headers, verify

SECRET = b"k" * 32
REQUEST = ("POST", "/v1/devices/door-1/checkins", 1_764_408_859, b'{"records": []}')


def test_a_signature_verifies_with_the_same_secret_and_request() -> None:
    signature = sign(SECRET, *REQUEST)
    assert len(signature) == 64 and signature == signature.lower()
    assert verify(SECRET, *REQUEST, signature)
    assert verify(SECRET, *REQUEST, signature.upper())


@pytest.mark.parametrize(
    "tampered",
    [
        ("GET", *REQUEST[1:]),
        (REQUEST[0], "/v1/devices/door-2/checkins", *REQUEST[2:]),
        (REQUEST[0], REQUEST[1] + "?limit=1", *REQUEST[2:]),
        (*REQUEST[:2], REQUEST[2] + 1, REQUEST[3]),
        (*REQUEST[:3], b'{"records": [1]}'),
    ],
    ids=["method", "path", "query", "timestamp", "body"],
)
def test_changing_anything_signed_breaks_the_signature(tampered: tuple[str, str, int, bytes]) -> None:
    assert not verify(SECRET, *tampered, sign(SECRET, *REQUEST))


def test_another_secret_does_not_verify() -> None:
    assert not verify(b"j" * 32, *REQUEST, sign(SECRET, *REQUEST))


def test_the_canonical_message_is_the_documented_one() -> None:
    message = canonical_message("get", "/v1/devices/door-1/gallery?limit=5", 7, b"")
    empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert message == f"GET\n/v1/devices/door-1/gallery?limit=5\n7\n{empty_sha256}".encode()


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        sign(b"short", *REQUEST)
    assert not verify(b"short", *REQUEST, "00")


def test_signed_headers_carry_device_timestamp_and_signature() -> None:
    headers = signed_headers("door-1", SECRET, *REQUEST)
    assert headers["X-Device-Id"] == "door-1"
    assert headers["X-Timestamp"] == str(REQUEST[2])
    assert verify(SECRET, *REQUEST, headers["X-Signature"])


def test_the_secret_file_must_be_private(tmp_path: Path) -> None:
    path = tmp_path / "device-secret"
    path.write_bytes(b"a" * 40 + b"\n")
    path.chmod(0o600)
    assert read_device_secret(path) == b"a" * 40
    path.chmod(0o640)
    with pytest.raises(CredentialError, match="chmod 600"):
        read_device_secret(path)
    path.chmod(0o600)
    path.write_bytes(b"too short\n")
    with pytest.raises(CredentialError, match="at least 32"):
        read_device_secret(path)
    with pytest.raises(CredentialError, match="cannot read"):
        read_device_secret(tmp_path / "missing")
