"""`make unit` stays in-process: a test that starts a process without saying so fails at that moment."""

from __future__ import annotations

import multiprocessing
import subprocess

import pytest

from tests.process_guard import UnmarkedProcess


def test_an_unmarked_test_may_not_start_a_command() -> None:
    with pytest.raises(UnmarkedProcess, match=r"test_an_unmarked_test_may_not_start_a_command .*'true'"):
        subprocess.run(["true"], check=True)


def test_nor_a_spawned_worker_process() -> None:
    # The encoder and forecast workers are started this way; Python reports it to no audit hook.
    with pytest.raises(UnmarkedProcess, match="multiprocessing"):
        multiprocessing.get_context("spawn").Process(target=print).start()


@pytest.mark.subprocess
def test_a_test_marked_subprocess_may() -> None:
    assert subprocess.run(["true"], check=False).returncode == 0
