"""The monthly report of a real kiosk store, read as the manager reads it: a month still running,
check-ins by face and by QR code or card, door counts per day, and groups too small to show."""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from device.analytics.data import AnalyticsData
from device.checkin.desk import CheckinDesk
from device.cli.report import build_report, report_command
from device.config import Config
from device.domain import Consent, Identification, Profile
from device.floor.bins_store import FloorBinStore
from device.floor.records import FloorBin
from device.state.store import Store
from tests.conftest import random_templates
from tests.device.analytics.branch_data import kiosk_config
from tests.device.floor.plan import BRANCH
from tests.keys import CIPHER

# Unidentified visitors at 10:00 each day of 1-6 December 2026 (Tuesday to Sunday), and today's.
UNIDENTIFIED = {1: 10, 2: 8, 3: 12, 4: 9, 5: 11, 7: 5}
# People through the door per quarter hour, 09:00-17:00, 1-5 December; the sensors are silent on the 6th.
DOOR_PER_QUARTER = {1: 2, 2: 1, 3: 1, 4: 1, 5: 1}


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> float:
    return datetime(2026, month, day, hour, minute).timestamp()


def door_day(day: int, per_quarter: int, observed_s: float = 900.0, month: int = 12) -> list[FloorBin]:
    grid = np.zeros(BRANCH.grid_shape, dtype=np.float32)
    grid[8, 24] = 120.0 if observed_s else 0.0
    return [
        FloorBin(
            at(day, 9, month=month) + 900 * q,
            900,
            observed_s,
            {"main": per_quarter},
            {"main": per_quarter},
            {"queue": per_quarter},
            {"queue": 90.0},
            per_quarter,
            per_quarter / 2,
            grid,
        )
        for q in range(32)
    ]


def december_so_far(config: Config) -> None:
    """Three consented customers (too few to show in any group), five check-ins (three by face, two by
    token), unidentified visitors, and floor bins with door counts."""
    store = Store(config.storage.database, CIPHER)
    try:
        for ref, band in (("C1", "1980-1989"), ("C2", None), ("C3", "1990-1999")):
            store.enroll(Profile(ref, "Ada", "en", (), (), band), Consent("v1"), random_templates(1))
        desk = CheckinDesk(store, config.branch.id, config.branch.device_id, dedup_window_s=600)
        for ref, moment in (("C1", at(1, 10, 5)), ("C2", at(2, 11)), ("C3", at(4, 14))):
            assert desk.admit(Identification(ref, 0.3, 0.8, track_id=1), moment) is not None
        for ref, moment in (("C1", at(3, 10, 5)), ("C2", at(5, 9, 30))):
            assert desk.admit_token(ref, moment) is not None
        AnalyticsData.of(store).import_unidentified_counts(
            [(at(day, 10), n) for day, n in UNIDENTIFIED.items()]
        )
    finally:
        store.close()
    floor = FloorBinStore(config.storage.database)
    try:
        floor.save([b for day, n in DOOR_PER_QUARTER.items() for b in door_day(day, n)])
        floor.save(door_day(6, 0, observed_s=0.0))  # the daemon ran; no sensor reported
    finally:
        floor.close()


@pytest.fixture(scope="module")
def running_month(tmp_path_factory: pytest.TempPathFactory) -> str:
    config = kiosk_config(tmp_path_factory.mktemp("kiosk"))
    december_so_far(config)
    return build_report(config, "2026-12", now=datetime(2026, 12, 7, 10, 30))


def test_a_month_still_running_covers_and_averages_the_days_that_have_ended(running_month: str) -> None:
    assert "1\u20136 December 2026, 6 days, local time." in running_month
    assert "The month is 6 days old: this report covers the days that have ended" in running_month
    # 50 unidentified + 5 check-ins; today's 5 visitors are not in it.
    assert "<b>55</b>visits in these 6 days" in running_month
    assert "visits per open day (5 of 6 days open)" in running_month
    # One Tuesday so far (11 visits), not five Tuesdays of which four are still to come.
    assert "<tr><td>Tue</td><td>11</td></tr>" in running_month
    assert "<tr><td>Mon</td><td>0</td></tr>" in running_month
    assert "Fewer than 5 consented customers checked in 5 times in these 6 days." in running_month


def test_qr_code_and_card_check_ins_are_not_counted_as_face_check_ins(running_month: str) -> None:
    assert (
        "3 visits were consented face check-ins, 2 were check-ins with a QR code or card (no face involved), "
        "and 50 were other visitors" in running_month
    )
    assert "<b>5%</b>checked in by face (consented customers)" in running_month  # 3 of 55
    assert "<b>2</b>checked in with a QR code or card" in running_month


def test_door_counts_are_given_per_day_beside_the_camera_visits(running_month: str) -> None:
    assert "<h3>Door counts per day</h3>" in running_month
    assert "<tr><td>Tue 1 Dec</td><td>64</td><td>64</td><td>11</td></tr>" in running_month
    assert "<tr><td>Wed 2 Dec</td><td>32</td><td>32</td><td>9</td></tr>" in running_month
    assert (
        '<tr><td>Sun 6 Dec</td><td colspan="2">no floor sensor reported</td><td>0</td></tr>' in running_month
    )
    assert "<tr><th>total</th><th>192</th><th>192</th><th>55</th></tr>" in running_month


def test_groups_too_small_to_show_are_a_sentence_not_empty_axes(running_month: str) -> None:
    assert 'alt="customers by age band"' not in running_month
    assert 'alt="customers by product interest"' not in running_month
    assert (
        "Fewer than 5 customers checked in: too few to show by age without singling someone out."
        in running_month
    )
    assert "None of these customers has told the bank of a product interest." in running_month
    words = re.sub(r'src="data:[^"]*"', "", running_month)  # the charts' bytes are not words
    assert "C1" not in words and "Ada" not in words


def test_the_forecast_says_how_much_history_it_still_waits_for(running_month: str) -> None:
    assert (
        "No forecast yet: a forecast needs 14 days of history; 6 so far (the first visit held is on Tuesday "
        "1 December 2026)." in running_month
    )


def test_a_month_one_day_old_says_so(tmp_path: Path) -> None:
    config = kiosk_config(tmp_path)
    december_so_far(config)
    text = build_report(config, "2026-12", now=datetime(2026, 12, 2, 8, 0))
    assert "1 December 2026, 1 day, local time." in text
    assert "The month is 1 day old" in text
    assert "<b>11</b>visits that day" in text


@pytest.mark.parametrize(
    ("now", "said"),
    [
        (datetime(2026, 12, 1, 9, 0), "December 2026 began today: a report covers whole days"),
        (
            datetime(2026, 11, 20, 9, 0),
            "December 2026 has not begun yet: it starts on Tuesday 1 December 2026",
        ),
    ],
)
def test_a_month_with_no_day_ended_is_refused_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], now: datetime, said: str
) -> None:
    out = tmp_path / "r.html"
    assert report_command(kiosk_config(tmp_path), "2026-12", out, now=now) == 2
    assert said in capsys.readouterr().err and not out.exists()


def test_days_before_the_kiosk_s_first_record_are_left_out(tmp_path: Path) -> None:
    config = kiosk_config(tmp_path)
    store = Store(config.storage.database, CIPHER)
    try:
        AnalyticsData.of(store).import_unidentified_counts(
            [(at(day, 10, month=11), 6) for day in range(20, 31)]
        )
    finally:
        store.close()
    text = build_report(config, "2026-11", now=datetime(2026, 12, 7, 10, 0))
    assert "20\u201330 November 2026, 11 days, local time." in text
    assert "The kiosk's records start on Friday 20 November 2026" in html.unescape(text)
    assert "visits per open day (11 of 11 days open)" in text


def test_a_floor_that_went_silent_before_the_month_says_since_when(tmp_path: Path) -> None:
    config = kiosk_config(tmp_path)
    store = Store(config.storage.database, CIPHER)
    try:
        AnalyticsData.of(store).import_unidentified_counts([(at(3, 10), 4)])
    finally:
        store.close()
    floor = FloorBinStore(config.storage.database)
    try:
        floor.save(door_day(30, 1, month=11))
    finally:
        floor.close()
    text = build_report(config, "2026-12", now=datetime(2026, 12, 7, 10, 0))
    assert 'alt="floor heat map"' not in text
    assert (
        "No floor data for these days: no floor sensor has reported since Mon 30 November 2026 17:00" in text
    )


def test_months_whole_and_past_are_reported_whole(tmp_path: Path) -> None:
    config = kiosk_config(tmp_path)
    store = Store(config.storage.database, CIPHER)
    try:
        AnalyticsData.of(store).import_unidentified_counts([(at(1, 10, month=10), 3), (at(2, 10), 3)])
    finally:
        store.close()
    text = build_report(config, "2026-11", now=datetime(2026, 12, 7, 10, 0))
    assert "1\u201330 November 2026, 30 days, local time." in text
    assert 'class="partial"' not in text
    assert "<b>0</b>visits this month" in text
