"""The merge rules of a template and its drop-ins: tables key by key, anything else replaced whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from device.config_merge import dropin_folder, dropins, merge, origins, setter


def test_tables_merge_key_by_key_and_a_later_layer_wins() -> None:
    template = {"branch": {"id": "CHANGE-ME", "device_id": "door-1"}, "mqtt": {"host": "a", "port": 1883}}
    branch = {"branch": {"id": "0427"}, "mqtt": {"host": "broker.0427.lan"}}
    kiosk = {"branch": {"device_id": "door-2"}}
    assert merge([template, branch, kiosk]) == {
        "branch": {"id": "0427", "device_id": "door-2"},
        "mqtt": {"host": "broker.0427.lan", "port": 1883},
    }


def test_arrays_and_arrays_of_tables_are_replaced_whole() -> None:
    template = {"sensors": [{"id": "a"}, {"id": "b"}], "analytics": {"holidays": ["2026-12-25"]}}
    branch = {"sensors": [{"id": "c"}], "analytics": {"holidays": []}}
    assert merge([template, branch]) == {"sensors": [{"id": "c"}], "analytics": {"holidays": []}}


def test_nested_tables_merge_at_every_depth() -> None:
    template = {"floor": {"placements": {"radar": {"x_m": 1, "y_m": 2}}}}
    branch = {"floor": {"placements": {"radar": {"y_m": 3}, "tof": {"x_m": 0}}}}
    assert merge([template, branch]) == {
        "floor": {"placements": {"radar": {"x_m": 1, "y_m": 3}, "tof": {"x_m": 0}}}
    }


def test_the_setter_of_a_value_is_the_last_layer_holding_it() -> None:
    template = {"mqtt": {"host": "a", "port": 1883}, "sensors": [{"id": "a", "port": "/dev/x"}]}
    branch = {"mqtt": {"host": "b"}, "sensors": [{"id": "c"}]}
    layers = [template, branch]
    assert setter(("mqtt", "host"), layers) == 1
    assert setter(("mqtt", "port"), layers) == 0
    # The branch's sensor list replaced the template's: a key its sensor lacks is the branch's to set.
    assert setter(("sensors", 0, "port"), layers) == 1
    # A key nobody set: the last layer holding its table; nothing at all: the template.
    assert setter(("mqtt", "username"), layers) == 1
    assert setter(("scanner", "port"), layers) == 0
    assert setter((), layers) == 0


def test_a_table_replacing_a_value_owns_what_is_below_it() -> None:
    layers: list[dict[str, Any]] = [{"mqtt": "oops"}, {"mqtt": {"host": "b"}}, {"camera": {"type": "scene"}}]
    assert setter(("mqtt", "port"), layers) == 1
    assert origins(layers) == {"mqtt": [1], "camera": [2]}


def test_origins_list_every_layer_that_set_part_of_a_table() -> None:
    layers: list[dict[str, Any]] = [
        {"branch": {"id": "x"}, "sensors": [{}]},
        {"branch": {"id": "y"}},
        {"sensors": []},
    ]
    assert origins(layers) == {"branch": [0, 1], "sensors": [2]}


def test_drop_ins_are_the_toml_files_beside_the_file_in_lexical_order(tmp_path: Path) -> None:
    main = tmp_path / "branchdoor.toml"
    assert dropin_folder(main) == tmp_path / "branchdoor.d"
    assert dropins(main) == []  # no folder: no drop-ins, no error
    folder = tmp_path / "branchdoor.d"
    folder.mkdir()
    for name in (
        "60-kiosk.toml",
        "50-branch.toml",
        "50-branch.toml~",
        ".#50-branch.toml",
        "README",
        "x.toml.swp",
    ):
        (folder / name).write_text("")
    assert dropins(main) == [folder / "50-branch.toml", folder / "60-kiosk.toml"]
