"""Only signed requests pass; a stale or replayed one does not; a clock hours off is told the time."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from sync.central_sim import CentralDb, CentralSim
from sync.signing import MAX_SKEW_S, STALE_TIMESTAMP, signed_headers
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


def test_a_request_signed_25_hours_ago_is_refused_though_its_signature_is_valid(sim: CentralSim) -> None:
    """Issue #14: the gallery (templates included) came back for a request replayed a day later."""
    captured = signed_headers("door-1", SECRET, "GET", GALLERY, int(time.time()) - 25 * 3600, b"")
    response = httpx.get(sim.base_url + GALLERY, headers=captured)
    assert response.status_code == 401
    assert response.json()["detail"].startswith(STALE_TIMESTAMP)


def test_a_replay_inside_the_window_is_refused(sim: CentralSim) -> None:
    # Signed by a device running almost the whole window ahead: the server must still know it when
    # its own clock reaches that timestamp, and until the timestamp falls out of the window behind.
    captured = signed_headers("door-1", SECRET, "GET", GALLERY, int(time.time()) + MAX_SKEW_S - 10, b"")
    assert httpx.get(sim.base_url + GALLERY, headers=captured).status_code == 200
    replay = httpx.get(sim.base_url + GALLERY, headers=captured)
    assert replay.status_code == 401
    assert "replayed" in replay.json()["detail"]


@pytest.mark.parametrize("skew_s", [-6 * 3600, 9 * 3600, -400 * 86_400])
def test_a_clock_hours_off_is_refused_with_the_time_to_sign_with(device: Device, skew_s: int) -> None:
    device.skew_s = skew_s
    refused = device.request("GET", GALLERY)
    assert refused.status_code == 401
    assert refused.json()["detail"].startswith(STALE_TIMESTAMP)
    server_time = parsedate_to_datetime(refused.headers["Date"]).timestamp()
    device.skew_s = int(server_time - time.time())
    assert device.request("GET", GALLERY).status_code == 200


def test_the_same_request_twice_in_one_second_passes_with_distinct_timestamps(device: Device) -> None:
    # The device bumps its timestamp; the identical request is then not a replay.
    assert [device.request("GET", GALLERY).status_code for _ in range(3)] == [200, 200, 200]


def test_a_seen_signature_is_kept_until_its_timestamp_leaves_the_window(tmp_path: Path) -> None:
    db = CentralDb(tmp_path / "central.db")
    now = 1_800_000_000
    ahead = now + MAX_SKEW_S  # a device at the window's far edge
    assert db.first_use_of_signature("door-1", ahead, "f00d", now=now)
    # Acceptable until the server's clock is MAX_SKEW_S past it: refused as a replay all that while.
    for later in (now + 1, now + MAX_SKEW_S, now + 2 * MAX_SKEW_S):
        assert not db.first_use_of_signature("door-1", ahead, "f00d", now=later)
    # Then let go (the window refuses it now), so the log does not grow without end.
    assert db.first_use_of_signature("door-1", ahead, "f00d", now=now + 2 * MAX_SKEW_S + 1)
    db.close()
