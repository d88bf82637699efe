"""A teller's screen for the browser tests and the README screenshots: the branch broker as shipped (its
ACL, one connection per account, MQTT over WebSockets), the dashboard server, and a page signed in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page

from device.cues.config import CuesConfig
from device.dashboard.config import DashboardConfig
from device.dashboard.server import DashboardServer
from device.demo.broker import MosquittoBroker, free_port
from device.domain import Profile
from device.mqtt.config import MqttConfig
from tests.conftest import REPO

BRANCH = "0427"
KIOSK = "kiosk-0427-door-1"
SCREEN = "screen-0427-counter-1"
PASSWORDS = {KIOSK: "kiosk-pw", SCREEN: "screen-pw"}
SCREEN_QUERY = f"screen=counter-1&zone=counters&username={SCREEN}"
# The kiosk's [cues] screens as the shipped ACL has them: counter-1 serves the counters.
CUES = CuesConfig(screens={"counter-1": "counters"})
WAIT_MS = 30_000  # for what the page, the broker and the kiosk do; a loaded machine is slow

ADA = Profile("CUST-2002", "Ada", "fr", ("savings account", "pension review"), ("needs a document ready",))
LIN = Profile("CUST-3003", "Lin", "zh", ("retirement savings",), ("prefers Mandarin", "hard of hearing"))
# Counts the tones the page starts: the only trace a sound leaves that a headless browser can show.
COUNT_TONES = """
window.tones = 0;
const start = AudioScheduledSourceNode.prototype.start;
AudioScheduledSourceNode.prototype.start = function (...args) {
  window.tones += 1;
  return start.apply(this, args);
};
"""


def teller_broker() -> MosquittoBroker:
    """Not started. As the shipped config/mosquitto/ does: the shipped ACL, and on the websockets
    listener (the last one, where the extra line lands) the client id is the account."""
    return MosquittoBroker(
        users=PASSWORDS,
        websockets_port=free_port(),
        extra_config="use_username_as_clientid true\n",
        acl_file=REPO / "config" / "mosquitto" / "branchdoor.acl",
    )


@contextmanager
def dashboard_for(broker: MosquittoBroker) -> Iterator[DashboardServer]:
    settings = DashboardConfig(enabled=True, port=0, broker_ws_url=f"ws://127.0.0.1:{broker.websockets_port}")
    server = DashboardServer(settings, BRANCH, "branchdoor")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def kiosk_mqtt(folder: Path, port: int, keepalive_s: int = 30) -> MqttConfig:
    password = folder / "kiosk-password"
    password.write_text(PASSWORDS[KIOSK] + "\n")
    password.chmod(0o600)
    return MqttConfig(port=port, username=KIOSK, password_file=password, keepalive_s=keepalive_s)


def open_screen(browser: Browser | BrowserContext, dashboard: DashboardServer, query: str = "") -> Page:
    page = browser.new_page()
    page.set_viewport_size({"width": 1000, "height": 620})
    page.goto(f"{dashboard.url}?{SCREEN_QUERY}{'&' + query if query else ''}")
    return page


def sign_in(page: Page) -> None:
    page.fill("#password", PASSWORDS[SCREEN])
    page.click("button[type=submit]")
    page.wait_for_selector("#status[data-state=connected]", timeout=WAIT_MS)


def greeted(page: Page) -> list[str]:
    """The cards' greetings, top to bottom."""
    return [text.strip() for text in page.locator(".card h2").all_inner_texts()]
