"""The device's HTTP client for the central service: every request signed, nothing else hidden.

The server refuses a timestamp outside its window and a signature it has seen. So the client signs
with the server's time, learned from the `Date` header of its answers (a clock hours off is refused
once, then signs again with the time that answer carried), and never signs the same request twice
with the same timestamp (across a restart it may: refused as a replay, it signs again a second later).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any, Literal, Self, TypeVar
from urllib.parse import quote, urlencode

import httpx
from pydantic import BaseModel, ValidationError

from common.net import parse_url
from common.redaction import redact
from sync.gallery import ReadPage, read_page
from sync.models import DeletionAckResult, UploadRefused, UploadResult
from sync.signing import HEADER_SIGNATURE, MAX_SKEW_S, REPLAYED, STALE_TIMESTAMP, signed_headers

UploadKind = Literal["checkin", "audit", "aggregate"]
# `Date` has whole seconds and arrives after some latency: a smaller difference is no news.
_OFFSET_RESOLUTION_S = 2.0
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
        # The URL the config's plaintext rule judged, judged the same way here: one with user info,
        # or that URL parsers could read differently, is refused rather than sent somewhere else.
        parse_url(base_url, ("http", "https"))
        self.device_id = device_id
        self._secret = secret
        self._clock = clock
        self.offset_s = 0.0  # the server's clock minus ours, from the Date of its last answers
        self._sent: set[tuple[int, str]] = set()  # (timestamp, signature) signed lately
        self._base = f"/v1/devices/{quote(device_id, safe='')}"
        self._http = httpx.Client(base_url=base_url, timeout=timeout_s, transport=transport)
        self.requests = 0

    def close(self) -> None:
        self._http.close()

    def _send(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        extra = dict(headers or {})
        if body is not None:
            extra["Content-Type"] = "application/json"
        offset_s = self.offset_s
        response = self._signed(method, path, content, extra)
        refused = _detail(response) if response.status_code == 401 else ""
        # Once more: with the server's time, which this answer's Date has just taught us; or a second
        # later, after a restart made us repeat a request the server had seen within that second.
        learned = refused.startswith(STALE_TIMESTAMP) and self.offset_s != offset_s
        if learned or refused.startswith(REPLAYED):
            response = self._signed(method, path, content, extra)
        return response

    def _signed(self, method: str, path: str, content: bytes, extra: dict[str, str]) -> httpx.Response:
        timestamp = int(self._clock() + self.offset_s)
        signed = signed_headers(self.device_id, self._secret, method, path, timestamp, content)
        # The same request again within a second (a poll, a retry) would repeat its signature, which
        # the server takes for a replay: a second later is another signature. Only repeats move on,
        # so a burst of different requests keeps the server's time.
        while (timestamp, signed[HEADER_SIGNATURE]) in self._sent:
            timestamp += 1
            signed = signed_headers(self.device_id, self._secret, method, path, timestamp, content)
        self._sent = {sent for sent in self._sent if sent[0] >= timestamp - 2 * MAX_SKEW_S}
        self._sent.add((timestamp, signed[HEADER_SIGNATURE]))
        self.requests += 1
        try:
            response = self._http.request(method, path, content=content, headers={**signed, **extra})
        except httpx.HTTPError as exc:
            raise CentralError(0, str(exc) or type(exc).__name__) from exc
        self._learn_offset(response)
        return response

    def _learn_offset(self, response: httpx.Response) -> None:
        try:
            server_time = parsedate_to_datetime(response.headers["Date"]).timestamp()
        except (KeyError, TypeError, ValueError):
            return  # no Date, or not one we can read: keep what we know
        offset = server_time + 0.5 - self._clock()  # Date is truncated to the second
        if abs(offset - self.offset_s) > _OFFSET_RESOLUTION_S:
            self.offset_s = offset

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


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return ""
    return detail if isinstance(detail, str) else ""
