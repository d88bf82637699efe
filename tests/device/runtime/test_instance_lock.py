"""One daemon per state directory; the lock dies with its holder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from device.runtime.instance_lock import AlreadyRunning, InstanceLock, held
from device.state.files import StateError
from tests.device.state.kiosk_files import as_another_user


def test_a_second_holder_is_refused_and_told_who_holds_it(tmp_path: Path) -> None:
    second = InstanceLock(tmp_path, "branchdoor keys rotate")
    with (
        InstanceLock(tmp_path, "branchdoor run"),
        pytest.raises(AlreadyRunning, match=r"branchdoor run \(pid \d+\) is using"),
        second,
    ):
        pass
    with InstanceLock(tmp_path, "branchdoor keys rotate"):  # released on exit
        pass


@pytest.mark.subprocess
def test_a_holder_killed_outright_leaves_no_stale_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path\n"
            "from device.runtime.instance_lock import InstanceLock\n"
            f"with InstanceLock(Path({str(tmp_path)!r}), 'branchdoor run'):\n"
            "    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(AlreadyRunning), InstanceLock(tmp_path, "test"):
        pass
    holder.kill()
    holder.wait()
    with InstanceLock(tmp_path, "test"):
        pass


def test_whether_a_daemon_holds_the_lock_can_be_asked_without_keeping_it(tmp_path: Path) -> None:
    assert not held(tmp_path / "never-started")
    with InstanceLock(tmp_path, "branchdoor run"):
        assert held(tmp_path)
    assert not held(tmp_path)  # the lock file stays; nobody holds it
    with InstanceLock(tmp_path, "branchdoor run"):  # and asking took nothing away
        pass


def test_a_lock_path_that_is_a_directory_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "daemon.lock").mkdir()
    with pytest.raises(StateError) as refused, InstanceLock(tmp_path, "branchdoor run"):
        pass
    message = str(refused.value)
    assert "\n" not in message and str(tmp_path / "daemon.lock") in message and "is a directory" in message


def test_a_state_directory_that_is_a_file_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("")
    with pytest.raises(StateError) as refused, InstanceLock(tmp_path / "state", "branchdoor run"):
        pass
    assert str(tmp_path / "state") in str(refused.value) and "is a file" in str(refused.value)


@pytest.mark.subprocess
def test_a_state_directory_the_daemon_may_not_use_is_refused_in_one_line(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    if os.geteuid() != 0:
        state.chmod(0o000)
    tmp_path.chmod(0o755)
    try:
        message = as_another_user(lambda: InstanceLock(state, "branchdoor run").__enter__())
    finally:
        state.chmod(0o700)
    assert str(state) in message and "permission denied" in message and "chown" in message
    assert "\n" not in message
