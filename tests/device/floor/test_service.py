"""The floor at run time: an emulated LD2450 on a real pty, through the sensor thread, onto the plan."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from pathlib import Path

import pytest

from common.faults import Faults
from device.floor import service as service_module
from device.floor.bins_store import FloorBinStore
from device.floor.config import FloorConfig, PlacementConfig
from device.floor.records import FloorSnapshot
from device.floor.sensing import merge, observations_from
from device.floor.service import FloorService
from device.floor.tracker import Observation
from drivers.emulators.ld2450 import Ld2450Emulator
from drivers.emulators.scenario import Scenario, Walker
from drivers.serial.geometry import Placement
from drivers.serial.ld2450 import Ld2450Config
from drivers.serial.port import SerialReader
from drivers.serial.readings import CommandAck, PresenceReading, RangeReading, Reading, Target, TargetsReading
from drivers.serial.registry import AnySensorConfig, parser_for
from tests.device.floor.plan import BRANCH
from tests.disks import small_disk
from tests.waiting import eventually

# Radar on the back wall's side of the door, looking at it (heading 180: along -y).
RADAR = Placement(2.0, 4.5, 180.0)


def test_targets_are_placed_on_the_plan() -> None:
    reading = TargetsReading((Target(x_mm=0, y_mm=2000, speed_cm_s=0, resolution_mm=320),))
    [obs] = observations_from(reading, RADAR, t=5.0) or []
    assert (round(obs.x_m, 3), round(obs.y_m, 3), obs.t) == (2.0, 2.5, 5.0)


def test_targets_beyond_the_configured_range_are_ignored() -> None:
    far = TargetsReading((Target(x_mm=0, y_mm=5000, speed_cm_s=0, resolution_mm=320),))
    assert observations_from(far, RADAR, t=0.0, range_m=4.0) == []
    assert len(observations_from(far, RADAR, t=0.0, range_m=6.0) or []) == 1


def test_axis_sensors_place_what_they_see_on_their_axis() -> None:
    presence = PresenceReading(1, 150, 60, 0, 0, 150)
    [obs] = observations_from(presence, RADAR, t=0.0) or []
    assert round(obs.y_m, 3) == 3.0
    assert observations_from(PresenceReading(0, 0, 0, 0, 0, 0), RADAR, 0.0) == []
    assert observations_from(RangeReading(9000), RADAR, 0.0) == []  # the far wall, nobody
    assert observations_from(CommandAck(0x1FF, 0, b""), RADAR, 0.0) is None


def test_overlapping_sensors_count_a_person_once() -> None:
    door_radar = [Observation(0, 2.0, 2.0), Observation(0, 5.0, 1.0)]
    room_radar = [Observation(0, 2.2, 2.1)]
    merged = merge([door_radar, room_radar], t=1.0)
    assert len(merged) == 2 and all(o.t == 1.0 for o in merged)


def test_two_people_close_together_seen_by_one_sensor_stay_two() -> None:
    assert len(merge([[Observation(0, 2.0, 2.0), Observation(0, 2.2, 2.1)]], t=0.0)) == 2


@pytest.mark.slow
def test_people_walking_in_and_out_past_an_emulated_radar(tmp_path: Path) -> None:
    scenario = Scenario(
        walkers=(
            Walker(((0.0, 2.0, -1.0), (3.0, 2.0, 2.0), (12.0, 2.0, 2.0))),  # comes in and stays
            Walker(((2.0, 2.6, -1.0), (5.0, 2.6, 2.5), (7.0, 2.6, 2.5), (10.0, 2.6, -1.0))),  # in, then out
        ),
        duration_s=12.0,
    )
    floor = FloorConfig.model_validate(
        {
            **BRANCH.model_dump(),
            "snapshot_interval_s": 1.0,
            "placements": {"radar": PlacementConfig(x_m=2.0, y_m=4.5, heading_deg=180.0)},
        }
    )
    emulator = Ld2450Emulator(scenario, RADAR)  # its walkers start when the service opens the port
    port = emulator.start()
    snapshots: list[FloorSnapshot] = []
    service = FloorService(
        floor, [Ld2450Config(id="radar", port=port)], FloorBinStore(tmp_path / "b.db"), snapshots.append
    )
    service.start()
    try:
        # The last crossing is 9.2 s into the scenario; a loaded machine may take longer to get there.
        counted = eventually(lambda: bool(snapshots) and door_counts(snapshots[-1]) == (2, 1), 120)
        assert counted, snapshots[-1:] or "no snapshot"
        assert eventually(lambda: len(snapshots) >= 10, 60)  # one a second
        assert eventually(lambda: service.status["radar"].readings > 80, 60)  # ~10 frames a second
    finally:
        service.stop()
        emulator.stop()
    final = service.model.snapshot(time.time())
    assert final.ins_today == {"main": 2} and final.outs_today == {"main": 1}
    assert abs(final.occupancy - 1) <= 1
    assert len(snapshots) >= 10  # one a second
    assert service.status["radar"].readings > 80  # ~10 frames a second


@pytest.mark.subprocess  # mounts a tmpfs
def test_bins_a_full_disk_refuses_are_kept_and_saved_once_there_is_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module, "SAVE_EVERY_S", 0.3)
    with small_disk(tmp_path / "state", "2m") as disk:
        store = FloorBinStore(disk.path / "branchdoor.db")
        faults = Faults()
        service = FloorService(BRANCH, [], store, lambda _snapshot: None, faults=faults)
        an_hour_ago = time.time() - 3600
        service.model.ingest(an_hour_ago, [Observation(an_hour_ago, 2.0, 2.0)], 0.1)  # a quarter hour gone by
        disk.fill()
        service.start()
        try:
            refused = "floor: cannot save finished bins (database or disk is full)"
            assert eventually(lambda: refused in [str(f) for f in faults.current()], 30), faults.current()
            assert store.bins(0, time.time()) == []
            disk.grow("64m")
            assert eventually(lambda: len(store.bins(0, time.time())) == 1, 30), faults.current()
            assert eventually(lambda: faults.current() == [])
        finally:
            service.stop()


class FlakyReader(SerialReader):
    """The real pty reader, with a fault the first time it is read (a parser bug on odd bytes)."""

    times_read = 0

    def readings(self, stop: threading.Event) -> Generator[Reading, None, None]:
        self.times_read += 1
        for count, reading in enumerate(super().readings(stop)):
            if self.times_read == 1 and count == 3:
                raise ValueError("unpack requires a buffer of 4 bytes")
            yield reading


@pytest.mark.slow
def test_a_sensor_whose_reading_fails_is_read_again(tmp_path: Path) -> None:
    scenario = Scenario(walkers=(Walker(((0.0, 2.0, 2.0), (60.0, 2.0, 2.0))),), duration_s=60.0)
    floor = FloorConfig.model_validate(
        {**BRANCH.model_dump(), "placements": {"radar": PlacementConfig(x_m=2.0, y_m=4.5, heading_deg=180.0)}}
    )
    emulator = Ld2450Emulator(scenario, RADAR)
    port = emulator.start()
    faults = Faults()

    def open_reader(config: AnySensorConfig) -> SerialReader:
        return FlakyReader(config.port, config.baud, parser_for(config))

    service = FloorService(
        floor, [Ld2450Config(id="radar", port=port)], FloorBinStore(tmp_path / "b.db"), lambda _s: None,
        open_reader, faults,
    )  # fmt: skip
    service.start()
    try:
        reader = service.readers["radar"]
        assert isinstance(reader, FlakyReader)
        assert eventually(lambda: reader.times_read == 2, 30)
        readings = service.status["radar"].readings
        assert eventually(lambda: service.status["radar"].readings > readings + 5, 30)
        assert faults.totals() == {"sensor radar": 1} and faults.current() == []
    finally:
        service.stop()
        emulator.stop()


def door_counts(snapshot: FloorSnapshot) -> tuple[int, int]:
    return snapshot.ins_today.get("main", 0), snapshot.outs_today.get("main", 0)


@pytest.mark.slow
def test_time_no_sensor_reported_in_is_not_counted_as_observed(tmp_path: Path) -> None:
    """A bin's observed_s is how long the floor was watched: a daemon whose sensors are silent (all
    unplugged, or none configured) keeps its bins, each saying it watched nothing."""
    floor = FloorConfig.model_validate({**BRANCH.model_dump(), "snapshot_interval_s": 0.5})
    snapshots: list[FloorSnapshot] = []
    store = FloorBinStore(tmp_path / "b.db")
    service = FloorService(floor, [], store, snapshots.append)
    service.start()
    try:
        assert eventually(lambda: len(snapshots) >= 2, 60)  # the floor thread has ticked for a second
    finally:
        service.stop()
    kept = FloorBinStore(tmp_path / "b.db")
    try:
        bins = kept.take_open() + kept.bins(0, time.time() + 900)
    finally:
        kept.close()
    assert bins, "the running quarter hour is kept at stop"
    assert [floor_bin.observed_s for floor_bin in bins] == [0.0] * len(bins)
