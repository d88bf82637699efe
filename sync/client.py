"""The device's HTTP client for the central service: every request signed, nothing else hidden.

Timestamps never repeat (the server rejects a replayed signature), whatever the device clock says:
each request is signed with max(clock, previous + 1), so a clock hours off still syncs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, Literal, Self, TypeVar
from urllib.parse import quote, urlencode

import httpx
from pydantic import BaseModel, ValidationError

from common.redaction import redact
from sync.gallery import ReadPage, read_page
from sync.models import DeletionAckResult, UploadRefused, UploadResult
from sync.signing import signed_headers

UploadKind = Literal["checkin", "audit", "aggregate"]
_PATHS: dict[UploadKind, str] = {"checkin": "checkins", "audit": "audit", "aggregate": "aggregates"}


Answer = TypeVar("Answer", bound=BaseModel)


class CentralError(Exception):
    """The central service could not be reached or refused the request; `status` 0 when unreachable.
    Whatever the status, it says nothing against the records sent: only RecordsRejected does."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status or 'unreachable'}: {detail}")
        self.status = status
        self.detail = detail

    def without(self, customer_refs: Iterable[object]) -> Self:
        """The same error, with the refs the request carried cut from what the server wrote: an echo of
        them must not reach the logs, which cannot forget a customer who withdraws."""
        clone = type(self).__new__(type(self))  # copy.copy would call __init__ with the message alone
        clone.__dict__.update(self.__dict__)
        clone.detail = redact(self.detail, customer_refs, "<customer_ref>")
        clone.args = (f"{self.status or 'unreachable'}: {clone.detail}",)
        return clone

    @property
    def summary(self) -> str:
        """The status and its standard phrase, nothing the server wrote: fit for health reports, which
        are published, whereas a proxy's page or a server's error may echo what it was sent."""
        if self.status == 0:
            return "unreachable"
        try:
            return f"{self.status} {HTTPStatus(self.status).phrase}"
        except ValueError:
            return f"HTTP {self.status}"


class NotContract(CentralError):
    """An answer that is not the contract's JSON (a captive portal's page with a 200, say)."""

    @property
    def summary(self) -> str:
        return f"{super().summary}, not the contract's answer"


class RecordsRejected(CentralError):
    """422 naming records refused for their own content: `rejected` maps record_id to the reason."""

    def __init__(self, detail: str, rejected: Mapping[str, str]) -> None:
        super().__init__(422, detail)
        self.rejected = dict(rejected)

    def without(self, customer_refs: Iterable[object]) -> Self:
        refs = list(customer_refs)
        clone = super().without(refs)
        clone.rejected = {
            record_id: redact(why, refs, "<customer_ref>") for record_id, why in self.rejected.items()
        }
        return clone


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

    @staticmethod
    def _answer(response: httpx.Response, model: type[Answer]) -> Answer:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise NotContract(response.status_code, f"not a {model.__name__}: {exc}"[:300]) from exc

    def pull_gallery(self, cursor: str | None, limit: int = 500) -> ReadPage:
        query = {"limit": str(limit)} | ({"cursor": cursor} if cursor is not None else {})
        response = self._send("GET", f"{self._base}/gallery?{urlencode(query)}")
        if response.status_code != 200:
            raise self._failed(response)
        try:
            return read_page(response.json())
        except ValueError as exc:  # not JSON at all, or a PageError
            raise NotContract(response.status_code, f"not a gallery page: {exc}"[:300]) from exc

    def upload(
        self, kind: UploadKind, idempotency_key: str, records: Sequence[dict[str, Any]]
    ) -> UploadResult:
        response = self._send(
            "POST",
            f"{self._base}/{_PATHS[kind]}",
            {"records": list(records)},
            {"Idempotency-Key": idempotency_key},
        )
        if response.status_code == 422:
            raise self._refused_upload(response)
        if response.status_code != 200:
            raise self._failed(response)
        return self._answer(response, UploadResult)

    def _refused_upload(self, response: httpx.Response) -> CentralError:
        try:
            refused = UploadRefused.model_validate_json(response.content)
        except ValidationError:
            return self._failed(response)
        if refused.rejected and "Idempotency-Key" not in str(refused.detail):
            named = {record.record_id: record.reason for record in refused.rejected}
            return RecordsRejected(response.text[:300], named)
        return self._failed(response)

    def acknowledge_deletions(self, customer_refs: Sequence[str]) -> int:
        response = self._send("POST", f"{self._base}/deletion-acks", {"customer_refs": list(customer_refs)})
        if response.status_code != 200:
            raise self._failed(response)
        return self._answer(response, DeletionAckResult).acknowledged
