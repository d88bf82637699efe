"""The kiosk's broker credentials: any problem refuses the start, naming the setting, file and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.secret_files import CredentialError
from device.mqtt.config import MqttTlsConfig
from device.mqtt.credentials import read_password, tls_context
from tests.certs import BranchCA


@pytest.fixture
def issued(tmp_path: Path) -> MqttTlsConfig:
    ca = BranchCA(tmp_path)
    kiosk = ca.issue("kiosk-0427-door-1")
    return MqttTlsConfig(ca_file=ca.ca_file, cert_file=kiosk.cert, key_file=kiosk.key)


def test_a_complete_certificate_set_loads(issued: MqttTlsConfig) -> None:
    assert tls_context(issued).verify_mode.name == "CERT_REQUIRED"


def test_a_private_key_others_can_read_is_refused(issued: MqttTlsConfig) -> None:
    issued.key_file.chmod(0o644)
    with pytest.raises(CredentialError, match=r"readable by group or others .*chmod 600"):
        tls_context(issued)


@pytest.mark.parametrize("missing", ["ca_file", "cert_file", "key_file"])
def test_a_missing_file_names_the_setting(issued: MqttTlsConfig, missing: str) -> None:
    broken = issued.model_copy(update={missing: issued.ca_file.with_name("absent.pem")})
    with pytest.raises(CredentialError) as refused:
        tls_context(broken)
    assert "mqtt.tls." in str(refused.value) and "absent.pem" in str(refused.value)


def test_a_password_file_others_can_read_is_refused(tmp_path: Path) -> None:
    password = tmp_path / "mqtt-password"
    password.write_text("kiosk-pw\n")
    password.chmod(0o644)
    with pytest.raises(CredentialError, match="readable by group or others"):
        read_password(password)
    password.chmod(0o600)
    assert read_password(password) == "kiosk-pw"
