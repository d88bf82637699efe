"""A secret lives in its own file that only the service user can read; anything else refuses the start."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.secret_files import CredentialError, credential_source, read_secret_file


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


UNIT = "[Service]\nLoadCredential=device-secret:/etc/branchdoor/device-secret\nLoadCredential=other:/x\n"
CREDENTIAL = Path("/run/credentials/branchdoor.service/device-secret")


def test_a_systemd_credential_outside_its_unit_is_read_where_the_unit_loads_it_from(tmp_path: Path) -> None:
    (tmp_path / "branchdoor.service").write_text(UNIT)
    found = credential_source(CREDENTIAL, {"SYSTEMD_UNIT_PATH": str(tmp_path)})
    assert found == Path("/etc/branchdoor/device-secret")


def test_the_first_unit_file_on_the_path_is_the_unit_as_for_systemd(tmp_path: Path) -> None:
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    (tmp_path / "first" / "branchdoor.service").write_text("[Service]\n")  # loads no such credential
    (tmp_path / "second" / "branchdoor.service").write_text(UNIT)
    unit_path = f"{tmp_path / 'first'}:{tmp_path / 'second'}"
    assert credential_source(CREDENTIAL, {"SYSTEMD_UNIT_PATH": unit_path}) == CREDENTIAL


def test_any_other_path_or_an_unknown_unit_is_itself(tmp_path: Path) -> None:
    assert credential_source(tmp_path / "secret", {}) == tmp_path / "secret"
    assert credential_source(CREDENTIAL, {"SYSTEMD_UNIT_PATH": str(tmp_path)}) == CREDENTIAL
