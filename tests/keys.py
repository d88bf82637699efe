"""Template keys for tests: a fixed in-process cipher, and a real 0600 key file for configs."""

from __future__ import annotations

from pathlib import Path

from device.privacy.keys import write_new_key
from device.state.sealing import TemplateCipher

# In-process stores only; never a file: a key written down in the repository is no key.
CIPHER = TemplateCipher(bytes(range(32)))


def key_file(folder: Path) -> Path:
    """A fresh random template key in `folder` (mode 0600), made once per folder."""
    path = folder / "template-key"
    if not path.exists():
        write_new_key(path)
    return path


def privacy_section(folder: Path) -> str:
    """The `[privacy]` TOML section a test kiosk's config needs to find its key."""
    return f'[privacy]\ntemplate_key_file = "{key_file(folder)}"\n'
