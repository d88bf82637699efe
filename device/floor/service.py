"""The floor at run time: one thread per serial sensor, one floor thread ticking at a fixed rate.

Sensor threads only decode and place readings. The floor thread merges what every sensor saw in the
last moments into one set of observations per tick, so occupancy-seconds are counted once however
many sensors overlap, publishes a snapshot every `snapshot_interval_s`, and persists finished
15-minute bins.

No thread dies of an exception: a sensor that fails is read again after a backoff, a tick that fails
is retried, and finished bins the database refuses (a full disk) are kept and saved with the next
save. Each is a fault in `faults` (`sensor <id>` or `floor`) until it works again.

With `branch` (several kiosks in one branch, device/floor/keeper.py), the tick also merges the other
kiosks' observations and publishes this kiosk's own a few times a second; only the branch's floor
keeper publishes snapshots and stores bins, so nothing is counted twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from common.backoff import Backoff
from common.faults import Faults, keep_running
from device.floor.bins_store import FloorBinStore
from device.floor.config import FloorConfig
from device.floor.keeper import BranchFloor
from device.floor.model import FloorModel
from device.floor.records import FloorBin, FloorSnapshot
from device.floor.remote import encode
from device.floor.sensing import merge, observations_from
from device.floor.tracker import Observation
from drivers.serial.geometry import Placement
from drivers.serial.port import SerialReader
from drivers.serial.registry import AnySensorConfig, open_sensor

log = logging.getLogger(__name__)

TICK_S = 0.1
# A sensor's last frame older than this no longer describes the floor (it may be unplugged).
FRESH_S = 0.35
SAVE_EVERY_S = 30.0
# Own observations go to the other kiosks of the branch every this many ticks (5 a second).
SHARE_EVERY_TICKS = 2


@dataclass
class SensorStatus:
    sensor_id: str
    readings: int = 0
    last_reading_at: float | None = None  # monotonic


class FloorService:
    def __init__(
        self,
        floor: FloorConfig,
        sensors: Sequence[AnySensorConfig],
        store: FloorBinStore,
        publish: Callable[[FloorSnapshot], None],
        open_reader: Callable[[AnySensorConfig], SerialReader] = open_sensor,
        faults: Faults | None = None,
        branch: BranchFloor | None = None,
        share: Callable[[bytes], None] | None = None,
    ) -> None:
        """`branch` and `share` together: merge the branch's kiosks, publish our observations by `share`."""
        self.faults = faults or Faults()
        self.model = FloorModel(floor)
        self._floor = floor
        self._store = store
        self._publish = publish
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._latest: dict[str, tuple[float, list[Observation]]] = {}
        self._staff_named: list[float] = []  # wall times, from the recognition thread, for the next tick
        merging = branch is not None and share is not None
        self._branch, self._share = (branch, share) if merging else (None, None)
        self._staff_to_share: list[float] = []  # the floor thread's: for the next batch to the branch
        self._ticks = 0
        self._unsaved: list[FloorBin] = []  # finished, not yet stored (the database refused them)
        self._next_tick = self._next_snapshot = self._next_save = 0.0  # monotonic
        self.status = {s.id: SensorStatus(s.id) for s in sensors}
        self.readers = {s.id: open_reader(s) for s in sensors}
        self._placements = {
            s.id: (Placement(p.x_m, p.y_m, p.heading_deg), p.range_m)
            for s in sensors
            if (p := floor.placements.get(s.id)) is not None
        }
        self._threads = [
            threading.Thread(target=self._read, args=(s.id,), name=f"sensor-{s.id}", daemon=True)
            for s in sensors
        ]
        self._threads.append(threading.Thread(target=self._tick_loop, name="floor", daemon=True))

    def start(self) -> None:
        try:
            resumed = self._store.take_open()
        except Exception:  # they stay in the database, for the next start to carry on
            log.exception("floor: the bins open at the last stop cannot be read; starting afresh")
            resumed = []
        if resumed:
            self._unsaved = self.model.resume(resumed, time.time())
            log.info("floor: carried on the quarter hour open at the last stop")
            self._save_finished()
        for thread in self._threads:
            thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout_s)
        now, now_m = time.time(), time.monotonic()
        if self._is_keeper(now_m):
            self._publish(self.model.snapshot(now))  # the last word, so screens end on the true counts
        self._save(now, now_m)
        if self._unsaved:
            log.error("floor: stopping with %d finished bin(s) not saved", len(self._unsaved))
        # Another kiosk heard holds the same quarter hour in its model, and carries it on as keeper.
        if self._branch is None or not self._branch.others_heard(now_m):
            self.faults.attempt(
                "floor", "keep the open bins", lambda: self._store.keep_open(self.model.take_open_bins())
            )
        self._store.close()

    def branch_status(self) -> dict[str, object]:
        """For /healthz: `keeper` alone, or the branch role, the keeper and the kiosks heard."""
        if self._branch is None:
            return {"role": "keeper"}
        return self._branch.status(time.monotonic())

    def staff_named(self, at: float) -> None:
        """The door camera named a member of staff at `at` (wall time); any thread may call this."""
        with self._lock:
            self._staff_named.append(at)

    def bad_frames(self) -> dict[str, int]:
        return {sensor_id: reader.parser.bad_frames for sensor_id, reader in self.readers.items()}

    def _read(self, sensor_id: str) -> None:
        keep_running(
            self.faults,
            f"sensor {sensor_id}",
            "read",
            lambda: self._read_once(sensor_id),
            self._stop,
            Backoff(1.0, 30.0),
        )

    def _read_once(self, sensor_id: str) -> None:
        """Until `stop` (None: done); raising, the sensor is read again after a backoff."""
        reader, status = self.readers[sensor_id], self.status[sensor_id]
        placement, range_m = self._placements[sensor_id]
        cleared = False
        for reading in reader.readings(self._stop):
            if not cleared:  # reading again: a failure before this one is over
                self.faults.clear(f"sensor {sensor_id}", "read")
                cleared = True
            placed = observations_from(reading, placement, time.time(), range_m)
            if placed is None:
                continue
            now = time.monotonic()
            status.readings += 1
            status.last_reading_at = now
            with self._lock:
                self._latest[sensor_id] = (now, placed)

    def _fresh_observations(self, now_monotonic: float) -> dict[str, list[Observation]]:
        """Per sensor, what it saw last, if recent enough."""
        with self._lock:
            return {
                sensor_id: placed
                for sensor_id, (seen_at, placed) in self._latest.items()
                if now_monotonic - seen_at <= FRESH_S
            }

    def _is_keeper(self, now_m: float) -> bool:
        return self._branch is None or self._branch.is_keeper(now_m)

    def _tick_loop(self) -> None:
        self._next_tick = time.monotonic()
        self._next_snapshot = self._next_tick + self._floor.snapshot_interval_s
        self._next_save = self._next_tick + SAVE_EVERY_S
        keep_running(self.faults, "floor", "track the floor", self._tick, self._stop, Backoff(TICK_S, 5.0))

    def _tick(self) -> float:
        """One tick of the model, a snapshot and a save when due; the seconds to the next tick."""
        now_m, now = time.monotonic(), time.time()
        self._next_tick = max(self._next_tick + TICK_S, now_m - 1.0)  # after a failure: no catching up
        keeper = self._is_keeper(now_m)  # every tick: a hand-over is logged and in /healthz at once
        own = self._fresh_observations(now_m)
        fresh = list(own.values()) + (self._branch.fresh(now_m) if self._branch is not None else [])
        # A tick no sensor spoke in observed nothing: the bin's observed_s says how long the floor was
        # watched, so an empty map can tell "nobody came" from "no sensor reported".
        self.model.ingest(now, merge(fresh, now), TICK_S if fresh else 0.0)
        with self._lock:
            named, self._staff_named = self._staff_named, []
        self._staff_to_share += named
        for at in named + (self._branch.take_staff_named() if self._branch is not None else []):
            self.model.staff_named(at)
        self._ticks += 1
        if self._share is not None and self._ticks % SHARE_EVERY_TICKS == 0:
            batch = encode(now, own, self._staff_to_share, keeper=keeper)
            self._staff_to_share = []
            self._share(batch)
        if now_m >= self._next_snapshot:
            self._next_snapshot += self._floor.snapshot_interval_s
            if keeper:
                self._publish(self.model.snapshot(now))
        if now_m >= self._next_save:
            self._next_save += SAVE_EVERY_S
            self._save(now, now_m)
        return max(0.0, self._next_tick - time.monotonic())

    def _save(self, now: float, now_m: float) -> None:
        # Only finished bins: the open one is kept in memory, as a partial bin saved now would be
        # final (saving is idempotent by bin start) and the rest of its quarter hour lost.
        finished = self.model.close_bins(now)
        if self._is_keeper(now_m):
            self._unsaved += finished
        elif finished:  # the keeper's model followed the same floor and stores them
            log.debug("floor: %d finished bin(s) left to the keeper", len(finished))
        self._save_finished()

    def _save_finished(self) -> None:
        saved = self.faults.attempt("floor", "save finished bins", lambda: self._store.save(self._unsaved))
        if saved is not None:
            self._unsaved = []
            if saved:
                log.info("floor: %d finished bin(s) saved", saved)
