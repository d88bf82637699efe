"""`branchdoor report`: a real store filled with a synthetic month, the real CLI, a real Chromium."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from device.cli import main
from device.cli.report import build_report, parse_month
from tests.browser import chromium
from tests.device.analytics.branch_data import RARE_INTEREST, fill, kiosk_config

CHARTS = {
    "visits by hour and weekday",
    "visits per day",
    "visits per 15 minutes",
    "customers by age band",
    "customers by product interest",
    "floor heat map",
    "queue wait",
    "forecast of visits per day",
    "forecast of visits per hour with 80 % band",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    state = tmp_path_factory.mktemp("kiosk")
    config = kiosk_config(state)
    written = fill(config)
    assert written["checkins"] > 100
    out = state / "report.html"
    # The month is over by the time it is reported: fix "now" so the test does not depend on the clock.
    out.write_text(build_report(config, "2026-11", now=datetime(2026, 12, 1, 7, 0)))
    return out


def test_the_report_command_writes_one_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "branchdoor.toml"
    path.write_text(f'[branch]\nid = "0427"\n\n[storage]\nstate_dir = "{tmp_path / "state"}"\n')
    assert (
        main(["report", "--config", str(path), "--month", "2026-11", "--out", str(tmp_path / "r.html")]) == 0
    )
    assert "wrote" in capsys.readouterr().out
    text = (tmp_path / "r.html").read_text()
    assert "No visits are recorded yet" in text  # an empty kiosk still gets a report that says so
    assert (
        main(["report", "--config", str(path), "--month", "11/2026", "--out", str(tmp_path / "x.html")]) == 2
    )
    assert "expected YYYY-MM" in capsys.readouterr().err


def test_an_unreadable_state_directory_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "state").write_text("a file where the state directory should be")
    path = tmp_path / "branchdoor.toml"
    path.write_text(f'[branch]\nid = "0427"\n\n[storage]\nstate_dir = "{tmp_path / "state"}"\n')
    out = tmp_path / "r.html"
    assert main(["report", "--config", str(path), "--month", "2026-11", "--out", str(out)]) == 1
    assert "branchdoor report: cannot read" in capsys.readouterr().err
    assert not out.exists()


def test_months_are_whole_calendar_months() -> None:
    assert [str(d) for d in parse_month("2026-11")] == ["2026-11-01", "2026-11-30"]
    assert [str(d) for d in parse_month("2028-02")] == ["2028-02-01", "2028-02-29"]


def test_the_report_is_self_contained_and_keeps_small_groups_private(report: Path) -> None:
    text = report.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:)""", text), "everything is inlined"
    assert "http://" not in text and "https://" not in text
    assert "Branch 0427: visits and outlook, 2026-11" in text
    assert RARE_INTEREST not in text  # two customers: merged into "other interests: <5", never named
    assert "<td>aged 17-26 (born 2000s)</td>" not in text
    assert "other interests" in text and "other ages" in text
    assert "CUST-" not in text and "Customer " not in text  # no reference or name of anyone


@pytest.mark.browser
def test_it_renders_in_a_real_browser_with_every_chart_and_no_errors(report: Path, tmp_path: Path) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate(
            "Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight,"
            " i.getBoundingClientRect().width])"
        )
        headings = page.locator("h2").all_inner_texts()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert errors == []
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []
    shown = {
        alt
        for alt, complete, width, height, box in images
        if complete and width > 0 and height > 0 and box > 0
    }
    assert shown >= CHARTS, f"missing or empty: {CHARTS - shown}"
    assert headings == [
        "The month in numbers",
        "When customers come",
        "Who comes in",
        "On the floor",
        "Next month's outlook",
        "Counters to open next month",
    ]
    assert (tmp_path / "report.png").stat().st_size > 50_000


@pytest.mark.slow
def test_a_report_after_retention_keeps_the_totals_and_says_what_the_people_figures_cover(
    tmp_path: Path,
) -> None:
    from device.privacy.retention import purge
    from device.state.store import Store
    from tests.keys import CIPHER

    config = kiosk_config(tmp_path)
    fill(config)
    before = build_report(config, "2026-11", now=datetime(2026, 12, 1, 7, 0))
    store = Store(config.storage.database, CIPHER)
    for kind in ("checkin", "audit"):  # everything uploaded
        while (batch := store.outbox.next_batch(kind, 500)) is not None:
            store.outbox.acknowledged(batch)
    ten_days_on = datetime(2026, 12, 10, 7, 0)
    purge(store, config.privacy, dedup_window_s=1800, uploads=True, now=ten_days_on.timestamp())
    assert store.checkins.all() == []  # every November check-in is past its 7 days
    store.close()
    after = build_report(config, "2026-11", now=ten_days_on)
    visits = re.compile(r"<b>([\d,]+)</b>visits this month")
    assert visits.findall(after) == visits.findall(before) != []  # retired check-ins still count
    assert "No check-in naming a customer is held for this month any more." in after
    assert "remain only as counts" in after and "No consented customer checked in" not in after


def test_the_staffing_plan_shows_next_month_hour_by_hour_with_its_assumptions(report: Path) -> None:
    text = report.read_text()
    section = text[text.index("<h2>Counters to open next month</h2>") :]
    assert "80% of customers waiting at most 5 min, with at most 8 counters" in section
    days = re.findall(r"<tr><td>(\w{3} \d\d \w{3})</td>", section)
    assert len(days) == 30  # the forecast's month, a row per day
    assert re.search(r'title="\d+ visits expected, wait \d+\.\d min"><b>\d</b><br><small>\d+\.\d<', section)
    # The fixture's counter stays have no stored spread: their mean is used, with an exponential cv.
    assert "measured by the floor sensors at the counters" in section and "cv 1.00-1.00" in section
    assert "Customers seen in the queue zones waited" in section
