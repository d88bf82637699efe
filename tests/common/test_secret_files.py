"""A secret lives in its own file that only the service user can read; anything else refuses the start."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.secret_files import CredentialError, read_secret_file


def test_a_private_file_is_read_without_surrounding_whitespace(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_bytes(b"  0123456789abcdef\n")
    path.chmod(0o600)
    assert read_secret_file(path, "test secret", 16) == b"0123456789abcdef"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_a_file_group_or_others_can_read_is_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "secret"
    path.write_bytes(b"0123456789abcdef")
    path.chmod(mode)
    with pytest.raises(CredentialError, match="chmod 600"):
        read_secret_file(path, "test secret", 16)


def test_a_missing_file_names_the_file_and_what_it_should_hold(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match=r"missing: cannot read the test secret"):
        read_secret_file(tmp_path / "missing", "test secret", 16)


def test_a_short_secret_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_bytes(b"short")
    path.chmod(0o400)
    with pytest.raises(CredentialError, match="at least 16 bytes"):
        read_secret_file(path, "test secret", 16)
