"""The config `branchdoor demo` writes is one the real `config check` accepts: embedded defaults plus
the demo's broker, scene camera, state folder, key and emulated door radar."""

from __future__ import annotations

import stat
from pathlib import Path

from device.config_file import parse_config
from device.demo.run import BRANCH, demo_config


def test_the_demo_config_passes_the_same_checks_as_a_kiosk_config(tmp_path: Path) -> None:
    text = demo_config(tmp_path, 18883, "/dev/pts/99")
    config = parse_config(text, tmp_path / "kiosk.toml")
    assert config.branch.id == BRANCH and config.camera.type == "scene"
    assert config.mqtt.port == 18883 and config.storage.state_dir == tmp_path / "state"
    assert [sensor.id for sensor in config.sensors] == ["door-radar"]
    assert config.floor is not None and [line.name for line in config.floor.door_lines] == ["main door"]
    key = config.privacy.template_key_file
    assert key.parent == tmp_path and stat.S_IMODE(key.stat().st_mode) == 0o600


def test_a_second_demo_run_keeps_its_template_key(tmp_path: Path) -> None:
    demo_config(tmp_path, 18883, "/dev/pts/99")
    first = (tmp_path / "template-key").read_bytes()
    demo_config(tmp_path, 18884, "/dev/pts/98")
    assert (tmp_path / "template-key").read_bytes() == first
