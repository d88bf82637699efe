"""The reference teller dashboard in a real headless Chromium, against a real Mosquitto over
MQTT-over-WebSockets and the daemon's real cue board: a check-in makes a card appear, expiry removes it,
and a click sends feedback that the daemon records in its audit trail."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest

from device.cues.cue import Cue
from device.dashboard.config import DashboardConfig
from device.dashboard.server import FILES, DashboardServer
from device.demo.broker import MosquittoBroker
from tests.browser import chromium
from tests.device.cues.rig import GRACE, kiosk
from tests.device.dashboard.screen import ADA, BRANCH, CUES, SCREEN_QUERY, WAIT_MS, kiosk_mqtt
from tests.waiting import eventually

# When each card left the page (cue id -> the page's clock, ms), to compare with the cue's expiry.
RECORD_REMOVALS = """() => {
  window.removedAt = {};
  new MutationObserver((changes) => {
    for (const change of changes)
      for (const node of change.removedNodes)
        if (node.dataset && node.dataset.cueId) window.removedAt[node.dataset.cueId] = Date.now();
  }).observe(document.getElementById("cards"), { childList: true });
}"""


@pytest.mark.subprocess
def test_the_page_and_its_files_are_served_with_nothing_fetched_elsewhere(dashboard: DashboardServer) -> None:
    page = urllib.request.urlopen(dashboard.url).read().decode()  # noqa: S310 (loopback)
    assert 'src="vendor/mqtt.min.js"' in page and "http" not in page.split("<body>")[0].replace(
        "http-equiv", ""
    )
    settings = json.loads(urllib.request.urlopen(dashboard.url + "config.json").read())  # noqa: S310
    assert settings["branch_id"] == BRANCH and settings["broker_ws_url"].startswith("ws://127.0.0.1:")
    for path in FILES:  # the page's modules too: a browser refuses a module served as anything but JS
        reply = urllib.request.urlopen(dashboard.url + path.lstrip("/"))  # noqa: S310
        assert reply.status == 200 and (
            not path.endswith(".js") or reply.headers["Content-Type"] == "text/javascript"
        )


def test_with_a_wss_broker_the_page_may_not_connect_to_a_plain_websocket() -> None:
    # The page sends the screen's broker password: with a TLS broker, no fallback to plaintext.
    policies = {}
    for url in ("wss://broker.branch:8884", "ws://127.0.0.1:9001"):
        server = DashboardServer(
            DashboardConfig(enabled=True, port=0, broker_ws_url=url), BRANCH, "branchdoor"
        )
        server.start()
        try:
            reply = urllib.request.urlopen(server.url)  # noqa: S310 (loopback)
            policies[url] = reply.headers["Content-Security-Policy"]
        finally:
            server.stop()
    assert "connect-src 'self' wss:;" in policies["wss://broker.branch:8884"]
    assert "ws: " in policies["ws://127.0.0.1:9001"]


@pytest.mark.browser
@pytest.mark.subprocess
def test_cards_appear_expire_and_take_feedback(
    tmp_path: Path, ws_broker: MosquittoBroker, dashboard: DashboardServer
) -> None:
    mqtt = kiosk_mqtt(tmp_path, ws_broker.port)
    with kiosk(tmp_path, mqtt, cues=CUES, expiry_s=8, branch=BRANCH) as k, chromium() as browser:
        page = browser.new_page(viewport={"width": 1000, "height": 520})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{dashboard.url}?{SCREEN_QUERY}")
        page.evaluate(RECORD_REMOVALS)
        page.fill("#password", "screen-pw")
        early = k.check_in(ADA)  # before the screen connects: it comes by replay after its hello
        [ada] = k.board.active()
        page.click("button[type=submit]")
        page.wait_for_selector("#status[data-state=connected]", timeout=WAIT_MS)
        page.wait_for_selector(".card >> text=Please greet Ada", timeout=WAIT_MS)
        assert k.board.stats.replays == 1

        # Grace arrives 3 s before Ada's cue runs out, so hers outlives it by 5 s however long the
        # page took to connect.
        time.sleep(max(0.0, ada.expires_at - 3 - time.time()))
        live = k.check_in(GRACE)
        grace = page.wait_for_selector(".card >> text=Please greet Grace", timeout=WAIT_MS)
        assert grace is not None
        card = page.locator(".card", has_text="Grace")
        assert "prefers a seat" in card.inner_text() and "mortgage advice" in card.inner_text()
        assert "left" in card.locator(".left").inner_text()

        # Ada's cue runs out: her card goes, not before its expiry, and the kiosk withdraws the cue
        # (either may come first); Grace's stays.
        page.wait_for_selector(".card >> text=Please greet Ada", state="detached", timeout=WAIT_MS)
        assert page.evaluate("removedAt")[ada.cue_id] >= deadline_ms(ada)
        assert eventually(lambda: early.visit_id not in {c.checkin.visit_id for c in k.board.active()})
        assert page.locator(".card", has_text="Grace").count() == 1

        card.get_by_role("button", name="Served").click()
        page.wait_for_selector(".card >> text=Please greet Grace", state="detached", timeout=WAIT_MS)
        [audit] = k.feedback_audits()
        assert audit["screen"] == "counter-1" and audit["customer_ref"] == GRACE.customer_ref
        assert str(audit["detail"]).startswith("served") and live.visit_id in str(audit["detail"])
        assert k.board.stats.verdicts["served"] == 1
        assert page.locator("#empty").is_visible()
        assert problems == []


@pytest.mark.browser
@pytest.mark.subprocess
def test_a_second_tab_of_one_screen_account_takes_over_and_the_first_stops(
    tmp_path: Path, ws_broker: MosquittoBroker, dashboard: DashboardServer
) -> None:
    """The broker keeps one connection per account and drops the older one. Left alone, the older tab
    would reconnect and take the session back, and the two would knock each other off every 2 s."""
    mqtt = kiosk_mqtt(tmp_path, ws_broker.port)
    screen_logins = ws_broker.log_path.read_text().count("u'screen-0427-counter-1'")
    with kiosk(tmp_path, mqtt, branch=BRANCH) as k, chromium() as browser:
        tabs = browser.new_context()  # one browser profile: its tabs can hear each other
        first, second = tabs.new_page(), tabs.new_page()
        for page in (first, second):
            page.goto(f"{dashboard.url}?screen=counter-1&username=screen-0427-counter-1")
            page.fill("#password", "screen-pw")
            page.click("button[type=submit]")
            page.wait_for_selector("#status[data-state=connected]", timeout=WAIT_MS)
        first.wait_for_selector("#status[data-state=replaced]", timeout=WAIT_MS)
        assert "another tab" in first.locator("#status").inner_text()
        second.wait_for_timeout(5_000)  # two of MQTT.js's 2 s reconnects, had the first kept trying
        assert second.locator("#status").get_attribute("data-state") == "connected"
        assert first.locator("#status").get_attribute("data-state") == "replaced"
        k.check_in(GRACE)
        second.wait_for_selector(".card >> text=Please greet Grace", timeout=WAIT_MS)
        assert first.locator(".card").count() == 0 and first.locator("#login").is_visible()
    assert ws_broker.log_path.read_text().count("u'screen-0427-counter-1'") - screen_logins == 2


def deadline_ms(cue: Cue) -> int:
    """The cue's end as the page reads it, from the message it received."""
    expires_at = json.loads(cue.to_json())["expires_at"]
    return round(datetime.fromisoformat(expires_at).timestamp() * 1000)
