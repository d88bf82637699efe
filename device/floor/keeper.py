"""One floor per branch: what the other kiosks' sensors see, and which kiosk keeps the branch's floor.

Every kiosk with sensors publishes its observations and merges everyone's (its own and those heard
from the branch broker) in its floor tick, so each kiosk's model follows the whole branch. Exactly one,
the *keeper*, publishes the branch snapshot and stores the quarter-hour bins. A keeper keeps the floor
while it is heard (observations within HEARD_S, each batch saying it keeps) and not `offline` on its
retained availability (a clean stop and the Last Will say it at once): a kiosk that starts later, even
one with a lower id, defers to it, so a restart mid-quarter does not hand the quarter to a model that
watched only its end. With no keeper heard, the lowest device id heard takes the floor; two keepers
(a partition healed) settle on the lower id. When the keeper goes, the next lowest takes over by
itself, with a model that already holds the day's counts.

Time: a sender's timestamps are used to age its observations only when its clock agrees with ours
within MAX_SKEW_S at receipt; otherwise (a kiosk whose NTP failed) the receipt time stands in, which
is late by the network delay only, and the batch is counted as skewed. Ages are kept on our monotonic
clock, so our own wall clock stepping does not age anything.

The broker handlers run on the mqtt thread, the rest on the floor thread: state is under one lock.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from device.floor.remote import BadObservations, ObservationBatch, decode
from device.floor.tracker import Observation

log = logging.getLogger(__name__)

# A kiosk publishes a batch every few ticks; this much silence and it no longer counts (crashed, cut
# off, or its sensors are gone): fast enough that a kill -9 hands over long before the Last Will.
HEARD_S = 3.0
# A remote sensor's reading is merged for as long as a local one is (service.FRESH_S) plus the batch
# interval and a broker hop.
REMOTE_FRESH_S = 0.8
MAX_SKEW_S = 2.0
# After start, listen this long before claiming the floor: a kiosk with a lower id may be running.
LISTEN_S = HEARD_S
# More kiosks than a branch could have: a client inventing device ids (on a broker without the
# shipped ACL) must not grow memory. Those beyond are refused like a malformed payload.
MAX_KIOSKS = 64
# A client flooding the topic with junk must not flood the log: one line per this many seconds, with
# the count refused since start (each refusal is counted in /healthz all the same).
LOG_REFUSALS_EVERY_S = 10.0


def choose_keeper(own_id: str, others_heard: Iterable[str]) -> str:
    """The lowest device id among this kiosk and the kiosks heard and not offline."""
    return min([own_id, *others_heard])


@dataclass
class _Remote:
    online: bool = True  # until its retained availability says otherwise
    heard_at: float | None = None  # monotonic, last batch accepted
    views: dict[str, tuple[float, list[Observation]]] = field(default_factory=dict)  # sensor: (seen, obs)
    batches: int = 0
    keeps: bool = False  # its last batch said it keeps the branch's floor


@dataclass
class BranchStats:
    accepted: int = 0
    rejected: int = 0
    skewed: int = 0  # accepted, aged by receipt time
    last_rejection: str | None = None


class BranchFloor:
    def __init__(self, device_id: str, started_m: float | None = None) -> None:
        self.device_id = device_id
        self.stats = BranchStats()
        self._lock = threading.Lock()
        self._remotes: dict[str, _Remote] = {}
        self._staff_named: list[float] = []
        self._started_m = time.monotonic() if started_m is None else started_m
        self._keeper: str | None = None
        self._refusal_logged_at = -math.inf  # monotonic

    # --- the mqtt thread ---------------------------------------------------------------------------

    def heard_availability(self, topic: str, payload: bytes) -> None:
        """`<branch>/device/<device>/availability`: `online` or `offline` (retained, Last Will)."""
        device = topic.rsplit("/", 2)[-2]
        if device == self.device_id:
            return
        with self._lock:
            if device not in self._remotes and len(self._remotes) >= MAX_KIOSKS:
                return
            remote = self._remotes.setdefault(device, _Remote())
            remote.online = payload == b"online"
            if not remote.online:
                remote.views.clear()  # its last positions are no longer on the floor

    def heard_observations(self, topic: str, payload: bytes) -> None:
        """`<branch>/device/<device>/floor/observations`; a bad payload is refused, logged, counted."""
        device = topic.rsplit("/", 3)[-3]
        if device == self.device_id:
            return
        try:
            batch = decode(payload)
            with self._lock:
                if device not in self._remotes and len(self._remotes) >= MAX_KIOSKS:
                    raise BadObservations(f"more than {MAX_KIOSKS} kiosks in one branch")
        except BadObservations as exc:
            self._refused(device[:64], str(exc), time.monotonic())
            return
        self.receive(device, batch, time.time(), time.monotonic())

    def _refused(self, device: str, why: str, now_m: float) -> None:
        with self._lock:
            self.stats.rejected += 1
            self.stats.last_rejection = f"{device}: {why}"
            if now_m - self._refusal_logged_at < LOG_REFUSALS_EVERY_S:
                return
            self._refusal_logged_at, refused = now_m, self.stats.rejected
        log.warning("floor: observations from %r refused: %s (%d refused since start)", device, why, refused)

    def receive(self, device: str, batch: ObservationBatch, now: float, now_m: float) -> None:
        skewed = abs(now - batch.sent_at) > MAX_SKEW_S
        with self._lock:
            self.stats.accepted += 1
            if skewed:
                self.stats.skewed += 1
            remote = self._remotes.setdefault(device, _Remote())
            remote.heard_at, remote.batches = now_m, remote.batches + 1
            remote.online = True  # it speaks: a stale retained `offline` from its last run is over
            remote.keeps = batch.keeper
            # A batch holds every sensor the sender still hears; one missing from it is gone.
            # Ages on our monotonic clock: since the sender's reading was taken, or since we got it.
            # The tick stamps merged observations with its own time; t here is only for the log.
            remote.views = {
                view.sensor_id: (
                    now_m if skewed else now_m - max(0.0, now - view.seen_at),
                    [Observation(now, x, y) for x, y in view.points],
                )
                for view in batch.sensors
            }
            self._staff_named += [now if skewed else t for t in batch.staff_named]

    # --- the floor thread --------------------------------------------------------------------------

    def fresh(self, now_m: float) -> list[list[Observation]]:
        """Per remote sensor, what it saw last, if recent enough; as the local sensors' are merged."""
        with self._lock:
            return [
                observations
                for remote in self._remotes.values()
                if remote.online
                for seen_m, observations in remote.views.values()
                if now_m - seen_m <= REMOTE_FRESH_S
            ]

    def take_staff_named(self) -> list[float]:
        with self._lock:
            named, self._staff_named = self._staff_named, []
        return named

    def others_heard(self, now_m: float) -> list[str]:
        with self._lock:
            return sorted(
                device
                for device, remote in self._remotes.items()
                if remote.online and remote.heard_at is not None and now_m - remote.heard_at <= HEARD_S
            )

    def keepers_heard(self, now_m: float) -> list[str]:
        """The kiosks heard that say they keep the floor (more than one only across a healed partition)."""
        heard = self.others_heard(now_m)
        with self._lock:
            return [device for device in heard if self._remotes[device].keeps]

    def keeper(self, now_m: float) -> str | None:
        """The branch's floor keeper now (logged when it changes); None while still listening."""
        others, keeping = self.others_heard(now_m), self.keepers_heard(now_m)
        if self._keeper == self.device_id:
            keeper = choose_keeper(self.device_id, keeping)  # another keeper: the lower id keeps
        elif keeping:
            keeper = min(keeping)  # one is keeping the floor: defer, whatever the ids
        elif now_m - self._started_m < LISTEN_S and not any(other < self.device_id for other in others):
            return None  # not yet sure nobody lower is running (a contributor is sure at once)
        else:
            keeper = choose_keeper(self.device_id, others)
        if keeper != self._keeper:
            role = "keeper" if keeper == self.device_id else "contributor"
            log.info("floor: %s is now the branch's floor keeper; this kiosk is a %s", keeper, role)
            self._keeper = keeper
        return keeper

    def is_keeper(self, now_m: float) -> bool:
        return self.keeper(now_m) == self.device_id

    def status(self, now_m: float) -> dict[str, object]:
        """For /healthz: the role, the keeper, each remote kiosk's freshness; what was refused."""
        keeper = self._keeper
        with self._lock:
            remotes = {
                device: {
                    "online": remote.online,
                    "heard_s_ago": None if remote.heard_at is None else round(now_m - remote.heard_at, 1),
                }
                for device, remote in sorted(self._remotes.items())
            }
            stats = BranchStats(**vars(self.stats))
        role = "listening" if keeper is None else "keeper" if keeper == self.device_id else "contributor"
        return {
            "role": role,
            "keeper": keeper,
            "kiosks": remotes,
            "observations_accepted": stats.accepted,
            "observations_rejected": stats.rejected,
            "observations_skewed": stats.skewed,
        }
