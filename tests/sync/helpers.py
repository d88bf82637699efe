"""A signing test client and sample customers, shared by the sync tests."""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from sync.models import Consent, GalleryUpsert
from sync.signing import HEADER_SIGNATURE, signed_headers

SECRET = b"s3cret-for-door-1-0123456789abcdef"
OTHER_SECRET = b"s3cret-for-door-2-0123456789abcdef"
SECRETS = {"door-1": SECRET, "door-2": OTHER_SECRET}


class Device:
    """Signs every request exactly as a kiosk would; `clock` lets a test skew its time."""

    def __init__(self, base_url: str, device_id: str = "door-1", secret: bytes = SECRET) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self.device_id = device_id
        self.secret = secret
        self.skew_s = 0
        self._sent: set[tuple[int, str]] = set()

    def request(
        self, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> httpx.Response:
        # As the contract asks: never the same request twice with one timestamp, or it looks replayed.
        timestamp = int(time.time()) + self.skew_s
        signed = signed_headers(self.device_id, self.secret, method, target, timestamp, body)
        while (timestamp, signed[HEADER_SIGNATURE]) in self._sent:
            timestamp += 1
            signed = signed_headers(self.device_id, self.secret, method, target, timestamp, body)
        self._sent.add((timestamp, signed[HEADER_SIGNATURE]))
        return self.http.request(method, target, content=body, headers={**signed, **(headers or {})})

    def gallery(self, cursor: str | None = None, limit: int = 100) -> httpx.Response:
        query = {"limit": limit} if cursor is None else {"cursor": cursor, "limit": limit}
        return self.request("GET", f"/v1/devices/{self.device_id}/gallery?{urlencode(query)}")

    def upload(self, kind: str, records: list[dict[str, Any]], key: str | None = None) -> httpx.Response:
        body = json.dumps({"records": records}).encode()
        headers = {"Idempotency-Key": key or str(uuid.uuid4()), "Content-Type": "application/json"}
        return self.request("POST", f"/v1/devices/{self.device_id}/{kind}", body, headers)

    def pull_all(self, cursor: str | None = None, limit: int = 100) -> tuple[list[dict[str, Any]], str]:
        items: list[dict[str, Any]] = []
        while True:
            response = self.gallery(cursor, limit)
            assert response.status_code == 200, response.text
            page = response.json()
            items += page["items"]
            cursor = page["next_cursor"]
            if not page["more"]:
                return items, cursor


def customer(ref: str, name: str = "Grace", scope: tuple[str, ...] = ("branch-devices",)) -> GalleryUpsert:
    rng = random.Random(ref)
    return GalleryUpsert(
        op="upsert",
        customer_ref=ref,
        greeting_name=name,
        language="en",
        interests=["mortgage advice"],
        service_hints=["prefers a seat"],
        consent=Consent(
            notice_version="notice-2026-03",
            purpose="branch-check-in",
            scope=list(scope),
            channel="kiosk-enrollment",
            granted_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
        ),
        embedding_model="dlib_face_recognition_resnet_model_v1",
        templates=[[rng.uniform(-0.3, 0.3) for _ in range(128)] for _ in range(3)],
    )


def checkin(record_id: str | None = None, ref: str = "CUST-1001") -> dict[str, Any]:
    return {
        "record_id": record_id or str(uuid.uuid4()),
        "customer_ref": ref,
        "branch_id": "0427",
        "at": "2026-11-29T09:34:19.512Z",
        "score_band": "high",
    }
