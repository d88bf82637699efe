"""Only signed requests pass; a replay does not; a device whose clock is hours off still syncs."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import httpx

from sync.central_sim import CentralSim
from sync.signing import signed_headers
from tests.sync.helpers import OTHER_SECRET, SECRET, Device

GALLERY = "/v1/devices/door-1/gallery?limit=5"


def test_a_signed_request_passes_and_the_answer_carries_the_server_date(device: Device) -> None:
    response = device.request("GET", GALLERY)
    assert response.status_code == 200, response.text
    server_time = parsedate_to_datetime(response.headers["Date"]).timestamp()
    assert abs(server_time - time.time()) < 5


def test_an_unsigned_request_is_refused(sim: CentralSim) -> None:
    response = httpx.get(sim.base_url + GALLERY)
    assert response.status_code == 401
    assert "unsigned" in response.json()["detail"]


def test_a_bad_signature_is_refused(sim: CentralSim) -> None:
    headers = signed_headers("door-1", SECRET, "GET", GALLERY, int(time.time()), b"")
    headers["X-Signature"] = headers["X-Signature"][:-1] + ("0" if headers["X-Signature"][-1] != "0" else "1")
    response = httpx.get(sim.base_url + GALLERY, headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "bad signature"


def test_a_signature_for_another_query_is_refused(sim: CentralSim) -> None:
    headers = signed_headers("door-1", SECRET, "GET", GALLERY, int(time.time()), b"")
    response = httpx.get(sim.base_url + "/v1/devices/door-1/gallery?limit=6", headers=headers)
    assert response.status_code == 401


def test_one_device_cannot_use_another_devices_resources(sim: CentralSim) -> None:
    door_2 = Device(sim.base_url, "door-2", OTHER_SECRET)
    assert door_2.request("GET", "/v1/devices/door-2/gallery").status_code == 200
    assert door_2.request("GET", GALLERY).status_code == 401
    # Its own id in the header, but signed with door-1's secret: no.
    assert Device(sim.base_url, "door-2", SECRET).gallery().status_code == 401
    assert Device(sim.base_url, "door-9", SECRET).gallery().status_code == 401


def test_a_replayed_request_is_refused(sim: CentralSim) -> None:
    headers = signed_headers("door-1", SECRET, "GET", GALLERY, int(time.time()), b"")
    assert httpx.get(sim.base_url + GALLERY, headers=headers).status_code == 200
    replay = httpx.get(sim.base_url + GALLERY, headers=headers)
    assert replay.status_code == 401
    assert "replayed" in replay.json()["detail"]


def test_a_clock_hours_off_still_syncs(device: Device) -> None:
    for skew_s in (-6 * 3600, 9 * 3600, -400 * 86_400):
        device.skew_s = skew_s
        assert device.request("GET", GALLERY).status_code == 200


def test_the_same_request_twice_in_one_second_passes_with_distinct_timestamps(device: Device) -> None:
    # The device bumps its timestamp; the identical request is then not a replay.
    assert [device.request("GET", GALLERY).status_code for _ in range(3)] == [200, 200, 200]
