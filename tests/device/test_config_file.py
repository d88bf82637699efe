"""The config file: one TOML, typed, unknown keys refused, every error located by file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from device.config import Config
from device.config_file import ConfigError, config_path, find_line, load_config, parse_config
from drivers.camera.opencv_source import OpenCVCameraConfig
from drivers.camera.scene import SceneCameraConfig
from tests.conftest import REPO

MINIMAL = '[branch]\nid = "0042"\n'


def problems(text: str, path: Path = Path("kiosk.toml")) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, path)
    return caught.value.problems


def test_a_branch_id_is_all_a_config_needs() -> None:
    config = parse_config(MINIMAL, Path("kiosk.toml"))
    assert config.branch.id == "0042"
    assert config.recognition.tolerance == 0.5
    assert isinstance(config.camera, OpenCVCameraConfig)


def test_a_misspelt_key_is_named_with_its_line_and_a_suggestion() -> None:
    text = MINIMAL + '\n[camera]\ntype = "opencv"\nsourse = "/dev/video2"\n'
    [problem] = problems(text)
    assert problem.startswith("kiosk.toml:6: camera.sourse: unknown key (did you mean 'source'?)")
    assert "expected one of: type, source," in problem


def test_unknown_table_is_refused() -> None:
    [problem] = problems(MINIMAL + "\n[cammera]\nsource = 0\n")
    assert problem.startswith("kiosk.toml:4: cammera: unknown key (did you mean 'camera'?)")


def test_out_of_range_value_says_what_was_expected() -> None:
    [problem] = problems(MINIMAL + "[recognition]\ntolerance = 0.6\n")
    assert (
        problem == "kiosk.toml:4: recognition.tolerance: Input should be less than or equal to 0.55 (got 0.6)"
    )


def test_missing_branch_id_points_at_its_table() -> None:
    [problem] = problems('[branch]\ndevice_id = "door-2"\n')
    assert problem == "kiosk.toml:1: branch.id: required key is missing"


def test_every_problem_is_reported_at_once() -> None:
    found = problems(MINIMAL + "[mqtt]\nport = 0\nhots = 'x'\n[checkin]\ndedup_window_s = -1\n")
    assert [p.split(":")[1] for p in found] == ["4", "5", "7"]


def test_camera_type_selects_the_driver_model() -> None:
    config = parse_config(MINIMAL + '[camera]\ntype = "scene"\nscript = "door.toml"\n', Path("k.toml"))
    assert isinstance(config.camera, SceneCameraConfig)
    [problem] = problems(MINIMAL + '[camera]\ntype = "scene"\nscript = "d.toml"\nwidth = 640\n')
    assert "camera.width: unknown key" in problem
    assert "expected one of: type, script, realtime, loop" in problem


def test_unknown_camera_type_lists_the_known_ones() -> None:
    [problem] = problems(MINIMAL + '[camera]\ntype = "usb"\n')
    assert problem.startswith("kiosk.toml:4: camera.type: ")
    assert "'opencv'" in problem and "'scene'" in problem


def test_broken_toml_gives_the_line() -> None:
    [problem] = problems(MINIMAL + "[mqtt\nport = 1\n")
    assert problem.startswith("kiosk.toml:3: not valid TOML")


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "absent.toml")


def test_config_path_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRANCHDOOR_CONFIG", "/env/branchdoor.toml")
    assert config_path("/cli.toml") == Path("/cli.toml")
    assert config_path(None) == Path("/env/branchdoor.toml")
    monkeypatch.delenv("BRANCHDOOR_CONFIG")
    assert config_path(None) == Path("/etc/branchdoor/branchdoor.toml")


def test_find_line_handles_dotted_keys_and_arrays_of_tables() -> None:
    text = 'a.b = 1\n[t]\nx = 1\n[[arr]]\nk = 1\n[[arr]]\nk = 2\n[t.sub]\n"q" = 3\n'
    assert find_line(text, ("a", "b")) == 1
    assert find_line(text, ("arr", 1, "k")) == 7
    assert find_line(text, ("t", "sub", "q")) == 9
    assert find_line(text, ("t", "missing")) == 2


def test_the_shipped_example_config_is_valid_and_states_the_defaults() -> None:
    """config/branchdoor.toml documents every setting with its default: it must equal the defaults."""
    shipped = load_config(REPO / "config" / "branchdoor.toml")
    defaults = Config.model_validate({"branch": {"id": shipped.branch.id}})
    assert shipped == defaults


def test_the_shipped_example_mentions_every_setting() -> None:
    text = (REPO / "config" / "branchdoor.toml").read_text()
    sections: dict[str, list[type[BaseModel]]] = {
        name: [field.annotation] if isinstance(field.annotation, type) else []
        for name, field in Config.model_fields.items()
    }
    sections["camera"] = [OpenCVCameraConfig, SceneCameraConfig]
    for section_name, models in sections.items():
        assert f"[{section_name}]" in text
        for model in models:
            for key in model.model_fields:
                assert f"{key} =" in text, f"config/branchdoor.toml does not document {section_name}.{key}"
