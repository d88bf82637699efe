"""The checks `config check` runs for `run` (tests/device/cli/test_config_check.py runs them as the real
command): one that fails unforeseen is one more problem naming it, and the others still run."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from device.config import Config
from device.config_file import parse_config
from device.runtime import preflight
from device.runtime.instance_lock import InstanceLock
from device.runtime.preflight import Problem
from device.state.files import StateError
from tests.device.state.kiosk_files import as_another_user


def test_a_check_that_fails_unforeseen_is_a_problem_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_config: Config, _environ: Mapping[str, str]) -> Problem | None:
        raise PermissionError(13, "Permission denied", "/var/lib/branchdoor/backups")

    monkeypatch.setattr(preflight, "CHECKS", (("state", broken), *preflight.CHECKS[:1]))
    config = parse_config('[branch]\nid = "CHANGE-ME"\n', Path("kiosk.toml"))
    assert preflight.problems(config, {}) == [
        Problem((), "the state check failed: PermissionError: [Errno 13] Permission denied: "
                "'/var/lib/branchdoor/backups'"),
        preflight.branch_problem(config),
    ]  # fmt: skip


@pytest.mark.subprocess  # each look is made by a forked process of another user
def test_a_state_directory_the_daemon_user_may_not_use_is_refused_in_run_s_words(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    if os.geteuid() != 0:
        state.chmod(0o000)
    tmp_path.chmod(0o755)
    config = parse_config(f'[branch]\nid = "0427"\n[storage]\nstate_dir = "{state}"\n', Path("kiosk.toml"))

    def check() -> None:
        problem = preflight.state_problem(config)
        if problem is not None:
            raise StateError(problem.what)

    try:
        said = as_another_user(check)
        run_said = as_another_user(lambda: InstanceLock(state, "branchdoor run").__enter__())
    finally:
        state.chmod(0o700)
    assert said == run_said and str(state) in said and "permission denied" in said
