"""`[analytics]` is checked like every section: wrong values name the file, the line and the key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from device.config_file import ConfigError, parse_config

BASE = '[branch]\nid = "0042"\n\n[analytics]\n'


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(BASE + text, Path("kiosk.toml"))
    return caught.value.problems


def test_holidays_are_dates() -> None:
    config = parse_config(BASE + 'holidays = ["2026-12-25", "2026-12-26"]\n', Path("kiosk.toml"))
    assert config.analytics.holidays == [date(2026, 12, 25), date(2026, 12, 26)]
    [problem] = problems('holidays = ["2026-13-01"]\n')
    assert problem.startswith("kiosk.toml:5: analytics.holidays.0:")


def test_k_anonymity_below_5_is_refused() -> None:
    [problem] = problems("k_anonymity = 3\n")
    assert problem.startswith("kiosk.toml:5: analytics.k_anonymity: Input should be greater than or equal")


def test_unknown_keys_are_refused() -> None:
    [problem] = problems("refit_every_h = 12\n")
    assert problem.startswith("kiosk.toml:5: analytics.refit_every_h: unknown key")


def test_school_holidays_are_ordered_date_ranges() -> None:
    config = parse_config(BASE + 'school_holidays = [["2026-07-04", "2026-08-30"]]\n', Path("kiosk.toml"))
    assert config.analytics.school_holidays == [(date(2026, 7, 4), date(2026, 8, 30))]
    [problem] = problems('school_holidays = [["2026-08-30", "2026-07-04"]]\n')
    assert problem.startswith("kiosk.toml:5: analytics.school_holidays.0:")
    assert "first <= last" in problem
