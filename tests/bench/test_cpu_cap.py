"""The bench's CPU quota: made, measured and removed, or refused with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cpu_cap import CapUnavailable, CpuCap


def test_a_quota_of_a_quarter_core_is_set_and_removed_again() -> None:
    try:
        cap = CpuCap.create(25)
    except CapUnavailable as exc:
        pytest.skip(f"no cgroup CPU quota on this machine: {exc}")
    try:
        if cap.version == 2:
            assert (cap.path / "cpu.max").read_text().split() == ["25000", "100000"]
        else:
            assert (cap.path / "cpu.cfs_quota_us").read_text().strip() == "25000"
        assert cap.throttled_s() == 0.0
    finally:
        cap.remove()
    assert not cap.path.exists()


def test_without_a_cpu_controller_the_reason_is_given(tmp_path: Path) -> None:
    with pytest.raises(CapUnavailable, match="no cgroup v1 cpu controller"):
        CpuCap.create(25, root=tmp_path)


def test_a_quota_that_is_no_quota_is_refused() -> None:
    with pytest.raises(CapUnavailable, match="not a quota"):
        CpuCap.create(0.5)
