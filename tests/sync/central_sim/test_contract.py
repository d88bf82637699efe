"""sync/openapi.json is what the sim serves, and the sim's answers fit the documented schemas."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi.routing import APIRoute
from pydantic import BaseModel

from sync import models
from sync.central_sim import CentralSim
from sync.central_sim.contract import DOCUMENT, generated, render
from tests.sync.helpers import Device, checkin, customer


def test_the_committed_document_is_the_generated_one() -> None:
    assert DOCUMENT.read_text() == render(generated()), (
        "sync/openapi.json is stale: run `.venv/bin/python -m sync.central_sim.contract` and commit it"
    )


def test_every_documented_operation_is_served(sim: CentralSim) -> None:
    document = json.loads(DOCUMENT.read_text())
    served = {
        (route.path, method.lower())
        for route in sim.app.routes
        if isinstance(route, APIRoute)
        for method in route.methods or set()
    }
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert documented == {
        ("/v1/devices/{device_id}/gallery", "get"),
        ("/v1/devices/{device_id}/checkins", "post"),
        ("/v1/devices/{device_id}/audit", "post"),
        ("/v1/devices/{device_id}/aggregates", "post"),
        ("/v1/devices/{device_id}/deletion-acks", "post"),
    }
    assert documented <= served
    # The served document is the committed one: what an integrator downloads is what they read.
    assert httpx.get(sim.base_url + "/openapi.json").json() == document


def test_every_device_operation_requires_all_three_signing_headers() -> None:
    document = json.loads(DOCUMENT.read_text())
    for operations in document["paths"].values():
        for operation in operations.values():
            assert operation["security"] == [{"DeviceId": [], "Signature": [], "Timestamp": []}]


def documented_model(path: str, method: str, status: int) -> type[BaseModel]:
    document = json.loads(DOCUMENT.read_text())
    content = document["paths"][path][method]["responses"][str(status)]["content"]
    ref: str = content["application/json"]["schema"]["$ref"]
    model: type[BaseModel] = getattr(models, ref.rsplit("/", 1)[-1])
    return model


def check(response: httpx.Response, path: str, method: str) -> Any:
    model = documented_model(path, method, response.status_code)
    return model.model_validate(response.json())


def test_answers_fit_their_documented_schemas(sim: CentralSim, device: Device) -> None:
    sim.db.enroll(customer("CUST-1"))
    sim.db.withdraw("CUST-2")
    page = check(device.gallery(), "/v1/devices/{device_id}/gallery", "get")
    assert [item.op for item in page.items] == ["upsert", "delete"]
    upload = device.upload("checkins", [checkin()])
    assert check(upload, "/v1/devices/{device_id}/checkins", "post").accepted == 1
    unsigned = httpx.get(sim.base_url + "/v1/devices/door-1/gallery")
    check(unsigned, "/v1/devices/{device_id}/gallery", "get")
    httpx.post(sim.base_url + "/admin/faults", json={"mode": "gone"}).raise_for_status()
    check(device.gallery(page.next_cursor), "/v1/devices/{device_id}/gallery", "get")
    invalid = device.upload("checkins", [{"record_id": "x"}])
    check(invalid, "/v1/devices/{device_id}/checkins", "post")
