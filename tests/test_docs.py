"""What the docs say, a test shows: every file, test and import rule they name exists as named."""

from __future__ import annotations

import re

import pytest

from drivers.serial.registry import SENSOR_TYPES
from tests.conftest import REPO
from tests.test_architecture import CAPABILITIES, DEVICE_MAY_IMPORT

DOCS = ("README.md", "docs/ARCHITECTURE.md", "docs/PRIVACY.md", "docs/BRIDGE.md", "docs/HEAD_OFFICE.md")


def named_tests(text: str) -> list[tuple[str, str | None]]:
    """(test file, test function) as the docs cite them; `::name` alone continues the file before it."""
    found: list[tuple[str, str | None]] = []
    current = None
    for path, name in re.findall(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`", text):
        if path:
            current = path
        if current and (path or name):
            found.append((current, name or None))
    return found


@pytest.mark.parametrize("doc", DOCS)
def test_every_test_a_doc_cites_as_proof_exists(doc: str) -> None:
    for path, name in named_tests((REPO / doc).read_text()):
        source = REPO / path
        assert source.is_file(), f"{doc} cites {path}, which does not exist"
        assert name is None or re.search(rf"^def {name}\(", source.read_text(), re.M), (
            f"{doc}: {path}::{name}"
        )


def test_the_privacy_map_is_read_whole() -> None:
    cited = named_tests((REPO / "docs/PRIVACY.md").read_text())
    assert len(cited) > 40 and sum(name is not None for _, name in cited) > 30


@pytest.mark.parametrize("doc", DOCS)
def test_every_path_a_doc_names_exists(doc: str) -> None:
    text = (REPO / doc).read_text()
    top = "common|device|drivers|sync|tests|bench|config|systemd|scripts|docs"
    paths = re.findall(rf"`((?:{top})/[\w/.-]*)`|\]\(((?:{top})/[\w/.-]*)\)", text)
    assert len(paths) > 5
    for path in ("".join(found) for found in paths):
        assert (REPO / path).exists(), f"{doc} names {path}, which does not exist"


def test_the_architecture_map_shows_the_import_table_the_test_enforces() -> None:
    text = (REPO / "docs/ARCHITECTURE.md").read_text()
    rows = re.findall(r"^\| `(\w+)/` \| [^|]+ \| ([^|]+) \|$", text, re.M)
    assert len(rows) == 15
    for package, cell in rows:
        if cell.strip() == "anything":
            continue
        shown = set(re.findall(r"`(\w+)`", cell))
        if "every capability above" in cell:
            shown |= CAPABILITIES
        assert shown == DEVICE_MAY_IMPORT[package], f"docs/ARCHITECTURE.md shows {package}/ importing {cell}"


def test_the_shipped_config_names_every_sensor_type() -> None:
    """config/branchdoor.toml is where a field engineer looks up what `type` may say."""
    text = (REPO / "config/branchdoor.toml").read_text()
    comment = text[text.index("# --- Floor sensing") : text.index("# [[sensors]]")]
    missing = [kind for kind in SENSOR_TYPES if f'"{kind}"' not in comment]
    assert not missing, f"config/branchdoor.toml does not name sensor type(s) {missing}"
