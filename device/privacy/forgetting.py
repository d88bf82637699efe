"""Forgetting a customer everywhere the device holds them, and saying so.

The database side is one transaction (`Store.forget`): profile, consent, templates, check-in tokens,
check-ins, and every queued upload filed under the customer's reference. What lives outside the
database is held by the running daemon: the in-memory gallery (rebuilt when the database changes,
device/recognition/pipeline.py) and cues waiting for the broker. Those go through `PendingCues`, the
one method a cue sender needs to offer.

The deletion leaves two audit records naming the customer by their pseudonymous reference, and
nothing else: the central service already holds that reference, and without it nobody could prove
to the customer or the privacy office that *their* request was carried out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from device.domain import AuditRecord

log = logging.getLogger(__name__)


class PendingCues(Protocol):
    def drop_pending_cues(self, still_held: Callable[[str], bool]) -> int:
        """Drop every cue not yet delivered whose customer_ref fails `still_held`; how many went."""
        ...


def kiosk_withdrawal(customer_ref: str, actor: str, how: str) -> list[AuditRecord]:
    """The audit of a withdrawal made at the kiosk: uploaded to the central service, which learns of
    it this way (the device has no other channel to tell it)."""
    return [
        AuditRecord(event="consent_withdrawn", customer_ref=customer_ref, actor=actor, rule=how),
        AuditRecord(event="customer_forgotten", customer_ref=customer_ref, actor=actor, rule="withdrawn"),
    ]


def central_deletion(customer_ref: str, reason: str) -> AuditRecord:
    return AuditRecord(event="customer_forgotten", customer_ref=customer_ref, actor="central", rule=reason)


def drop_forgotten_cues(cues: PendingCues, is_held: Callable[[str], bool]) -> int:
    dropped = cues.drop_pending_cues(is_held)
    if dropped:
        log.info("dropped %d pending cue(s) of forgotten customer(s)", dropped)
    return dropped
