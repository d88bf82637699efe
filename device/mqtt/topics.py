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
    def floor_observations(self) -> str:
        """This kiosk's sensors' people in floor metres, for the branch's floor keeper: QoS 0, expiring."""
        return f"{self.branch}/device/{self.device_id}/floor/observations"

    @property
    def cues(self) -> str:
        """Teller cues for every screen of the branch: QoS 1, never retained, expiring."""
        return f"{self.branch}/cues"

    @property
    def forecast(self) -> str:
        """Next days' hourly footfall forecast (anonymous): QoS 1, retained, expiring after 2 refits."""
        return f"{self.branch}/forecast"

    @property
    def queue_alert(self) -> str:
        """The live queue alert, counts and seconds only: QoS 1, retained, expiring unless refreshed."""
        return f"{self.branch}/alerts/queue"

    @property
    def staffing(self) -> str:
        """The staffing plan, counters per hour for the forecast's horizon (anonymous): QoS 1, retained,
        expiring with the forecast it was made from."""
        return f"{self.branch}/staffing"

    @property
    def withdrawals(self) -> str:
        """A cue that ended (expired, served, not this customer): screens drop its card. Cue id only."""
        return f"{self.branch}/withdrawals"

    @property
    def visits(self) -> str:
        """Check-in lifecycle (arrived / served / left) by visit id: QoS 1, not retained, no names."""
        return f"{self.branch}/visits"

    def claim(self, key: str) -> str:
        """One customer's visit claim, kiosk to kiosk (screens may not read it): QoS 1, retained, expiring."""
        return f"{self.branch}/claims/{key}"

    @property
    def every_claim(self) -> str:
        return f"{self.branch}/claims/+"

    def zone_cues(self, zone: str) -> str:
        """Cues routed to the screens of one zone or counter."""
        return f"{self.branch}/zone/{zone}/cues"

    def screen(self, screen_id: str, leaf: str) -> str:
        """One screen's own topics: `cues` (replays to it), `hello` and `feedback` (from it)."""
        return f"{self.branch}/screen/{screen_id}/{leaf}"

    def every_screen(self, leaf: str) -> str:
        """What the daemon subscribes to: `hello` or `feedback` from any screen of the branch."""
        return f"{self.branch}/screen/+/{leaf}"

    @staticmethod
    def screen_of(topic: str) -> str:
        """The screen id in `<prefix>/<branch>/screen/<id>/<leaf>`."""
        return topic.rsplit("/", 2)[-2]
