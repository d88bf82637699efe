"""The layout tells the architecture, and these tests keep it telling the truth.

In the spirit of Home Assistant's hassfest: a table says which device package may import which, and a
new import that breaks it, or closes a loop, fails the build with the file, the import and the rule.
docs/ARCHITECTURE.md shows the same table; change both together.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from device.cli import build_parser
from tests.conftest import REPO

# Top-level packages: which others each may import. Imports point one way: common <- drivers, sync <- device.
LAYERS: dict[str, set[str]] = {
    "common": set(),
    "drivers": {"common"},
    "sync": {"common"},
    "device": {"common", "drivers", "sync"},
}

# Everything in device/ may import the records in device/domain.py.
EVERYONE_MAY_IMPORT = {"domain"}
CAPABILITIES = {
    "state", "privacy", "mqtt", "floor", "recognition", "checkin", "cues", "central", "analytics",
    "enrollment", "dashboard", "staffing",
}  # fmt: skip
# device.<package or root module> -> the device packages and root modules it may import, besides
# itself and domain. The root `config` composes the sections: it may import every package's
# `config` module and nothing else of theirs (see test_config_modules_are_leaves).
DEVICE_MAY_IMPORT: dict[str, set[str]] = {
    "domain": set(),
    "config": set(),
    "config_file": {"config", "config_lines", "config_merge"},
    "config_lines": set(),
    "config_merge": set(),
    "state": set(),
    "privacy": {"state"},
    "mqtt": set(),
    "floor": set(),
    "dashboard": set(),
    "checkin": {"state", "privacy"},
    "recognition": {"state", "checkin"},
    "cues": {"mqtt", "state"},
    "central": {"state", "privacy"},
    "analytics": {"state", "floor"},
    "staffing": {"analytics", "floor"},
    "enrollment": {"state", "recognition"},
    "runtime": {"config"} | CAPABILITIES,
    "demo": {"recognition", "enrollment", "privacy"},
    "cli": {"config", "config_file", "config_merge", "runtime", "demo"} | CAPABILITIES,
    "__main__": {"cli"},
    "__init__": set(),
}
# Where SQL may be written: the store's parts, the floor's own tables, the analytics reads over the
# store's tables, and the reference central service's database.
SQL_ALLOWED = (
    "device/state/",
    "device/floor/bins_store.py",
    "device/analytics/data.py",
    "sync/central_sim/db.py",
    "common/sqlite_transaction.py",  # BEGIN IMMEDIATE / COMMIT / ROLLBACK for the three above
)
SQL_STATEMENT = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|BEGIN|COMMIT|ROLLBACK|WITH|VACUUM)\b"
)
SQL_CALLS = {"execute", "executemany", "executescript"}
SOURCE_PACKAGES = ("common", "device", "drivers", "sync")


@dataclass(frozen=True, slots=True)
class Import:
    path: Path  # the importing file, relative to the repository
    line: int
    module: str  # the imported module, absolute


def sources(package: str) -> Iterator[Path]:
    yield from sorted((REPO / package).rglob("*.py"))


def imports_of(path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(), filename=str(path))
    relative = path.relative_to(REPO)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(relative, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in ("device", "device.cli", "device.runtime", "device.demo"):
                # `from device.x import submodule`: the submodule is what is imported
                for alias in node.names:
                    yield Import(relative, node.lineno, f"{node.module}.{alias.name}")
            else:
                yield Import(relative, node.lineno, node.module)


def device_unit(module: str) -> str:
    """The package of device/ a module belongs to, or the root module's own name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def device_imports() -> Iterator[tuple[str, str, Import]]:
    """(importing unit, imported unit, the import) for every import of device/ code inside device/."""
    for path in sources("device"):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        unit = device_unit(module)
        for found in imports_of(path):
            if found.module.split(".")[0] == "device":
                target = device_unit(found.module)
                if target != unit:
                    yield unit, target, found


def unit_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for unit, target, _ in device_imports():
        graph.setdefault(unit, set()).add(target)
    return graph


def find_loop(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle in `graph`, as the path that closes it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt] if nxt in path else [*path, node, nxt]
            if nxt not in state and (loop := visit(nxt, [*path, nxt])):
                return loop
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (loop := visit(start, [start])):
            return loop
    return None


@pytest.mark.parametrize("package", SOURCE_PACKAGES)
def test_imports_point_one_way(package: str) -> None:
    others = set(LAYERS) - {package}
    for path in sources(package):
        for found in imports_of(path):
            top = found.module.split(".")[0]
            assert top not in others - LAYERS[package], (
                f"{found.path}:{found.line} imports {found.module}: {package}/ may import only "
                f"{sorted(LAYERS[package]) or 'none of the project'}"
            )


def test_device_packages_import_only_what_the_table_allows() -> None:
    wrong = []
    for unit, target, found in device_imports():
        allowed = DEVICE_MAY_IMPORT.get(unit)
        if allowed is None:
            wrong.append(
                f"{found.path}: device/{unit} is not in the import table (tests/test_architecture.py)"
            )
        elif target not in allowed | EVERYONE_MAY_IMPORT and not (
            unit == "config" and found.module.endswith(".config")
        ):
            wrong.append(
                f"{found.path}:{found.line} imports {found.module}: device/{unit} may import only "
                f"{sorted(allowed | EVERYONE_MAY_IMPORT)} (the table in docs/ARCHITECTURE.md)"
            )
    assert not wrong, "\n".join(wrong)


def test_the_table_has_no_loop_so_no_allowed_import_can_close_one() -> None:
    table = {unit: set(allowed) for unit, allowed in DEVICE_MAY_IMPORT.items()}
    assert find_loop(table) is None, f"the import table has a loop: {' -> '.join(find_loop(table) or [])}"


def test_device_packages_import_each_other_without_loops() -> None:
    loop = find_loop(unit_graph())
    assert loop is None, f"package loop: {' -> '.join(loop or [])}"


def test_the_loop_finder_finds_a_loop() -> None:
    loop = find_loop({"state": {"analytics"}, "analytics": {"floor", "state"}, "floor": set()})
    assert loop is not None and loop[0] == loop[-1] and set(loop) == {"state", "analytics"}
    assert find_loop({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_config_modules_are_leaves() -> None:
    """A package's `config.py` is pure data: the root config imports them all, so one that imported
    another package would give that package a path back to the root."""
    for path in sorted((REPO / "device").glob("*/config.py")):
        package = path.parent.name
        for found in imports_of(path):
            top = found.module.split(".")
            if top[0] == "device":
                assert top[1] in (package, "domain"), f"{found.path}:{found.line} imports {found.module}"


def test_every_source_package_has_its_mirrored_test_folder() -> None:
    for package in SOURCE_PACKAGES:
        for init in sorted((REPO / package).rglob("__init__.py")):
            source = init.parent
            mirror = REPO / "tests" / source.relative_to(REPO)
            assert (mirror / "__init__.py").is_file(), f"{source.relative_to(REPO)}/ has no tests/ mirror"
            modules = [p for p in source.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
            if modules:
                assert list(mirror.glob("test_*.py")), f"{mirror.relative_to(REPO)}/ holds no test module"


def sql_in(path: Path) -> list[int]:
    """Lines of `path` that hold an SQL statement or run one."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_STATEMENT.match(node.value)
        ) or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS
        ):
            lines.append(node.lineno)
    return lines


def test_sql_is_written_only_where_the_table_says() -> None:
    for package in SOURCE_PACKAGES:
        for path in sources(package):
            relative = path.relative_to(REPO).as_posix()
            if relative.startswith(SQL_ALLOWED):
                continue
            lines = sql_in(path)
            assert not lines, f"{relative}:{lines[0]} holds SQL: add a method to a StorePart in device/state/"


def test_the_sql_detector_sees_sql(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('QUERY = """\n  SELECT 1"""\ndb.execute(QUERY)\nNOTE = "Selecting a camera"\n')
    assert sql_in(sample) == [1, 3]


def test_no_module_grows_past_400_lines() -> None:
    for package in SOURCE_PACKAGES:
        for path in sources(package):
            lines = len(path.read_text().splitlines())
            assert lines <= 400, f"{path.relative_to(REPO)} has {lines} lines: split it by job"


def test_every_package_says_its_job_in_its_first_line() -> None:
    for package in SOURCE_PACKAGES:
        for init in sorted((REPO / package).rglob("__init__.py")):
            docstring = ast.get_docstring(ast.parse(init.read_text())) or ""
            first = docstring.splitlines()[0] if docstring else ""
            assert first.endswith("."), (
                f"{init.relative_to(REPO)}: its first line should say the package's job"
            )


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
