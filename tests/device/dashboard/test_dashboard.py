"""The reference teller dashboard in a real headless Chromium, against a real Mosquitto over
MQTT-over-WebSockets and the daemon's real cue board: a check-in makes a card appear, expiry removes it,
and a click sends feedback that the daemon records in its audit trail."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.cues.config import CuesConfig
from device.dashboard.config import DashboardConfig
from device.dashboard.server import DashboardServer
from device.demo.broker import MosquittoBroker, free_port
from device.domain import Profile
from device.mqtt.config import MqttConfig
from tests.browser import chromium
from tests.device.cues.rig import GRACE, kiosk

BRANCH = "0427"
ADA = Profile("CUST-2002", "Ada", "fr", ("savings account", "pension review"), ("needs a document ready",))
# Set to a path to refresh the README's screenshot from this test.
SCREENSHOT_ENV = "BRANCHDOOR_DASHBOARD_SCREENSHOT"


@pytest.fixture(scope="module")
def ws_broker() -> Iterator[MosquittoBroker]:
    users = {"kiosk-0427-door-1": "kiosk-pw", "screen-0427-counter-1": "screen-pw"}
    # As the shipped config/mosquitto/ does: on the websockets listener (the last one, where the extra
    # line lands) the client id is the account, so one account holds one connection.
    bind = "use_username_as_clientid true\n"
    with MosquittoBroker(users=users, websockets_port=free_port(), extra_config=bind) as broker:
        yield broker


@pytest.fixture
def dashboard(ws_broker: MosquittoBroker) -> Iterator[DashboardServer]:
    settings = DashboardConfig(
        enabled=True, port=0, broker_ws_url=f"ws://127.0.0.1:{ws_broker.websockets_port}"
    )
    server = DashboardServer(settings, BRANCH, "branchdoor")
    server.start()
    yield server
    server.stop()


def test_the_page_and_its_files_are_served_with_nothing_fetched_elsewhere(dashboard: DashboardServer) -> None:
    page = urllib.request.urlopen(dashboard.url).read().decode()  # noqa: S310 (loopback)
    assert 'src="vendor/mqtt.min.js"' in page and "http" not in page.split("<body>")[0].replace(
        "http-equiv", ""
    )
    settings = json.loads(urllib.request.urlopen(dashboard.url + "config.json").read())  # noqa: S310
    assert settings["branch_id"] == BRANCH and settings["broker_ws_url"].startswith("ws://127.0.0.1:")
    assert urllib.request.urlopen(dashboard.url + "favicon.ico").status == 200  # noqa: S310


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


def test_cards_appear_expire_and_take_feedback(
    tmp_path: Path, ws_broker: MosquittoBroker, dashboard: DashboardServer
) -> None:
    password = tmp_path / "kiosk-password"
    password.write_text("kiosk-pw\n")
    password.chmod(0o600)
    mqtt = MqttConfig(port=ws_broker.port, username="kiosk-0427-door-1", password_file=password)
    cues = CuesConfig(screens={"counter-1": "counters"})
    with kiosk(tmp_path, mqtt, cues=cues, expiry_s=8, branch=BRANCH) as k, chromium() as browser:
        page = browser.new_page(viewport={"width": 1000, "height": 520})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        early = k.check_in(ADA)  # before the screen connects: it comes by replay after its hello
        page.goto(f"{dashboard.url}?screen=counter-1&zone=counters&username=screen-0427-counter-1")
        page.fill("#password", "screen-pw")
        page.click("button[type=submit]")
        page.wait_for_selector("#status[data-state=connected]", timeout=10_000)
        page.wait_for_selector(".card >> text=Please greet Ada", timeout=5_000)
        assert k.board.stats.replays == 1

        page.wait_for_timeout(4_000)  # Grace arrives 4 s after Ada: her card outlives Ada's
        live = k.check_in(GRACE)
        grace = page.wait_for_selector(".card >> text=Please greet Grace", timeout=5_000)
        assert grace is not None
        card = page.locator(".card", has_text="Grace")
        assert "prefers a seat" in card.inner_text() and "mortgage advice" in card.inner_text()
        assert "left" in card.locator(".left").inner_text()
        if os.environ.get(SCREENSHOT_ENV):
            page.screenshot(path=os.environ[SCREENSHOT_ENV])

        # Ada's cue runs out: her card goes, Grace's stays.
        page.wait_for_selector(".card >> text=Please greet Ada", state="detached", timeout=10_000)
        assert page.locator(".card", has_text="Grace").count() == 1
        assert early.visit_id not in {c.checkin.visit_id for c in k.board.active()}

        card.get_by_role("button", name="Served").click()
        page.wait_for_selector(".card >> text=Please greet Grace", state="detached", timeout=5_000)
        [audit] = k.feedback_audits()
        assert audit["screen"] == "counter-1" and audit["customer_ref"] == GRACE.customer_ref
        assert str(audit["detail"]).startswith("served") and live.visit_id in str(audit["detail"])
        assert k.board.stats.verdicts["served"] == 1
        assert page.locator("#empty").is_visible()
        assert problems == []


def test_a_second_tab_of_one_screen_account_takes_over_and_the_first_stops(
    tmp_path: Path, ws_broker: MosquittoBroker, dashboard: DashboardServer
) -> None:
    """The broker keeps one connection per account and drops the older one. Left alone, the older tab
    would reconnect and take the session back, and the two would knock each other off every 2 s."""
    password = tmp_path / "kiosk-password"
    password.write_text("kiosk-pw\n")
    password.chmod(0o600)
    mqtt = MqttConfig(port=ws_broker.port, username="kiosk-0427-door-1", password_file=password)
    screen_logins = ws_broker.log_path.read_text().count("u'screen-0427-counter-1'")
    with kiosk(tmp_path, mqtt, branch=BRANCH) as k, chromium() as browser:
        tabs = browser.new_context()  # one browser profile: its tabs can hear each other
        first, second = tabs.new_page(), tabs.new_page()
        for page in (first, second):
            page.goto(f"{dashboard.url}?screen=counter-1&username=screen-0427-counter-1")
            page.fill("#password", "screen-pw")
            page.click("button[type=submit]")
            page.wait_for_selector("#status[data-state=connected]", timeout=10_000)
        first.wait_for_selector("#status[data-state=replaced]", timeout=10_000)
        assert "another tab" in first.locator("#status").inner_text()
        second.wait_for_timeout(5_000)  # two of MQTT.js's 2 s reconnects, had the first kept trying
        assert second.locator("#status").get_attribute("data-state") == "connected"
        assert first.locator("#status").get_attribute("data-state") == "replaced"
        k.check_in(GRACE)
        second.wait_for_selector(".card >> text=Please greet Grace", timeout=5_000)
        assert first.locator(".card").count() == 0 and first.locator("#login").is_visible()
    assert ws_broker.log_path.read_text().count("u'screen-0427-counter-1'") - screen_logins == 2
