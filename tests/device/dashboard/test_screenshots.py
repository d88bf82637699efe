"""The README's pictures of the teller screen are made by a script that still works, and the committed
ones are there and small."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.device.dashboard.screenshots import MAX_BYTES, PICTURES, make_pictures

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_committed_pictures_are_small_pngs_the_readme_shows() -> None:
    readme = (REPO / "README.md").read_text()
    for _, name in PICTURES.values():
        picture = REPO / "docs" / name
        assert picture.read_bytes().startswith(PNG) and picture.stat().st_size < MAX_BYTES, name
        assert f"](docs/{name})" in readme, name


@pytest.mark.browser
@pytest.mark.subprocess
@pytest.mark.slow
def test_the_pictures_can_be_made_again(tmp_path: Path) -> None:
    # One language is enough to know the script works (the two differ only in `?lang=`), at half the time.
    made = make_pictures(tmp_path, langs=("zh-Hans",))
    assert [path.name for path in made] == [PICTURES["zh-Hans"][1]]
    assert made[0].read_bytes().startswith(PNG) and 10_000 < made[0].stat().st_size < MAX_BYTES
