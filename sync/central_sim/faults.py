"""Switchable failures of the reference central service, so device tests can meet each one for real."""

from __future__ import annotations

import threading
from typing import Literal

from fastapi.responses import JSONResponse, Response
from pydantic import Field

from common.sections import Section

FaultMode = Literal[
    "ok",
    "down",
    "error",
    "slow",
    "gone",
    "malformed",
    "redirect",
    "unauthorized",
    "forbidden",
    "throttled",
    "not_json",
]

# What each refusing mode answers in place of the service. None of them is about the records sent:
# a device must keep every record and retry (sync/uploader.py).
_REFUSALS: dict[str, tuple[int, dict[str, str], str]] = {
    "down": (503, {}, "central service unavailable (fault: down)"),
    "error": (500, {}, "central service failed (fault: error)"),
    "unauthorized": (401, {}, "bad signature (fault: unauthorized)"),
    "forbidden": (403, {}, "device not allowed (fault: forbidden)"),
    "throttled": (429, {"Retry-After": "1"}, "too many requests (fault: throttled)"),
}
# A web proxy's answers: a login redirect, and a captive portal's page with a 200.
_PROXY_PAGE = "<html><body>Please sign in to the branch network (fault: {mode})</body></html>"


class Faults(Section):
    """ok; down: every device call 503; error: 500; slow: answer after `delay_s`;
    gone: every cursor handed out so far expires (410), then ok; malformed: the next gallery page
    carries one malformed item among the good ones, then ok; redirect: 302 to a proxy's login page;
    unauthorized: 401 (a secret being rotated); forbidden: 403; throttled: 429 with Retry-After;
    not_json: 200 with a proxy's HTML page instead of the contract's JSON."""

    mode: FaultMode = "ok"
    delay_s: float = Field(1.0, ge=0, le=120, description="How long `slow` holds each answer.")
    scope: Literal["all", "uploads"] = Field(
        "all",
        description="all: every device call; uploads: only the device's POSTs (records and deletion "
        "acknowledgements), as a proxy that lets reads through would. The gallery still answers.",
    )

    def applies_to(self, method: str) -> bool:
        return self.scope == "all" or method == "POST"


def refusal(faults: Faults) -> Response | None:
    """The answer a refusing mode gives instead of the service's own, or None to serve normally."""
    if faults.mode in _REFUSALS:
        status, headers, detail = _REFUSALS[faults.mode]
        return JSONResponse({"detail": detail}, status, headers=headers)
    if faults.mode == "redirect":
        page = _PROXY_PAGE.format(mode=faults.mode)
        location = {"Location": "https://proxy.branch.example/login"}
        return Response(page, 302, headers=location, media_type="text/html")
    if faults.mode == "not_json":
        return Response(_PROXY_PAGE.format(mode=faults.mode), 200, media_type="text/html")
    return None


class FaultSwitch:
    """The current fault, shared by the request handlers and the admin endpoint."""

    def __init__(self, initial: Faults) -> None:
        self._lock = threading.Lock()
        self._faults = initial

    @property
    def current(self) -> Faults:
        with self._lock:
            return self._faults

    def set(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults

    def take_malformed(self) -> bool:
        """True once per `malformed` switch: only the next gallery page is spoiled."""
        with self._lock:
            if self._faults.mode != "malformed":
                return False
            self._faults = Faults()
            return True
