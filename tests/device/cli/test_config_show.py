"""`branchdoor config show`: the merged config, defaults filled in, as TOML that reads back as the same
config, each table under the files that set it."""

from __future__ import annotations

from pathlib import Path

import pytest

from device.cli import main
from device.config_file import load_config, parse_config
from tests.conftest import REPO


def installed(tmp_path: Path) -> Path:
    """The shipped template with the shipped example drop-in, as a kiosk holds them."""
    main_file = tmp_path / "branchdoor.toml"
    main_file.write_text((REPO / "config" / "branchdoor.toml").read_text())
    (tmp_path / "branchdoor.d").mkdir()
    example = REPO / "config" / "branchdoor.d" / "50-branch.toml.example"
    (tmp_path / "branchdoor.d" / "50-branch.toml").write_text(example.read_text())
    (tmp_path / "branchdoor.d" / "60-kiosk.toml").write_text(
        '[branch]\ndevice_id = "lounge"\n[cues]\nscreens = { "desk-2" = "advice" }\n'
        '[analytics]\nholidays = ["2026-12-25"]\n'
    )
    return main_file


def test_what_show_prints_reads_back_as_the_same_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = installed(tmp_path)
    assert main(["config", "show", str(path)]) == 0
    shown = capsys.readouterr().out
    assert parse_config(shown, tmp_path / "shown.toml") == load_config(path)


def test_show_says_which_files_set_each_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = installed(tmp_path)
    assert main(["config", "show", "--config", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    branch, kiosk = tmp_path / "branchdoor.d" / "50-branch.toml", tmp_path / "branchdoor.d" / "60-kiosk.toml"
    assert f"# [branch] from: {path}, {branch}, {kiosk}" in lines
    assert f"# [sensors] from: {branch}" in lines
    assert f"# [recognition] from: {path}" in lines
    assert "# [scanner]" not in "\n".join(lines), "an absent optional section is not shown"
