"""`branchdoor heatmap` says why a period has no map (or only part of one), from a real floor store."""

from __future__ import annotations

import struct
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from device.cli.field import heatmap_command
from device.config import Config
from device.floor.bins_store import FloorBinStore
from device.floor.records import FloorBin
from tests.device.floor.plan import BRANCH

THURSDAY = datetime(2026, 12, 3)


def kiosk(tmp_path: Path, floor: dict[str, object] | None = None) -> Config:
    return Config.model_validate(
        {
            "branch": {"id": "0427"},
            "storage": {"state_dir": tmp_path / "state"},
            "floor": floor or BRANCH.model_dump(),
        }
    )


def quarter(
    start: datetime, observed_s: float = 900.0, people: int = 2, shape: tuple[int, int] | None = None
) -> FloorBin:
    grid = np.zeros(shape or BRANCH.grid_shape, dtype=np.float32)
    if observed_s:
        grid[-1, -1] = 60.0 * people
    return FloorBin(
        start.timestamp(), 900, observed_s, {"main": people}, {"main": people}, {"queue": people},
        {"queue": 60.0 if people else None}, people, people / 2, grid,
    )  # fmt: skip


def quarters(first: datetime, last: datetime, observed_s: float = 900.0) -> list[FloorBin]:
    """One bin per quarter hour from `first` up to, not including, `last`."""
    count = int((last - first).total_seconds() // 900)
    return [quarter(first + timedelta(minutes=15 * i), observed_s) for i in range(count)]


def store(config: Config, bins: list[FloorBin], kept_open: list[FloorBin] = ()) -> None:  # type: ignore[assignment]
    floor = FloorBinStore(config.storage.database)
    try:
        floor.save(bins)
        if kept_open:
            floor.keep_open(list(kept_open))
    finally:
        floor.close()


def heatmap(
    config: Config, since: str, until: str, now: datetime, out: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    status = heatmap_command(config, since, until, out, now=now.timestamp())
    printed = capsys.readouterr()
    return status, printed.out, printed.err


def test_the_quarter_hour_still_open_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = kiosk(tmp_path)
    store(config, quarters(THURSDAY.replace(hour=9), THURSDAY.replace(hour=20, minute=30)))
    out = tmp_path / "heat.png"
    now = THURSDAY.replace(hour=20, minute=37)
    status, _, err = heatmap(config, "2026-12-03T20:30", "2026-12-03T20:45", now, out, capsys)
    assert status == 1 and not out.exists()
    assert "the quarter hour 20:30\u201320:45 is still open: its floor data is stored when it ends" in err
    assert "no floor data between" not in err


def test_a_map_of_today_so_far_says_what_is_not_on_it_yet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = kiosk(tmp_path)
    store(config, quarters(THURSDAY.replace(hour=9), THURSDAY.replace(hour=20, minute=30)))
    out = tmp_path / "heat.png"
    status, printed, _ = heatmap(
        config, "2026-12-03", "2026-12-04", THURSDAY.replace(hour=20, minute=37), out, capsys
    )
    assert status == 0
    assert struct.unpack(">II", out.read_bytes()[16:24]) == (1754, 1240)
    assert "wrote" in printed and "Thu 3 December 2026" in printed and "92 people came in" in printed
    assert "the quarter hour 20:30\u201320:45 is still open and not on the map yet" in printed


def test_sensors_silent_while_the_daemon_ran_are_named_with_the_time_they_stopped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = kiosk(tmp_path)
    heard = quarters(THURSDAY.replace(hour=9), THURSDAY.replace(hour=14, minute=15))
    silent = quarters(THURSDAY.replace(hour=14, minute=15), THURSDAY.replace(hour=18), observed_s=0.0)
    store(config, heard + silent)
    status, _, err = heatmap(
        config, "2026-12-03T15:00", "2026-12-03T16:00", THURSDAY.replace(hour=19), tmp_path / "h.png", capsys
    )
    assert status == 1
    assert "no floor sensor has reported since Thu 3 December 2026 14:15" in err
    assert "the daemon was running: check each sensor with `branchdoor sensors read`" in err


def test_a_daemon_that_stopped_storing_is_told_apart_from_silent_sensors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = kiosk(tmp_path)
    store(config, quarters(THURSDAY.replace(hour=9), THURSDAY.replace(hour=14, minute=15)))
    status, _, err = heatmap(
        config, "2026-12-04", "2026-12-05", datetime(2026, 12, 6, 9), tmp_path / "h.png", capsys
    )
    assert status == 1
    assert "no floor sensor has reported since Thu 3 December 2026 14:15" in err
    assert "the daemon has stored nothing since Thu 3 December 2026 14:15: was it running" in err


def test_a_floor_that_never_stored_anything_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = kiosk(tmp_path)
    status, _, err = heatmap(
        config, "2026-12-03", "2026-12-04", datetime(2026, 12, 6), tmp_path / "h.png", capsys
    )
    assert status == 1 and "the floor has stored nothing yet" in err


def test_a_period_still_to_come_or_before_the_records_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = kiosk(tmp_path)
    store(config, quarters(THURSDAY.replace(hour=9), THURSDAY.replace(hour=10)))
    now = datetime(2026, 12, 6, 9)
    status, _, err = heatmap(config, "2026-12-07", "2026-12-08", now, tmp_path / "h.png", capsys)
    assert status == 1 and "the period has not begun yet: it starts Mon 7 December 2026 00:00" in err
    status, _, err = heatmap(config, "2026-11-02", "2026-11-03", now, tmp_path / "h.png", capsys)
    assert status == 1 and "the floor's records start Thu 3 December 2026 09:00, after this period" in err


def test_the_quarter_hour_kept_at_the_last_stop_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = kiosk(tmp_path)
    store(
        config,
        quarters(THURSDAY.replace(hour=9), THURSDAY.replace(hour=11)),
        kept_open=[quarter(THURSDAY.replace(hour=11))],
    )
    status, _, err = heatmap(
        config, "2026-12-03T11:00", "2026-12-03T11:15", datetime(2026, 12, 6), tmp_path / "h.png", capsys
    )
    assert status == 1
    assert "the quarter hour 11:00\u201311:15 was still open when the daemon last stopped" in err


def test_a_plan_changed_within_the_period_is_a_sentence_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = kiosk(tmp_path)
    store(config, [quarter(THURSDAY.replace(hour=9), shape=(3, 3)), quarter(THURSDAY.replace(hour=10))])
    status, _, err = heatmap(
        config, "2026-12-03", "2026-12-04", datetime(2026, 12, 6), tmp_path / "h.png", capsys
    )
    assert status == 1 and "the plan changed in this period" in err


def test_a_period_not_on_quarter_hours_is_widened_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = kiosk(tmp_path)
    store(config, quarters(THURSDAY.replace(hour=9), THURSDAY.replace(hour=12)))
    status, printed, _ = heatmap(
        config, "2026-12-03T09:05", "2026-12-03T10:50", datetime(2026, 12, 6), tmp_path / "h.png", capsys
    )
    assert status == 0
    assert (
        "the floor is stored by quarter hour, so the map covers Thu 3 December 2026, 09:00\u201311:00"
        in printed
    )
