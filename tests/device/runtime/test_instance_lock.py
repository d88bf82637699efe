"""One daemon per state directory; the lock dies with its holder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from device.runtime.instance_lock import AlreadyRunning, InstanceLock


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
