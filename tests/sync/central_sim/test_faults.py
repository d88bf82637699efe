"""Each switchable fault, met for real over HTTP; the admin endpoint stays reachable through all."""

from __future__ import annotations

import time

import httpx
import pytest

from sync.central_sim import CentralSim
from sync.models import Problem
from tests.sync.helpers import Device, checkin, customer


def set_fault(sim: CentralSim, **faults: object) -> None:
    response = httpx.post(sim.base_url + "/admin/faults", json=faults)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("mode", "status"), [("down", 503), ("error", 500)])
def test_down_and_error_fail_every_device_call_until_switched_off(
    sim: CentralSim, device: Device, mode: str, status: int
) -> None:
    set_fault(sim, mode=mode)
    assert httpx.get(sim.base_url + "/admin/faults").json()["mode"] == mode
    gallery = device.gallery()
    assert gallery.status_code == status
    Problem.model_validate(gallery.json())
    assert device.upload("checkins", [checkin("visit-1")], key="batch-0001").status_code == status
    assert sim.db.records("checkins") == {}
    set_fault(sim, mode="ok")
    assert device.gallery().status_code == 200
    # The batch that failed is retried with the same key and stored once.
    assert device.upload("checkins", [checkin("visit-1")], key="batch-0001").json()["accepted"] == 1


def test_slow_holds_each_answer_for_the_delay(sim: CentralSim, device: Device) -> None:
    set_fault(sim, mode="slow", delay_s=0.4)
    started = time.monotonic()
    assert device.gallery().status_code == 200
    assert time.monotonic() - started >= 0.4
    # A device with a shorter timeout than the delay sees a timeout, not an answer.
    device.http.timeout = httpx.Timeout(0.1)
    with pytest.raises(httpx.ReadTimeout):
        device.gallery()
    set_fault(sim, mode="ok")
    device.http.timeout = httpx.Timeout(5)
    started = time.monotonic()
    assert device.gallery().status_code == 200
    assert time.monotonic() - started < 0.3


def test_gone_and_malformed_switch_back_to_ok_by_themselves(sim: CentralSim, device: Device) -> None:
    sim.db.enroll(customer("CUST-1"))
    set_fault(sim, mode="gone")
    assert httpx.get(sim.base_url + "/admin/faults").json()["mode"] == "ok"
    set_fault(sim, mode="malformed")
    assert len(device.gallery().json()["items"]) == 2
    assert httpx.get(sim.base_url + "/admin/faults").json()["mode"] == "ok"
    assert len(device.gallery().json()["items"]) == 1


@pytest.mark.parametrize(
    ("mode", "status"),
    [("redirect", 302), ("unauthorized", 401), ("forbidden", 403), ("throttled", 429), ("not_json", 200)],
)
def test_refusals_not_about_the_records_answer_as_a_proxy_or_a_rotated_secret_would(
    sim: CentralSim, device: Device, mode: str, status: int
) -> None:
    set_fault(sim, mode=mode)
    refused = device.upload("checkins", [checkin("visit-1")], key="batch-0001")
    assert refused.status_code == status
    if mode == "redirect":
        assert refused.headers["Location"].startswith("https://")
    if mode == "throttled":
        assert refused.headers["Retry-After"] == "1"
    if mode == "not_json":
        assert refused.headers["Content-Type"].startswith("text/html")
    assert sim.db.records("checkins") == {}
    set_fault(sim, mode="ok")
    assert device.upload("checkins", [checkin("visit-1")], key="batch-0001").json()["accepted"] == 1


def test_a_fault_on_uploads_only_lets_the_gallery_through(sim: CentralSim, device: Device) -> None:
    sim.db.enroll(customer("CUST-1"))
    set_fault(sim, mode="unauthorized", scope="uploads")
    assert device.gallery().status_code == 200
    assert device.upload("checkins", [checkin("visit-1")]).status_code == 401
    acks = device.request("POST", "/v1/devices/door-1/deletion-acks", b'{"customer_refs": ["C"]}')
    assert acks.status_code == 401


def test_an_unknown_fault_is_refused(sim: CentralSim) -> None:
    assert httpx.post(sim.base_url + "/admin/faults", json={"mode": "flaky"}).status_code == 422
