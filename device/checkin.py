"""Turning an identification into at most one check-in per visit."""

from __future__ import annotations

import uuid

from device.events import CheckIn, Identification
from device.store import Store


class CheckinDesk:
    def __init__(self, store: Store, branch_id: str, device_id: str, dedup_window_s: float) -> None:
        self._store = store
        self._branch_id = branch_id
        self._device_id = device_id
        self._dedup_window_s = dedup_window_s

    def admit(self, identification: Identification, at: float) -> CheckIn | None:
        """A new visit, or None when this customer already checked in within the dedup window."""
        # The profile is read at the last moment: a customer deleted mid-track has none, and gets no cue.
        profile = self._store.profile(identification.customer_ref)
        if profile is None:
            return None
        last = self._store.last_checkin_at(identification.customer_ref)
        if last is not None and at - last < self._dedup_window_s:
            return None
        checkin = CheckIn(
            visit_id=str(uuid.uuid4()),
            customer_ref=identification.customer_ref,
            branch_id=self._branch_id,
            device_id=self._device_id,
            at=at,
            score_band=identification.score_band,
            profile=profile,
        )
        self._store.record_checkin(checkin)
        return checkin
