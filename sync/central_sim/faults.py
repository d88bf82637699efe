"""Switchable failures of the reference central service, so device tests can meet each one for real."""

from __future__ import annotations

import threading
from typing import Literal

from pydantic import Field

from common.sections import Section

FaultMode = Literal["ok", "down", "error", "slow", "gone", "malformed"]


class Faults(Section):
    """ok; down: every device call 503; error: 500; slow: answer after `delay_s`;
    gone: every cursor handed out so far expires (410), then ok; malformed: the next gallery page
    carries one malformed item among the good ones, then ok."""

    mode: FaultMode = "ok"
    delay_s: float = Field(1.0, ge=0, le=120, description="How long `slow` holds each answer.")


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
