"""The state directory is 0700 and the database, its -wal and -shm and its backups 0600, whoever makes
them with whatever umask: `sudo branchdoor ...` from a root shell has 022, not the unit's UMask=0077."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.device.state.kiosk_files import kiosk_config

pytestmark = pytest.mark.subprocess  # each test starts a process with its own umask

# In a process of its own: the umask is the whole process's.
OPEN_AND_LOOK = """
import json, os, stat, sys
from pathlib import Path
os.umask(0o022)
from device.state.store import Store
from tests.keys import CIPHER
state = Path(sys.argv[1])
store = Store(state / "branchdoor.db", CIPHER)
copy = store.backups.make(keep=3).path
found = {str(p): stat.S_IMODE(p.stat().st_mode) for p in [state, *state.rglob("*")]}
store.close()
print(json.dumps(found))
"""


def modes_of(folder: Path) -> dict[str, int]:
    return {str(p): stat.S_IMODE(p.stat().st_mode) for p in [folder, *folder.rglob("*")]}


def test_a_store_made_under_umask_022_is_owner_only(tmp_path: Path) -> None:
    state = tmp_path / "state"
    done = subprocess.run(
        [sys.executable, "-c", OPEN_AND_LOOK, str(state)],
        cwd=REPO, capture_output=True, text=True, timeout=120, start_new_session=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    modes = json.loads(done.stdout)
    database = str(state / "branchdoor.db")
    assert {database, database + "-wal", database + "-shm"} <= modes.keys()  # looked at while open
    assert any("/backups/" in path and path.endswith(".db") for path in modes)
    wrong = {
        path: oct(mode) for path, mode in modes.items() if mode != (0o700 if Path(path).is_dir() else 0o600)
    }
    assert wrong == {}, wrong


def test_a_command_run_from_a_root_shell_makes_the_state_owner_only(tmp_path: Path) -> None:
    """`branchdoor forget` on a new kiosk creates the state directory and the database."""
    state = tmp_path / "deeper" / "state"
    config = kiosk_config(tmp_path, state)
    done = subprocess.run(
        ["sh", "-c", 'umask 022 && exec "$0" -m device forget C1 --config "$1"', sys.executable,
         str(config)],
        cwd=REPO, capture_output=True, text=True, timeout=120, start_new_session=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    modes = modes_of(state)
    assert modes[str(state)] == 0o700 and modes[str(state / "branchdoor.db")] == 0o600, modes
    assert all(mode == 0o600 for path, mode in modes.items() if Path(path).is_file()), modes
