"""The MQTT topic tree, in one place. Screens of a branch subscribe under `<prefix>/<branch>/`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Topics:
    prefix: str
    branch_id: str
    device_id: str

    @property
    def branch(self) -> str:
        return f"{self.prefix}/{self.branch_id}"

    @property
    def availability(self) -> str:
        """Retained `online` / `offline`; `offline` is also the Last Will."""
        return f"{self.branch}/device/{self.device_id}/availability"

    @property
    def health(self) -> str:
        """The device's health summary (no personal data): QoS 0, not retained, expiring."""
        return f"{self.branch}/device/{self.device_id}/health"

    @property
    def floor(self) -> str:
        """Live floor snapshots (anonymous counts only): QoS 0, not retained, expiring."""
        return f"{self.branch}/floor"

    @property
    def cues(self) -> str:
        """Teller cues for every screen of the branch: QoS 1, never retained, expiring."""
        return f"{self.branch}/cues"

    @property
    def forecast(self) -> str:
        """Next days' hourly footfall forecast (anonymous): QoS 1, retained, expiring after 2 refits."""
        return f"{self.branch}/forecast"
