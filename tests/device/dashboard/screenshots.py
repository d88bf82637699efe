"""The README's pictures of the teller screen, made for real: `python -m tests.device.dashboard.screenshots`
writes docs/dashboard-en.png and docs/dashboard-zh.png (or `--out DIR`).

A private Mosquitto (the shipped ACL), the dashboard server, the daemon's cue board and a headless
Chromium, as the tests use them: three customers check in (two by face, one with a card), the floor
reports a queue long enough for the queue alert ("open another counter"), and the screen is
photographed in English and in Chinese. The Chinese picture needs a CJK font on this machine (Debian:
`apt-get install fonts-noto-cjk`).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, ViewportSize

from device.cues.cue import iso_utc
from device.dashboard.server import DashboardServer
from device.demo.broker import MosquittoBroker
from device.mqtt.contract.models import QueueAlertPayload
from device.mqtt.link import Outgoing
from tests.browser import chromium
from tests.conftest import REPO
from tests.device.cues.rig import GRACE, Kiosk, kiosk
from tests.device.dashboard.screen import (
    ADA,
    BRANCH,
    CUES,
    LIN,
    SCREEN_QUERY,
    WAIT_MS,
    dashboard_for,
    kiosk_mqtt,
    sign_in,
    teller_broker,
)
from tests.waiting import eventually

# ?lang= -> (the browser's own locale, as a screen in that branch would have it; the file)
PICTURES = {"en": ("en-GB", "dashboard-en.png"), "zh-Hans": ("zh-CN", "dashboard-zh.png")}
VIEWPORT: ViewportSize = {"width": 1100, "height": 580}
MAX_BYTES = 300_000


def show_queue(k: Kiosk, page: Page) -> None:
    """Floor snapshots as the daemon sends them (QoS 0, not retained) until the screen has one."""

    def shown() -> bool:
        snapshot = {"at": time.time(), "occupancy": 7, "zones": {"queue": 3, "counter 1": 1, "counter 2": 1},
                    "lines": {"main door": {"in": 41, "out": 34}}, "queue_length": 3,
                    "estimated_wait_s": 480.0}  # fmt: skip
        k.link.publish_floor(snapshot, 30)
        page.wait_for_timeout(300)
        return page.get_attribute("#queue", "data-state") == "live"

    assert eventually(shown), page.inner_text("#queue")


def show_queue_alert(k: Kiosk, page: Page) -> None:
    """The alert the floor keeper would raise for that queue: 3 x 4 min at the 2 counters busy is over the
    5 min target; a third counter brings it within."""
    now = time.time()
    alert = QueueAlertPayload(state="raised", since=iso_utc(now - 95), expires_at=iso_utc(now + 900),
                              reasons=["line"], counters_open=2, counters_open_from="occupied_counter_zones",
                              counters_needed=3, more_counters=1, queue_length=3, estimated_wait_s=480.0,
                              target_wait_s=300.0, target_share=0.8)  # fmt: skip
    k.link.send(Outgoing(k.topics.queue_alert, alert.to_json(), 1, now + 900, retain=True))
    page.wait_for_selector("#queue-alert", state="visible", timeout=WAIT_MS)


def photograph(
    browser: Browser, broker: MosquittoBroker, dashboard: DashboardServer, lang: str, out: Path
) -> Path:
    with tempfile.TemporaryDirectory(prefix="branchdoor-shot-") as folder:
        mqtt = kiosk_mqtt(Path(folder), broker.port)
        with kiosk(Path(folder), mqtt, cues=CUES, expiry_s=900, branch=BRANCH) as k:
            locale, name = PICTURES[lang]
            screen = browser.new_context(viewport=VIEWPORT, locale=locale)
            page = screen.new_page()
            page.goto(f"{dashboard.url}?{SCREEN_QUERY}&lang={lang}")
            sign_in(page)
            k.arrive(ADA, seconds_ago=250)
            k.arrive(LIN, seconds_ago=155, channel="token")
            page.wait_for_selector("#cards .card:nth-child(2)", timeout=WAIT_MS)
            page.wait_for_selector(".card.fresh", state="detached", timeout=WAIT_MS)  # they are not new now
            k.arrive(GRACE, seconds_ago=3)
            page.wait_for_selector(".card.fresh", timeout=WAIT_MS)
            show_queue(k, page)
            show_queue_alert(k, page)
            path = out / name
            page.screenshot(path=str(path), animations="disabled")
            screen.close()
    return path


def make_pictures(out: Path, langs: tuple[str, ...] = tuple(PICTURES)) -> list[Path]:
    with teller_broker() as broker, dashboard_for(broker) as dashboard, chromium() as browser:
        return [photograph(browser, broker, dashboard, lang, out) for lang in langs]


def has_cjk_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    found = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="folder to write the PNGs to")
    args = parser.parse_args()
    if not has_cjk_font():
        print("no Chinese font on this machine: the Chinese picture would show boxes. "
              "Install one: apt-get install fonts-noto-cjk", file=sys.stderr)  # fmt: skip
        return 1
    for path in make_pictures(args.out):
        size = path.stat().st_size
        print(f"wrote {path} ({size // 1000} KB)")
        if size > MAX_BYTES:
            print(f"{path} is over {MAX_BYTES // 1000} KB: too big for the repository", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
