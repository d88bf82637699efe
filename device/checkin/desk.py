"""Turning an identification, or a scanned check-in token, into at most one check-in per visit.

Every identification is audited (who, when, score band, which rule), whether or not it starts a new
visit; the audit record of a new visit lands in the same transaction as the check-in itself.
"""

from __future__ import annotations

import logging
import uuid

from device.domain import AuditRecord, CheckIn, CheckinChannel, Identification, ScoreBand
from device.state.store import Store

log = logging.getLogger(__name__)

SCANNER_RULE = "check-in token (QR/card scanner)"


class CheckinDesk:
    def __init__(
        self, store: Store, branch_id: str, device_id: str, dedup_window_s: float, rule: str = "open-set"
    ) -> None:
        self._store = store
        self._branch_id = branch_id
        self._device_id = device_id
        self._dedup_window_s = dedup_window_s
        self._rule = rule  # the face decision rule, as the audit trail names it

    def admit(self, identification: Identification, at: float) -> CheckIn | None:
        """A new visit, or None when this customer already checked in within the dedup window."""
        return self._admit(
            identification.customer_ref,
            identification.score_band,
            at,
            "identification",
            self._rule,
            "face",
            verify_before_greeting=identification.liveness != "live",
        )

    def audit_staff_pass(self, identification: Identification) -> None:
        """Staff named at the door: the identification is audited as every one is, and nothing else."""
        self._store.record_audit(
            AuditRecord(
                event="identification",
                customer_ref=identification.customer_ref,
                score_band=identification.score_band,
                rule=f"{self._rule}; staff, not a visit",
            )
        )

    def admit_token(self, customer_ref: str, at: float) -> CheckIn | None:
        """The same check-in, and so the same cue, for a customer who showed their token instead."""
        return self._admit(customer_ref, "high", at, "scanner_checkin", SCANNER_RULE, "token")

    def _admit(
        self,
        customer_ref: str,
        band: ScoreBand,
        at: float,
        event: str,
        rule: str,
        channel: CheckinChannel,
        verify_before_greeting: bool = False,
    ) -> CheckIn | None:
        # The profile is read at the last moment: a customer deleted mid-track has none, and gets no cue.
        profile = self._store.profile(customer_ref)
        # Staff are never checked in, by either path, even when the caller took them for a customer.
        if profile is None or self._store.roles.of(customer_ref) == "staff":
            return None
        last = self._store.checkins.last_at(customer_ref)
        if last is not None and at - last < self._dedup_window_s:
            self._store.record_audit(
                AuditRecord(
                    event=event, customer_ref=customer_ref, score_band=band, rule=f"{rule}; same visit"
                )
            )
            return None
        # Another door of the branch checked the customer in: the same visit (device/checkin/claims.py).
        claimed = self._store.claims.holder(customer_ref, since=at - self._dedup_window_s)
        if claimed is not None:
            self._store.record_audit(
                AuditRecord(
                    event=event,
                    customer_ref=customer_ref,
                    score_band=band,
                    rule=f"{rule}; same visit ({claimed.device_id}'s visit {claimed.visit_id})",
                )
            )
            log.info("same visit: %s's visit %s", claimed.device_id, claimed.visit_id)
            return None
        checkin = CheckIn(
            visit_id=str(uuid.uuid4()),
            customer_ref=customer_ref,
            branch_id=self._branch_id,
            device_id=self._device_id,
            at=at,
            score_band=band,
            profile=profile,
            channel=channel,
            verify_before_greeting=verify_before_greeting,
        )
        audit = AuditRecord(
            event=event, customer_ref=customer_ref, score_band=band, rule=f"{rule}; new visit"
        )
        if not self._store.checkins.record(checkin, [audit], self._dedup_window_s):
            return None  # forgotten, or checked in by the other path, since the reads above
        return checkin
