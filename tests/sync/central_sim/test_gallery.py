"""The gallery feed: pages by cursor, tombstones after withdrawal, 410 after expiry, bad items alone."""

from __future__ import annotations

import httpx

from sync.central_sim import CentralSim
from sync.gallery import read_page
from sync.models import GalleryDelete, GalleryPage, GalleryUpsert
from tests.sync.helpers import Device, customer


def test_pages_follow_the_cursor_and_later_pulls_get_only_new_changes(
    sim: CentralSim, device: Device
) -> None:
    for number in range(7):
        sim.db.enroll(customer(f"CUST-{number}"))
    first = device.gallery(limit=3).json()
    assert [item["customer_ref"] for item in first["items"]] == ["CUST-0", "CUST-1", "CUST-2"]
    assert first["more"] is True
    items, cursor = device.pull_all(first["next_cursor"], limit=3)
    assert [item["customer_ref"] for item in items] == [f"CUST-{n}" for n in range(3, 7)]
    assert device.gallery(cursor).json() == {"items": [], "next_cursor": cursor, "more": False}
    sim.db.enroll(customer("CUST-7"))
    later = device.gallery(cursor).json()
    assert [item["customer_ref"] for item in later["items"]] == ["CUST-7"]
    assert later["more"] is False


def test_a_customer_changed_while_paging_is_seen_again_not_lost(sim: CentralSim, device: Device) -> None:
    for number in range(4):
        sim.db.enroll(customer(f"CUST-{number}"))
    first = device.gallery(limit=2).json()
    sim.db.enroll(customer("CUST-0", name="Gracie"))
    items, _ = device.pull_all(first["next_cursor"], limit=2)
    assert [(item["customer_ref"], item["greeting_name"]) for item in items] == [
        ("CUST-2", "Grace"),
        ("CUST-3", "Grace"),
        ("CUST-0", "Gracie"),
    ]


def test_withdrawal_becomes_a_tombstone(sim: CentralSim, device: Device) -> None:
    sim.db.enroll(customer("CUST-1001"))
    items, cursor = device.pull_all()
    assert GalleryUpsert.model_validate(items[0]).customer_ref == "CUST-1001"
    sim.db.withdraw("CUST-1001")
    sim.db.withdraw("CUST-2002", reason="deleted")
    items, _ = device.pull_all(cursor)
    assert [GalleryDelete.model_validate(item) for item in items] == [
        GalleryDelete(op="delete", customer_ref="CUST-1001", reason="withdrawn"),
        GalleryDelete(op="delete", customer_ref="CUST-2002", reason="deleted"),
    ]
    # A device starting from scratch sees the tombstone, not the withdrawn customer.
    fresh, _ = device.pull_all()
    assert [item["op"] for item in fresh] == ["delete", "delete"]


def test_gone_expires_every_cursor_and_a_fresh_pull_rebuilds(sim: CentralSim, device: Device) -> None:
    sim.db.enroll(customer("CUST-1"))
    _, cursor = device.pull_all()
    assert httpx.post(sim.base_url + "/admin/faults", json={"mode": "gone"}).status_code == 200
    for _ in range(2):
        gone = device.gallery(cursor)
        assert gone.status_code == 410
        assert "pull from scratch" in gone.json()["detail"]
    items, new_cursor = device.pull_all()
    assert [item["customer_ref"] for item in items] == ["CUST-1"]
    assert device.gallery(new_cursor).status_code == 200


def test_a_cursor_the_server_never_issued_is_a_bad_request(device: Device) -> None:
    assert device.gallery("not-a-cursor").status_code == 400


def test_malformed_mode_spoils_one_item_of_the_next_page_only(sim: CentralSim, device: Device) -> None:
    for number in range(4):
        sim.db.enroll(customer(f"CUST-{number}"))
    httpx.post(sim.base_url + "/admin/faults", json={"mode": "malformed"}).raise_for_status()
    raw = device.gallery().json()
    assert len(raw["items"]) == 5
    page = read_page(raw)
    assert [item.customer_ref for item in page.items] == [f"CUST-{n}" for n in range(4)]
    assert len(page.refused) == 1 and page.refused[0].customer_ref == "MALFORMED-1"
    assert "templates" in page.refused[0].reason
    # The next page is clean again, and fits the documented model as a whole.
    GalleryPage.model_validate(device.gallery().json())


def test_an_upsert_without_branch_device_consent_is_refused_by_the_reader(
    sim: CentralSim, device: Device
) -> None:
    sim.db.enroll(customer("CUST-1"))
    sim.db.enroll(customer("CUST-APP", scope=("mobile-app",)))
    page = read_page(device.gallery().json())
    assert [item.customer_ref for item in page.items] == ["CUST-1"]
    assert [(r.customer_ref, r.reason) for r in page.refused] == [
        ("CUST-APP", "consent scope does not include 'branch-devices'")
    ]
