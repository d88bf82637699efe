"""A message on its way to the broker, as the link holds it until the broker has it or its life is over."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Outgoing:
    topic: str
    payload: bytes
    qos: int
    expires_at: float | None = None  # wall clock; sent with the seconds left, dropped when none are
    retain: bool = False
    is_cue: bool = False
    content_type: str | None = "application/json"
    sent: bool = False  # handed to a connection at least once (a resend is not a new cue)
    customer_ref: str | None = None  # a cue's customer: forgetting them drops it if not yet sent
