"""The device's client against the real reference service: a clock hours off learns the server's time
from its Date header and still syncs; its timestamps never repeat a request, nor run ahead in a burst."""

from __future__ import annotations

import time

import pytest

from sync.central_sim import CentralSim
from sync.client import CentralClient
from sync.signing import MAX_SKEW_S
from tests.sync.helpers import SECRET, checkin, customer


@pytest.mark.parametrize("skew_s", [-6 * 3600, 3 * 3600, -400 * 86_400])
def test_a_client_whose_clock_is_hours_off_signs_with_the_servers_time(sim: CentralSim, skew_s: int) -> None:
    sim.db.enroll(customer("CUST-1"))
    client = CentralClient(sim.base_url, "door-1", SECRET, clock=lambda: time.time() + skew_s)
    try:
        page = client.pull_gallery(None)
        assert [item.customer_ref for item in page.items] == ["CUST-1"]
        assert client.requests == 2  # refused once, with the server's time in the answer; signed again
        assert client.upload("checkin", "batch-0001", [checkin("v1")]).accepted == 1
        assert client.requests == 3  # from then on, right the first time
    finally:
        client.close()
    assert sim.db.records("checkins") == {"v1": 1}


def test_the_same_request_twice_in_one_second_is_not_taken_for_a_replay(sim: CentralSim) -> None:
    now = time.time()
    client = CentralClient(sim.base_url, "door-1", SECRET, clock=lambda: now)
    try:
        for _ in range(3):
            client.pull_gallery(None)
    finally:
        client.close()


@pytest.mark.slow  # 320 signed uploads to a real server
def test_a_backlog_drained_in_a_burst_stays_inside_the_window(sim: CentralSim) -> None:
    """More distinct requests within one second of the device's clock than the window has seconds:
    bumping every timestamp would run the device out of the window ahead of the server."""
    now = time.time()
    client = CentralClient(sim.base_url, "door-1", SECRET, clock=lambda: now)
    try:
        for n in range(MAX_SKEW_S + 20):
            assert client.upload("checkin", f"batch-{n:05d}", [checkin(f"v{n}")]).accepted == 1
    finally:
        client.close()
    assert len(sim.db.records("checkins")) == MAX_SKEW_S + 20
