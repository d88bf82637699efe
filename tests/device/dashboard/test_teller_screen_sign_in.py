"""What a teller's screen must not get wrong when it signs in, reloads or is taken over by another tab: the
cues still waiting come again (a replay) and are not new arrivals, a kiosk offline since long before
says so without the time of the sign-in, and a "Not this customer" still inside its undo is not lost."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Route

from device.cues.cue import Cue
from device.dashboard.server import DashboardServer
from device.demo.broker import MosquittoBroker
from device.domain import CheckIn, Profile
from tests.browser import chromium
from tests.device.cues.rig import GRACE, Kiosk, kiosk
from tests.device.dashboard.screen import (
    ADA,
    BRANCH,
    COUNT_TONES,
    CUES,
    LIN,
    SCREEN_QUERY,
    WAIT_MS,
    kiosk_mqtt,
    open_screen,
    sign_in,
)
from tests.waiting import PATIENCE_S, eventually

pytestmark = [pytest.mark.browser, pytest.mark.subprocess]

BO = Profile("CUST-4004", "Bo", "zh")
EVE = Profile("CUST-5005", "Eve", "en")
TITLE = "branchdoor · teller screen"
# The banner for a kiosk offline since before the sign-in, and the word a time would come with.
KIOSK_OFFLINE = {"en": ("Kiosk door-1 is offline:", "since"), "zh-Hans": ("门口终端 door-1 离线：", "自")}  # noqa: RUF001
# In the first tab only (a browser context's clock is its tabs'): timers of a second or more set once
# `holdTimers` is on never run.
HOLD_TIMERS = """
window.holdTimers = false;
const setTimer = window.setTimeout;
window.setTimeout = (handler, delay, ...args) =>
  window.holdTimers && delay >= 1000 ? 0 : setTimer(handler, delay, ...args);
"""


def replay(k: Kiosk, profile: Profile, seconds_ago: float) -> None:
    """A cue replayed to counter-1 as the kiosk does after its hello, for a customer who arrived while
    the page was reloading: the test sends it, so its age on arrival does not hang on the sign-in's speed."""
    checkin = CheckIn(str(uuid.uuid4()), profile.customer_ref, BRANCH, "door-1", time.time() - seconds_ago,
                      "high", profile)  # fmt: skip
    cue = Cue.for_checkin(checkin, checkin.at, 600)
    k.link.publish_json(k.topics.screen("counter-1", "cues"), cue.to_json(), 1, 60)


def test_cues_replayed_at_sign_in_are_not_new_arrivals_and_a_burst_chimes_once(
    tmp_path: Path, ws_broker: MosquittoBroker, dashboard: DashboardServer
) -> None:
    mqtt = kiosk_mqtt(tmp_path, ws_broker.port)
    with kiosk(tmp_path, mqtt, cues=CUES, expiry_s=600, branch=BRANCH) as k, chromium() as browser:
        screen = browser.new_context()
        screen.add_init_script(COUNT_TONES)
        page = open_screen(screen, dashboard)
        # Waiting before the teller signs in (or reloads): the kiosk replays them after the hello.
        k.arrive(ADA, seconds_ago=120)
        k.arrive(LIN, seconds_ago=60)
        k.arrive(GRACE, seconds_ago=40)
        sign_in(page)
        page.wait_for_selector("#cards .card:nth-child(3)", timeout=WAIT_MS)
        # Was: three chimes on top of each other, three cards marked New and "(3)" in the title.
        assert page.evaluate("tones") == 0
        assert page.locator(".card.fresh").count() == 0 and page.title() == TITLE

        # Two customers who arrived as the page was reloading: never seen, so new; and one chime.
        replay(k, BO, seconds_ago=2)
        replay(k, EVE, seconds_ago=1)
        page.wait_for_selector("#cards .card:nth-child(5)", timeout=WAIT_MS)
        fresh = page.locator(".card.fresh h2").all_inner_texts()
        assert sorted(fresh) == ["Please greet Bo", "Please greet Eve"]
        assert page.title() == f"(2) {TITLE}"
        assert page.evaluate("tones") == 2  # one chime: its two tones


def test_a_kiosk_offline_before_the_sign_in_is_said_offline_without_the_time_of_the_sign_in(
    tmp_path: Path, ws_broker: MosquittoBroker, dashboard: DashboardServer
) -> None:
    mqtt = kiosk_mqtt(tmp_path, ws_broker.port)
    with kiosk(tmp_path, mqtt, cues=CUES, branch=BRANCH):
        pass  # stopped cleanly: its retained `offline` waits at the broker for every screen that signs in
    with chromium() as browser:
        for lang, (said, since) in KIOSK_OFFLINE.items():
            page = open_screen(browser, dashboard, f"lang={lang}")
            sign_in(page)
            page.wait_for_selector("#offline", state="visible", timeout=WAIT_MS)
            banner = page.inner_text("#offline")
            # Was: "offline since" the moment the page signed in, however long the kiosk had been gone.
            assert banner.startswith(said) and since not in banner, banner
            page.close()  # one connection per account: the next page signs in alone


def test_a_not_this_customer_inside_its_undo_is_sent_when_another_tab_takes_over(
    tmp_path: Path, ws_broker: MosquittoBroker, dashboard: DashboardServer
) -> None:
    mqtt = kiosk_mqtt(tmp_path, ws_broker.port)
    with kiosk(tmp_path, mqtt, cues=CUES, expiry_s=600, branch=BRANCH) as k, chromium() as browser:
        tabs = browser.new_context()  # one browser profile: its tabs hear each other
        first = tabs.new_page()
        first.add_init_script(HOLD_TIMERS)
        first.goto(f"{dashboard.url}?{SCREEN_QUERY}")
        sign_in(first)
        k.arrive(GRACE)
        grace = first.locator(".card", has_text="Grace")
        grace.wait_for(timeout=WAIT_MS)
        # However long the second tab takes to sign in, the verdict is still inside its undo then.
        first.evaluate("window.holdTimers = true")
        grace.get_by_role("button", name="Not this customer").click()
        assert "sent in" in grace.locator(".pending").inner_text()

        second = open_screen(tabs, dashboard)
        sign_in(second)
        first.wait_for_selector("#status[data-state=replaced]", timeout=WAIT_MS)
        # Was: the first tab dropped its cards and the verdict with them, unsent.
        assert eventually(lambda: len(k.feedback_audits()) == 1)
        [wrong] = k.feedback_audits()
        assert str(wrong["detail"]).startswith("not_this_customer")
        assert wrong["customer_ref"] == GRACE.customer_ref and wrong["screen"] == "counter-1"
        second.wait_for_selector(".card >> text=Please greet Grace", state="detached", timeout=WAIT_MS)
        assert k.board.stats.verdicts == {"not_this_customer": 1}


def test_connect_waits_until_the_page_is_ready(dashboard: DashboardServer) -> None:
    """Until the page has its settings (config.json) and listens for the sign-in, Connect is disabled: a
    click before would submit the form the browser's way, reload the page and sign nobody in (seen under
    load, where the page's settings came after the click)."""
    held: list[Route] = []
    with chromium() as browser:
        page = browser.new_page()
        page.route("**/config.json", lambda route: held.append(route))
        page.goto(f"{dashboard.url}?{SCREEN_QUERY}", wait_until="domcontentloaded")
        deadline = time.monotonic() + PATIENCE_S
        while not held and time.monotonic() < deadline:
            page.wait_for_timeout(50)  # the browser's events, the request among them, are handled here
        assert held, "the page never asked for its settings"
        assert page.locator("#login button[type=submit]").is_disabled()
        held[0].continue_()
        page.wait_for_selector("#login button[type=submit]:enabled", timeout=WAIT_MS)
