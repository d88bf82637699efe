"""`[mqtt]`: a broker off this machine is reached over TLS, whatever its name looks like."""

from __future__ import annotations

from pathlib import Path

import pytest

from device.cli import main
from device.config_file import ConfigError, parse_config

TLS = '[mqtt.tls]\nca_file = "/etc/ca.pem"\ncert_file = "/etc/kiosk.pem"\nkey_file = "/etc/kiosk.key"\n'


def test_a_host_named_like_this_machine_is_a_network_host_for_config_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue #14: "127.evil.example" passed the plaintext guard, which was a string prefix."""
    path = tmp_path / "kiosk.toml"
    path.write_text('[branch]\nid = "0427"\n[mqtt]\nhost = "127.evil.example"\n')
    assert main(["config", "check", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"{path}:3: mqtt: Value error, plaintext MQTT to 127.evil.example carries cues unencrypted: "
        "configure [mqtt.tls] (or allow_plaintext = true on a lab network)\n"
    )
    path.write_text('[branch]\nid = "0427"\n[mqtt]\nhost = "127.evil.example"\n' + TLS)
    assert main(["config", "check", "--file-only", str(path)]) == 0  # TLS files of another machine


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("127.1", "looks like an IP address but is not one"),  # 127.0.0.1 to a C resolver
        ("0x7f.0.0.1", "looks like an IP address but is not one"),
        ("10.4.27.2:1883", "neither an IP address nor a host name"),
        ("[::1]", "neither an IP address nor a host name"),
        ("mqtt://broker.lan", "neither an IP address nor a host name"),
    ],
)
def test_a_host_that_cannot_be_judged_is_refused_at_its_line(host: str, why: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(f'[branch]\nid = "0427"\n[mqtt]\nhost = "{host}"\n' + TLS, Path("k.toml"))
    [problem] = refused.value.problems
    assert problem.startswith("k.toml:4: mqtt.host: Value error, ") and why in problem


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1", "10.4.27.2", "broker.branch0427.lan"])
def test_ordinary_hosts_are_accepted(host: str) -> None:
    parse_config(f'[branch]\nid = "0427"\n[mqtt]\nhost = "{host}"\n' + TLS, Path("k.toml"))
