"""What a teller needs from the screen, in a real headless Chromium against the real broker (the shipped
ACL) and the daemon's real cue board: who has waited longest, a chime and a flash for a new card (with
a mute the screen remembers), a banner when the kiosk is gone, the queue, language names, how the
customer checked in, an undo for "Not this customer", and the page in English or Chinese."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page

from device.dashboard.server import DashboardServer
from device.demo.broker import MosquittoBroker
from tests.browser import chromium
from tests.device.cues.rig import GRACE, kiosk
from tests.device.dashboard.screen import (
    ADA,
    BRANCH,
    COUNT_TONES,
    CUES,
    LIN,
    WAIT_MS,
    greeted,
    kiosk_mqtt,
    open_screen,
    sign_in,
)
from tests.device.mqtt.tcp_proxy import FreezableProxy
from tests.waiting import eventually

pytestmark = [pytest.mark.browser, pytest.mark.subprocess]


def card(page: Page, name: str) -> str:
    return page.locator(".card", has_text=f" {name}").inner_text()


def waited_s(page: Page, name: str) -> int:
    found = re.search(r"waiting (\d+):(\d\d)", card(page, name))
    assert found is not None, card(page, name)
    return int(found[1]) * 60 + int(found[2])


def test_the_longest_waiting_customer_comes_first_with_the_wait_since_arrival(
    tmp_path: Path, ws_broker: MosquittoBroker, dashboard: DashboardServer
) -> None:
    mqtt = kiosk_mqtt(tmp_path, ws_broker.port)
    with kiosk(tmp_path, mqtt, cues=CUES, expiry_s=600, branch=BRANCH) as k, chromium() as browser:
        page = open_screen(browser, dashboard)
        sign_in(page)
        # Cues come out of arrival order: a check-in the disk held back reaches the screen late.
        k.arrive(ADA, seconds_ago=90)
        k.arrive(GRACE)
        k.arrive(LIN, seconds_ago=30, channel="token")
        page.wait_for_selector("#cards .card:nth-child(3)", timeout=WAIT_MS)
        assert greeted(page) == ["Please greet Ada", "Please greet Lin", "Please greet Grace"]
        assert 90 <= waited_s(page, "Ada") < 90 + WAIT_MS / 1000
        assert 30 <= waited_s(page, "Lin") < waited_s(page, "Ada")
        # The cue's remaining life is there, below the wait; and the wait goes on counting.
        assert re.search(r"\d+:\d\d left", card(page, "Grace"))
        before = waited_s(page, "Grace")
        assert eventually(lambda: waited_s(page, "Grace") > before)


def test_a_new_card_is_announced_by_sight_and_sound_and_the_mute_is_remembered(
    tmp_path: Path, ws_broker: MosquittoBroker, dashboard: DashboardServer
) -> None:
    mqtt = kiosk_mqtt(tmp_path, ws_broker.port)
    broker_ws = f"ws://127.0.0.1:{ws_broker.websockets_port}/"
    with kiosk(tmp_path, mqtt, cues=CUES, expiry_s=600, branch=BRANCH) as k, chromium() as browser:
        screen = browser.new_context()  # one profile: what the screen remembers survives a reload
        screen.add_init_script(COUNT_TONES)
        requests: list[str] = []
        screen.on("request", lambda request: requests.append(request.url))
        page = open_screen(screen, dashboard)
        sign_in(page)
        k.arrive(GRACE)
        page.wait_for_selector(".card.fresh >> text=New", timeout=WAIT_MS)
        assert page.evaluate("tones") >= 1 and page.title().startswith("(1) ")

        page.click("#sound")
        assert page.get_attribute("#sound", "aria-pressed") == "true"
        page.reload()
        assert page.get_attribute("#sound", "aria-pressed") == "true"
        assert "Sound off" in page.inner_text("#sound")
        sign_in(page)
        k.arrive(ADA)
        page.wait_for_selector(".card.fresh >> text=Please greet Ada", timeout=WAIT_MS)
        assert page.evaluate("tones") == 0  # muted: Ada's card came silently

        page.click("#sound")
        k.arrive(LIN, channel="token")
        page.wait_for_selector(".card.fresh >> text=Please greet Lin", timeout=WAIT_MS)
        assert page.evaluate("tones") >= 1
    # The chime is made in the page: nothing came from anywhere but the kiosk and the broker (the
    # blob: is MQTT.js's keepalive worker, made in the page too).
    here = (dashboard.url, f"blob:{dashboard.url}", broker_ws)
    elsewhere = [url for url in requests if not url.startswith(here)]
    assert requests and not elsewhere, elsewhere


def test_the_kiosk_going_offline_raises_a_banner_and_marks_cards_stale_until_it_is_back(
    tmp_path: Path, ws_broker: MosquittoBroker, dashboard: DashboardServer
) -> None:
    # The kiosk reaches the broker through a proxy that can go silent: a cable pulled. The broker
    # then publishes the kiosk's Last Will after 1.5 keepalives.
    proxy = FreezableProxy(ws_broker.port)
    mqtt = kiosk_mqtt(tmp_path, proxy.port, keepalive_s=5)
    try:
        with kiosk(tmp_path, mqtt, cues=CUES, expiry_s=600, branch=BRANCH) as k, chromium() as browser:
            page = open_screen(browser, dashboard)
            sign_in(page)
            k.arrive(GRACE)
            page.wait_for_selector(".card >> text=Please greet Grace", timeout=WAIT_MS)
            assert page.locator("#offline").is_hidden()

            proxy.freeze()
            page.wait_for_selector("#offline >> text=offline since", timeout=WAIT_MS)
            assert "door-1" in page.inner_text("#offline")
            grace = page.locator(".card", has_text="Grace")
            assert "stale" in (grace.get_attribute("class") or "")
            assert "may be out of date" in grace.inner_text()

            proxy.cut_and_thaw()  # the cable is back: the kiosk reconnects, says online, replays
            page.wait_for_selector("#offline", state="hidden", timeout=WAIT_MS)
            page.wait_for_selector(".card:not(.stale) >> text=Please greet Grace", timeout=WAIT_MS)
            assert "online" in page.inner_text("#kiosks")
    finally:
        proxy.close()


def test_the_queue_line_shows_the_branch_queue_and_its_estimated_wait(
    tmp_path: Path, ws_broker: MosquittoBroker, dashboard: DashboardServer
) -> None:
    mqtt = kiosk_mqtt(tmp_path, ws_broker.port)
    with kiosk(tmp_path, mqtt, cues=CUES, branch=BRANCH) as k, chromium() as browser:
        page = open_screen(browser, dashboard)
        sign_in(page)
        assert "no floor data" in page.inner_text("#queue")

        def floor_shows(queue_length: int, wait_s: float, text: str) -> bool:
            # Snapshots are QoS 0 and never retained, as the daemon sends them: one every interval.
            snapshot = {"at": time.time(), "occupancy": queue_length + 2, "zones": {}, "lines": {},
                        "queue_length": queue_length, "estimated_wait_s": wait_s}  # fmt: skip
            k.link.publish_floor(snapshot, 30)
            page.wait_for_timeout(300)
            return text in page.inner_text("#queue")

        assert eventually(lambda: floor_shows(3, 480.0, "Queue: 3 waiting · estimated wait about 8 min"))
        assert eventually(lambda: floor_shows(1, 20.0, "Queue: 1 waiting · estimated wait under a minute"))
        assert eventually(lambda: floor_shows(0, 0.0, "Queue: nobody waiting"))
        assert "service time" in (page.get_attribute("#queue", "title") or "")  # how the wait is estimated


def test_languages_are_named_and_a_card_check_in_says_so(
    tmp_path: Path, ws_broker: MosquittoBroker, dashboard: DashboardServer
) -> None:
    mqtt = kiosk_mqtt(tmp_path, ws_broker.port)
    with kiosk(tmp_path, mqtt, cues=CUES, expiry_s=600, branch=BRANCH) as k, chromium() as browser:
        page = open_screen(browser, dashboard)
        sign_in(page)
        k.arrive(GRACE)
        k.arrive(LIN, channel="token")
        k.arrive(ADA, band="medium")
        page.wait_for_selector("#cards .card:nth-child(3)", timeout=WAIT_MS)
        grace, lin, ada = card(page, "Grace"), card(page, "Lin"), card(page, "Ada")
        assert "speaks English" in grace and "speaks Chinese" in lin and "speaks French" in ada
        assert not re.search(r"speaks (en|zh|fr)\b", grace + lin + ada)
        assert "Card / QR check-in" in lin and "confidence" not in lin  # no camera was involved
        assert "Face check-in · high confidence" in grace
        assert "Face check-in · medium confidence: check the name" in ada


def test_not_this_customer_waits_five_seconds_for_an_undo_before_it_is_sent(
    tmp_path: Path, ws_broker: MosquittoBroker, dashboard: DashboardServer
) -> None:
    mqtt = kiosk_mqtt(tmp_path, ws_broker.port)
    with kiosk(tmp_path, mqtt, cues=CUES, expiry_s=600, branch=BRANCH) as k, chromium() as browser:
        page = open_screen(browser, dashboard)
        sign_in(page)
        k.arrive(GRACE)
        k.arrive(ADA)
        page.wait_for_selector("#cards .card:nth-child(2)", timeout=WAIT_MS)
        grace = page.locator(".card", has_text="Grace")

        # A slip of the finger, taken back.
        slipped_at = page.evaluate("Date.now()")
        grace.get_by_role("button", name="Not this customer").click()
        assert "sent in 5 s" in grace.locator(".pending").inner_text()
        grace.get_by_role("button", name="Undo").click()
        assert grace.get_by_role("button", name="Served").is_visible()
        # Once the undone verdict would have gone, Ada is served. Verdicts of one screen travel in
        # order (QoS 1, one connection): when Ada's is recorded, Grace's would have been before it.
        assert eventually(lambda: page.evaluate("Date.now()") > slipped_at + 6000)
        page.locator(".card", has_text="Ada").get_by_role("button", name="Served").click()
        assert eventually(lambda: len(k.feedback_audits()) == 1)
        [served] = k.feedback_audits()
        assert str(served["detail"]).startswith("served") and served["customer_ref"] == ADA.customer_ref

        # Meant, this time: sent once the five seconds are over, and the card goes.
        page.evaluate(
            """() => new MutationObserver((changes) => {
              if (changes.some((c) => [...c.removedNodes].some((n) => n.textContent.includes("Grace"))))
                window.graceGoneAt = Date.now();
            }).observe(document.getElementById("cards"), { childList: true })"""
        )
        meant_at = page.evaluate("Date.now()")
        grace.get_by_role("button", name="Not this customer").click()
        page.wait_for_selector(".card >> text=Please greet Grace", state="detached", timeout=WAIT_MS)
        assert page.evaluate("graceGoneAt") - meant_at >= 5000
        assert eventually(lambda: len(k.feedback_audits()) == 2)
        wrong = k.feedback_audits()[1]
        assert str(wrong["detail"]).startswith("not_this_customer")
        assert wrong["customer_ref"] == GRACE.customer_ref
        assert k.board.stats.verdicts == {"served": 1, "not_this_customer": 1}


def test_the_page_speaks_the_screens_language_or_the_one_asked_for(
    tmp_path: Path, ws_broker: MosquittoBroker, dashboard: DashboardServer
) -> None:
    mqtt = kiosk_mqtt(tmp_path, ws_broker.port)
    with kiosk(tmp_path, mqtt, cues=CUES, expiry_s=600, branch=BRANCH) as k, chromium() as browser:
        chinese_screen = browser.new_context(locale="zh-CN")
        page = open_screen(chinese_screen, dashboard)  # no ?lang=: the screen's own setting
        page.wait_for_selector("html[lang=zh-Hans]", timeout=WAIT_MS)
        assert page.inner_text("h1") == "到店客户" and page.inner_text("button[type=submit]") == "连接"
        assert "屏幕" in page.inner_text("#login") and "密码" in page.inner_text("#login")
        sign_in(page)
        k.arrive(GRACE, seconds_ago=65)
        k.arrive(LIN, channel="token")
        page.wait_for_selector("#cards .card:nth-child(2)", timeout=WAIT_MS)
        grace, lin = card(page, "Grace"), card(page, "Lin")
        # Chinese punctuation: a full-width colon after 语言 (language).
        assert "请接待 Grace" in grace and "语言：英语" in grace and re.search(r"已等候 \d+:\d\d", grace)  # noqa: RUF001
        assert "刷脸签到" in grace and "卡片 / 二维码签到" in lin and "语言：中文" in lin  # noqa: RUF001
        assert "已接待" in grace and "不是这位客户" in grace
        assert "排队" in page.inner_text("#queue") and "提示音" in page.inner_text("#sound")
        # Every text of the page is in both languages: one table, the same keys.
        keys = page.evaluate(
            """async () => {
              const { STRINGS } = await import("./strings.js");
              return Object.fromEntries(
                Object.entries(STRINGS).map(([lang, table]) => [lang, Object.keys(table)]));
            }"""
        )
        assert set(keys) == {"en", "zh-Hans"} and sorted(keys["en"]) == sorted(keys["zh-Hans"])

        asked = open_screen(chinese_screen, dashboard, "lang=en")  # ?lang= wins over the setting
        asked.wait_for_selector("html[lang=en]", timeout=WAIT_MS)
        assert asked.inner_text("h1") == "Customers arriving"
        english_screen = browser.new_context(locale="en-GB")
        asked = open_screen(english_screen, dashboard, "lang=zh-Hans")
        asked.wait_for_selector("html[lang=zh-Hans]", timeout=WAIT_MS)
        assert asked.inner_text("h1") == "到店客户"


def test_a_customer_the_camera_could_not_vouch_for_is_marked_verify_before_greeting(
    tmp_path: Path, ws_broker: MosquittoBroker, dashboard: DashboardServer
) -> None:
    mqtt = kiosk_mqtt(tmp_path, ws_broker.port)
    with kiosk(tmp_path, mqtt, cues=CUES, expiry_s=600, branch=BRANCH) as k, chromium() as browser:
        page = open_screen(browser, dashboard)
        sign_in(page)
        k.arrive(GRACE, verify=True)
        k.arrive(LIN)
        page.wait_for_selector("#cards .card:nth-child(2)", timeout=WAIT_MS)
        assert "Verify before greeting" in card(page, "Grace")
        assert "Verify before greeting" not in card(page, "Lin")
        assert page.locator(".card.verify img").count() == 0  # a mark, never a photo


def test_a_cue_the_page_cannot_count_with_makes_no_card(
    tmp_path: Path, ws_broker: MosquittoBroker, dashboard: DashboardServer
) -> None:
    # Without readable times a card showed "NaN:NaN left" and re-armed its expiry timer at once,
    # forever: a page spinning on one bad message.
    mqtt = kiosk_mqtt(tmp_path, ws_broker.port)
    with kiosk(tmp_path, mqtt, cues=CUES, expiry_s=600, branch=BRANCH) as k, chromium() as browser:
        page = open_screen(browser, dashboard)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page)
        timeless = {
            "schema": "branchdoor/cue/2",
            "cue_id": "c-1",
            "visit_id": "v-1",
            "greeting_name": "Nobody",
        }
        k.link.publish_json(k.topics.cues, json.dumps(timeless).encode(), 1, 60)
        k.link.publish_json(k.topics.availability, b"rebooting", 1, 60)  # neither online nor offline
        k.arrive(GRACE)
        page.wait_for_selector(".card >> text=Please greet Grace", timeout=WAIT_MS)
        assert greeted(page) == ["Please greet Grace"] and "NaN" not in page.inner_text("body")
        assert page.locator("#offline").is_hidden() and errors == []
