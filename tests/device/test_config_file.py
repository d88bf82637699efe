"""The config file: one TOML, typed, unknown keys refused, every error located by file, line and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from device.config import Config
from device.config_file import (
    MAX_CONFIG_BYTES,
    ConfigError,
    config_path,
    load_config,
    parse_config,
)
from device.config_lines import find_line
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
    # A key of the opencv camera is ignored (tests/device/test_camera_config.py); one of no camera is not.
    [problem] = problems(MINIMAL + '[camera]\ntype = "scene"\nscript = "d.toml"\nwidth = 640\nzoom = 2\n')
    assert "camera.zoom: unknown key" in problem
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
    # A dotted key creates the tables it runs through; an array of tables starts at its first header.
    assert find_line("[t]\nx = 1\na.b.c = 2\n[u.v.w]\n", ("t", "a")) == 3
    assert find_line("[t]\nx = 1\na.b.c = 2\n[u.v.w]\n", ("u",)) == 4
    assert find_line(text, ("arr",)) == 4


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


SENSOR = '[[sensors]]\nid = "radar"\ntype = "ld2450"\nport = "/dev/ttyUSB0"\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # inf and nan are TOML; no setting means them, and 200 MB * inf overflowed in `run`.
        (
            "[storage]\noutbox_budget_mb = inf\n",
            "4: storage.outbox_budget_mb: Input should be a finite number",
        ),
        (
            "[storage]\noutbox_budget_mb = 1e400\n",
            "4: storage.outbox_budget_mb: Input should be a finite number",
        ),
        ("[recognition]\ntolerance = nan\n", "4: recognition.tolerance: Input should be a finite number"),
        (
            "[storage]\noutbox_budget_mb = 1e300\n",
            "4: storage.outbox_budget_mb: Input should be less than or",
        ),
        (
            "[camera]\nwidth = " + "9" * 5000 + "\n",
            "4: a number too long to read: Exceeds the limit (4300 digits)",
        ),
        # tomllib recurses once per level: 500 levels was a RecursionError.
        (
            "[analytics]\nholidays = " + "[" * 500 + "]" * 500 + "\n",
            "4: arrays and inline tables nested more",
        ),
        (
            "[cues]\nscreens = " + "{a=" * 300 + "1" + "}" * 300 + "\n",
            "4: arrays and inline tables nested more",
        ),
        ("[mqtt]\nport = ", "4: not valid TOML: Invalid value (at end of document)"),
        (
            '[storage]\nstate_dir = "/var/lib/\\u0000x"\n',
            "4: storage.state_dir: control character in a value",
        ),
        ('[mqtt]\n"a\\nb" = 1\n', "3: mqtt.a\\nb: control character in a key name"),  # shown escaped
        # An error of the whole config points at the key it is about (once: no line at all).
        (SENSOR, "3: sensors: Value error, sensors need a [floor] plan to place them on"),
        (SENSOR + SENSOR, "8: sensors.1.id: Value error, sensor ids must be unique: 'radar' is used twice"),
        (
            SENSOR + "[floor]\nwidth_m = 5\ndepth_m = 5\n",
            "4: sensors.0.id: Value error, no [floor.placements]",
        ),
    ],
)
def test_every_problem_has_a_line_and_no_traceback(text: str, expected: str) -> None:
    found = problems(MINIMAL + text)
    assert found[0].startswith(f"kiosk.toml:{expected}"), found


def test_a_file_that_is_not_utf8_is_refused_at_the_line_of_the_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_bytes(MINIMAL.encode() + b'[camera]\nsource = "/dev/vid\xe9o0"\n')
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert refused.value.problems == [f"{path}:4: not valid UTF-8 (byte 0xe9): save it as UTF-8"]


def test_whole_file_problems_are_at_line_1(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as absent:
        load_config(tmp_path / "absent.toml")
    assert absent.value.problems == [
        f"{tmp_path / 'absent.toml'}:1: cannot read config file: No such file or directory"
    ]
    huge = tmp_path / "huge.toml"
    huge.write_bytes(MINIMAL.encode() + b"#" * (MAX_CONFIG_BYTES + 1))
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(huge))}:1: larger than 1024 KiB"):
        load_config(huge)


def test_a_long_value_is_shown_cut_short() -> None:
    [problem] = problems(MINIMAL + f'[mqtt]\nport = "{"9" * 500}"\n')
    assert problem.endswith("…)") and len(problem) < 200


def kiosk_with_dropins(tmp_path: Path, template: str, **dropins: str) -> Path:
    """The template as branchdoor.toml, each drop-in as branchdoor.d/<name>.toml."""
    main = tmp_path / "branchdoor.toml"
    main.write_text(template)
    folder = tmp_path / "branchdoor.d"
    folder.mkdir()
    for name, text in dropins.items():
        (folder / f"{name.replace('_', '-')}.toml").write_text(text)
    return main


def refusal(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    return refused.value.problems


TEMPLATE = '[branch]\nid = "CHANGE-ME"\n[mqtt]\nport = 1883\ntopic_prefix = "bank"\n'


def test_drop_ins_beside_the_file_are_merged_over_it_in_lexical_order(tmp_path: Path) -> None:
    main = kiosk_with_dropins(
        tmp_path,
        TEMPLATE,
        b60_kiosk='[branch]\ndevice_id = "door-2"\n',
        a50_branch='[branch]\nid = "0427"\ndevice_id = "door-1"\n[mqtt]\nport = 1884\n',
    )
    config = load_config(main)
    assert (config.branch.id, config.branch.device_id) == ("0427", "door-2")
    assert (config.mqtt.port, config.mqtt.topic_prefix) == (1884, "bank")


def test_an_unknown_key_in_a_drop_in_is_refused_at_its_file_and_line(tmp_path: Path) -> None:
    main = kiosk_with_dropins(tmp_path, TEMPLATE, branch='[branch]\nid = "0427"\n\n[mqtt]\nhots = "x"\n')
    [problem] = refusal(main)
    assert problem.startswith(f"{tmp_path / 'branchdoor.d' / 'branch.toml'}:5: mqtt.hots: unknown key")


def test_a_bad_value_is_located_in_the_drop_in_that_set_it_not_the_template(tmp_path: Path) -> None:
    main = kiosk_with_dropins(tmp_path, TEMPLATE, branch='[branch]\nid = "0427"\n[mqtt]\nport = 0\n')
    assert refusal(main) == [
        f"{tmp_path / 'branchdoor.d' / 'branch.toml'}:4: mqtt.port: Input should be greater than or equal "
        "to 1 (got 0)"
    ]


def test_a_sensor_list_replaced_by_a_drop_in_is_the_drop_in_s_to_complete(tmp_path: Path) -> None:
    """[[sensors]] is replaced whole: the template's sensor had its port, the drop-in's has none."""
    template = (
        TEMPLATE + SENSOR + "[floor]\nwidth_m = 5\ndepth_m = 5\n[floor.placements.radar]\nx_m = 1\ny_m = 1\n"
    )
    dropin = '[branch]\nid = "0427"\n[[sensors]]\nid = "radar"\ntype = "ld2450"\n'
    main = kiosk_with_dropins(tmp_path, template, branch=dropin)
    assert refusal(main) == [
        f"{tmp_path / 'branchdoor.d' / 'branch.toml'}:3: sensors.0.port: required key is missing"
    ]


def test_a_template_problem_stays_in_the_template(tmp_path: Path) -> None:
    main = kiosk_with_dropins(tmp_path, TEMPLATE + "keepalive_s = 1\n", branch='[branch]\nid = "0427"\n')
    [problem] = refusal(main)
    assert problem.startswith(f"{main}:6: mqtt.keepalive_s: Input should be greater than or equal to 5")


def test_every_file_s_problems_are_reported_at_once_in_their_order(tmp_path: Path) -> None:
    main = kiosk_with_dropins(
        tmp_path,
        TEMPLATE + "[camera]\nwidht = 1\n",
        a_branch="[branch\nid = 1\n",
        b_kiosk='[logging]\nlevel = "\\u0007"\n',
    )
    found = refusal(main)
    folder = tmp_path / "branchdoor.d"
    assert [p.split(": ")[0] for p in found] == [
        f"{folder / 'a-branch.toml'}:1",
        f"{folder / 'b-kiosk.toml'}:2",
    ]
    assert "not valid TOML" in found[0] and "control character" in found[1]


def test_a_drop_in_folder_that_is_not_a_folder_is_refused(tmp_path: Path) -> None:
    main = tmp_path / "branchdoor.toml"
    main.write_text(MINIMAL)
    (tmp_path / "branchdoor.d").write_text("not a folder\n")
    assert refusal(main) == [f"{tmp_path / 'branchdoor.d'}:1: cannot read drop-in folder: Not a directory"]


def test_the_shipped_template_and_example_drop_in_make_a_kiosk(tmp_path: Path) -> None:
    main = tmp_path / "branchdoor.toml"
    main.write_text((REPO / "config" / "branchdoor.toml").read_text())
    (tmp_path / "branchdoor.d").mkdir()
    example = (REPO / "config" / "branchdoor.d" / "50-branch.toml.example").read_text()
    (tmp_path / "branchdoor.d" / "50-branch.toml").write_text(example)
    config = load_config(main)
    assert (config.branch.id, config.branch.device_id) == ("0427", "door-1")
    assert config.mqtt.tls is not None and config.floor is not None
    assert [sensor.id for sensor in config.sensors] == list(config.floor.placements)
    # As shipped, the example beside the template is not a drop-in (it does not end in .toml).
    assert load_config(REPO / "config" / "branchdoor.toml").branch.id == "CHANGE-ME"
