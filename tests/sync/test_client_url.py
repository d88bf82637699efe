"""The device's client for the central service judges its base URL the way the config check does."""

from __future__ import annotations

import pytest

from sync.central_sim import CentralSim
from sync.client import CentralClient
from tests.sync.helpers import SECRET


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1@central.evil.example/", "https://kiosk:secret@central.bank.example/"]
)
def test_a_base_url_with_user_info_is_refused_not_followed(url: str) -> None:
    with pytest.raises(ValueError, match="user name or password"):
        CentralClient(url, "door-1", SECRET)


def test_a_plain_base_url_reaches_the_service(sim: CentralSim) -> None:
    client = CentralClient(sim.base_url, "door-1", SECRET)
    try:
        assert client.pull_gallery(None).items == []
    finally:
        client.close()
