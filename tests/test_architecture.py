"""The layout tells the architecture: imports point one way, and every command is documented."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from device.cli import build_parser
from tests.conftest import REPO

FORBIDDEN = {
    "common": {"device", "drivers", "sync"},
    "drivers": {"device", "sync"},
    "sync": {"drivers", "device"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package: str) -> None:
    for path in sorted((REPO / package).rglob("*.py")):
        wrong = imported_packages(path) & FORBIDDEN[package]
        assert not wrong, f"{path.relative_to(REPO)} imports {sorted(wrong)}"


def test_no_module_grows_past_400_lines() -> None:
    for package in ("common", "device", "drivers", "sync"):
        for path in (REPO / package).rglob("*.py"):
            lines = len(path.read_text().splitlines())
            assert lines <= 400, f"{path.relative_to(REPO)} has {lines} lines: split it by job"


def test_every_cli_command_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.choices and isinstance(a.choices, dict))
    assert isinstance(subparsers.choices, dict)
    for name in subparsers.choices:
        assert re.search(rf"branchdoor {name}\b", readme), (
            f"`branchdoor {name}` is not documented in README.md"
        )


def test_readme_shows_the_two_commands_near_the_top() -> None:
    top = "\n".join((REPO / "README.md").read_text().splitlines()[:40])
    assert "make demo" in top and "make test" in top
