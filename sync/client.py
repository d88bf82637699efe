"""The device's HTTP client for the central service: every request signed, nothing else hidden.

Timestamps never repeat (the server rejects a replayed signature), whatever the device clock says:
each request is signed with max(clock, previous + 1), so a clock hours off still syncs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal
from urllib.parse import quote, urlencode

import httpx

from common.net import parse_url
from sync.gallery import ReadPage, read_page
from sync.models import UploadResult
from sync.signing import signed_headers

UploadKind = Literal["checkin", "audit", "aggregate"]
_PATHS: dict[UploadKind, str] = {"checkin": "checkins", "audit": "audit", "aggregate": "aggregates"}


class CentralError(Exception):
    """The central service could not be reached or refused the request; `status` 0 when unreachable."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status or 'unreachable'}: {detail}")
        self.status = status
        self.detail = detail

    @property
    def retryable(self) -> bool:
        return self.status == 0 or self.status == 429 or self.status >= 500


class Gone(CentralError):
    """410: the cursor is too old. Wipe the gallery and pull again from the start."""


class KeyConflict(CentralError):
    """422 on an Idempotency-Key already used for another body: the batch changed under its key."""


class CentralClient:
    def __init__(
        self,
        base_url: str,
        device_id: str,
        secret: bytes,
        *,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # The URL the config's plaintext rule judged, judged the same way here: one with user info,
        # or that URL parsers could read differently, is refused rather than sent somewhere else.
        parse_url(base_url, ("http", "https"))
        self.device_id = device_id
        self._secret = secret
        self._clock = clock
        self._last_timestamp = 0
        self._base = f"/v1/devices/{quote(device_id, safe='')}"
        self._http = httpx.Client(base_url=base_url, timeout=timeout_s, transport=transport)
        self.requests = 0

    def close(self) -> None:
        self._http.close()

    def _send(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        timestamp = max(int(self._clock()), self._last_timestamp + 1)
        self._last_timestamp = timestamp
        signed = signed_headers(self.device_id, self._secret, method, path, timestamp, content)
        all_headers = {**signed, **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        self.requests += 1
        try:
            return self._http.request(method, path, content=content, headers=all_headers)
        except httpx.HTTPError as exc:
            raise CentralError(0, str(exc) or type(exc).__name__) from exc

    @staticmethod
    def _failed(response: httpx.Response) -> CentralError:
        detail = response.text[:300]
        if response.status_code == 410:
            return Gone(410, detail)
        if response.status_code == 422 and "Idempotency-Key" in detail:
            return KeyConflict(422, detail)
        return CentralError(response.status_code, detail)

    def pull_gallery(self, cursor: str | None, limit: int = 500) -> ReadPage:
        query = {"limit": str(limit)} | ({"cursor": cursor} if cursor is not None else {})
        response = self._send("GET", f"{self._base}/gallery?{urlencode(query)}")
        if response.status_code != 200:
            raise self._failed(response)
        try:
            raw = response.json()
        except ValueError as exc:
            raise CentralError(response.status_code, f"gallery page is not JSON: {exc}") from exc
        return read_page(raw)

    def upload(
        self, kind: UploadKind, idempotency_key: str, records: Sequence[dict[str, Any]]
    ) -> UploadResult:
        response = self._send(
            "POST",
            f"{self._base}/{_PATHS[kind]}",
            {"records": list(records)},
            {"Idempotency-Key": idempotency_key},
        )
        if response.status_code != 200:
            raise self._failed(response)
        return UploadResult.model_validate(response.json())

    def acknowledge_deletions(self, customer_refs: Sequence[str]) -> int:
        response = self._send("POST", f"{self._base}/deletion-acks", {"customer_refs": list(customer_refs)})
        if response.status_code != 200:
            raise self._failed(response)
        return int(response.json().get("acknowledged", 0))
