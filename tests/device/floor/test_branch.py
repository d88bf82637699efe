"""One floor per branch, without a broker: the keeper's choice, the merge of two kiosks' views, the
wire format and what it refuses, and clocks that disagree."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import jsonschema
import pytest

from device.floor.config import FloorConfig
from device.floor.keeper import (
    HEARD_S,
    LISTEN_S,
    MAX_KIOSKS,
    REMOTE_FRESH_S,
    BranchFloor,
    choose_keeper,
)
from device.floor.model import FloorModel
from device.floor.remote import MAX_BYTES, ObservationBatch, SensorView, decode, encode
from device.floor.sensing import merge
from device.floor.tracker import Observation
from device.mqtt.contract.asyncapi import validator_for
from tests.device.floor.plan import BRANCH, T0

OBSERVATIONS = "branchdoor/b1/device/{}/floor/observations"
AVAILABILITY = "branchdoor/b1/device/{}/availability"

# The test branch with a side door on the x = 8 wall (walking from a to b, +y, the inside is on the left).
TWO_DOORS = FloorConfig.model_validate(
    {
        **BRANCH.model_dump(),
        "door_lines": [
            *(line.model_dump() for line in BRANCH.door_lines),
            {"name": "side", "a": (8, 1), "b": (8, 3), "inside": "left"},
        ],
    }
)

Path = Callable[[float], tuple[float, float] | None]


def walk(start: tuple[float, float], end: tuple[float, float], duration_s: float) -> Path:
    """Walks start → end in duration_s from t = 0, then stays."""

    def at(t: float) -> tuple[float, float] | None:
        f = min(1.0, max(0.0, t / duration_s))
        return start[0] + f * (end[0] - start[0]), start[1] + f * (end[1] - start[1])

    return at


def seen(paths: list[Path], t: float, offset: tuple[float, float]) -> list[Observation]:
    """What one radar reports: each walker off by the radar's own error."""
    return [Observation(T0 + t, p[0] + offset[0], p[1] + offset[1]) for path in paths if (p := path(t))]


def keeper_floor(
    config: FloorConfig, door_1_sees: list[Path], door_2_sees: list[Path], seconds: float = 12.0
) -> FloorModel:
    """door-1's model ticking at 10 Hz, merging its radar with door-2's, received as batches on the wire."""
    model, branch = FloorModel(config), BranchFloor("door-1", started_m=-100.0)
    for tick in range(int(seconds * 10)):
        t = tick / 10
        remote = {"radar-b": seen(door_2_sees, t, (0.12, -0.08))}
        branch.receive("door-2", decode(encode(T0 + t, remote, [])), T0 + t, t)
        own = seen(door_1_sees, t, (-0.1, 0.05))
        model.ingest(T0 + t, merge([own, *branch.fresh(t)], T0 + t), 0.1)
    return model


def test_the_keeper_is_the_lowest_device_id_heard() -> None:
    assert choose_keeper("door-2", ["door-3", "door-1"]) == "door-1"
    assert choose_keeper("door-1", ["door-2"]) == "door-1"
    assert choose_keeper("door-2", []) == "door-2"


def test_a_person_both_kiosks_radars_see_is_one_occupant_and_one_crossing() -> None:
    through_main = walk((2.0, -1.0), (2.0, 3.0), 4.0)
    model = keeper_floor(BRANCH, [through_main], [through_main])
    snapshot = model.snapshot(T0 + 12)
    assert (snapshot.occupancy, snapshot.ins_today) == (1, {"main": 1})
    # What two kiosks each keeping their own floor would have told the branch: the person twice.
    alone = keeper_floor(BRANCH, [through_main], [])
    assert alone.snapshot(T0 + 12).ins_today["main"] + alone.snapshot(T0 + 12).ins_today["main"] == 2


def test_two_doors_lines_are_counted_apart_over_the_merged_view() -> None:
    through_main = walk((2.0, -1.0), (2.0, 3.0), 4.0)
    through_side = walk((9.0, 2.0), (6.0, 2.0), 4.0)
    model = keeper_floor(TWO_DOORS, [through_main], [through_side])
    snapshot = model.snapshot(T0 + 12)
    assert snapshot.occupancy == 2
    assert snapshot.ins_today == {"main": 1, "side": 1} and snapshot.outs_today == {"main": 0, "side": 0}


def batch(
    sent_at: float, seen_at: float | None = None, points: tuple[tuple[float, float], ...] = ((2, 2),)
) -> ObservationBatch:
    return ObservationBatch(
        sent_at, (SensorView("radar", sent_at if seen_at is None else seen_at, points),), ()
    )


def test_a_kiosk_listens_before_it_claims_the_floor_and_defers_at_once_to_a_lower_id() -> None:
    door_1, door_2 = BranchFloor("door-1", started_m=0.0), BranchFloor("door-2", started_m=0.0)
    assert door_1.keeper(0.5) is None and door_2.keeper(0.5) is None
    door_2.receive("door-1", batch(T0), T0, 1.0)
    assert door_2.keeper(1.0) == "door-1"  # a lower id is running: a contributor without waiting
    door_1.receive("door-2", batch(T0), T0, 1.0)
    assert door_1.keeper(1.0) is None and door_1.keeper(LISTEN_S + 0.1) == "door-1"
    assert door_1.status(1.0)["role"] == "keeper" and door_2.status(1.0)["role"] == "contributor"


def test_the_next_kiosk_takes_over_when_the_keeper_says_offline_or_falls_silent() -> None:
    door_2 = BranchFloor("door-2", started_m=-100.0)
    door_2.receive("door-1", batch(T0), T0, 1.0)
    assert door_2.keeper(1.0) == "door-1"
    door_2.heard_availability(AVAILABILITY.format("door-1"), b"offline")  # a clean stop or its Last Will
    assert door_2.keeper(1.1) == "door-2" and door_2.fresh(1.1) == []
    door_2.receive("door-1", batch(T0 + 5), T0 + 5, 6.0)  # back (its retained `offline` was old news)
    assert door_2.keeper(6.0) == "door-2"  # door-2 holds the quarter hour now: door-1 joins it
    door_2 = BranchFloor("door-2", started_m=-100.0)
    door_2.receive("door-1", keeping(T0 + 5), T0 + 5, 6.0)
    assert door_2.keeper(6.0) == "door-1"
    assert door_2.keeper(6.0 + HEARD_S + 0.1) == "door-2"  # killed: no word, only silence
    assert door_2.status(10.0)["kiosks"] == {"door-1": {"online": True, "heard_s_ago": 4.0}}


def test_a_kiosks_own_messages_are_not_another_kiosk() -> None:
    door_1 = BranchFloor("door-1", started_m=-100.0)
    door_1.heard_observations(OBSERVATIONS.format("door-1"), encode(T0, {"radar": []}, []))
    door_1.heard_availability(AVAILABILITY.format("door-1"), b"online")
    assert door_1.others_heard(0.0) == [] and door_1.stats.accepted == 0


def test_observations_are_aged_by_the_senders_clock_when_it_agrees_with_ours() -> None:
    branch = BranchFloor("door-1", started_m=-100.0)
    branch.receive("door-2", batch(T0, seen_at=T0 - (REMOTE_FRESH_S + 0.2)), T0, 50.0)
    assert branch.fresh(50.0) == []  # a reading that was already stale when it came
    branch.receive("door-3", batch(T0, seen_at=T0 - 0.3), T0, 50.0)
    assert len(branch.fresh(50.0)) == 1 and branch.fresh(50.0 + REMOTE_FRESH_S) == []
    assert branch.stats.skewed == 0


def test_a_sender_with_a_wrong_clock_is_aged_by_receipt_time_and_counted() -> None:
    branch = BranchFloor("door-1", started_m=-100.0)
    an_hour_slow = T0 - 3600
    branch.receive("door-2", batch(an_hour_slow), T0, 50.0)
    assert [[(o.x_m, o.y_m) for o in view] for view in branch.fresh(50.0)] == [[(2.0, 2.0)]]
    assert branch.fresh(50.0 + REMOTE_FRESH_S + 0.1) == []
    assert branch.stats.skewed == 1 and branch.status(50.0)["observations_skewed"] == 1


def test_staff_named_at_another_door_reach_the_keepers_model_in_its_clock() -> None:
    branch = BranchFloor("door-1", started_m=-100.0)
    branch.receive("door-2", decode(encode(T0, {}, [T0 - 1.0])), T0, 1.0)
    branch.receive("door-3", decode(encode(T0 - 3600, {}, [T0 - 3601.0])), T0, 1.0)
    assert branch.take_staff_named() == [T0 - 1.0, T0] and branch.take_staff_named() == []


def good() -> dict[str, object]:
    return json.loads(encode(T0, {"radar": [Observation(T0, 2.0, 2.0)]}, [T0]))  # type: ignore[no-any-return]


def with_(**changes: object) -> bytes:
    return json.dumps({**good(), **changes}).encode()


HOSTILE = {
    "empty": b"",
    "not json": b"{",
    "nested too deep": b"[" * 8000,
    "too large": b" " * (MAX_BYTES + 1),
    "a list": b"[]",
    "an extra key (a name, say)": with_(name="Ada"),
    "another schema": with_(schema="branchdoor/floor-observations/9"),
    "a sent time that is text": with_(at="now"),
    "a sent time that is true": with_(at=True),
    "no sensor list": with_(sensors={"radar": []}),
    "too many sensors": with_(sensors=[{"sensor": f"s{i}", "t": T0, "points": []} for i in range(17)]),
    "a sensor twice": with_(sensors=[{"sensor": "s", "t": T0, "points": []}] * 2),
    "a sensor id with a slash": with_(sensors=[{"sensor": "../x", "t": T0, "points": []}]),
    "a track id on a point": with_(sensors=[{"sensor": "s", "t": T0, "points": [[1, 2, 7]]}]),
    "an endless coordinate": b'{"schema":"branchdoor/floor-observations/1","at":1,"sensors":'
    b'[{"sensor":"s","t":1,"points":[[NaN,1]]}],"staff_named":[]}',
    "a coordinate off the plan": with_(sensors=[{"sensor": "s", "t": T0, "points": [[1e9, 1]]}]),
    "too many points": with_(sensors=[{"sensor": "s", "t": T0, "points": [[1, 1]] * 33}]),
    "infinite time": b'{"schema":"branchdoor/floor-observations/1","at":Infinity,"sensors":[],'
    b'"staff_named":[]}',
    "too many staff": with_(staff_named=[T0] * 17),
}


@pytest.mark.parametrize("payload", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_or_malformed_observations_are_refused_and_counted(payload: bytes) -> None:
    branch = BranchFloor("door-1", started_m=-100.0)
    branch.heard_observations(OBSERVATIONS.format("door-2"), payload)  # never raises
    assert branch.stats.rejected == 1 and branch.stats.accepted == 0
    assert branch.fresh(0.0) == [] and branch.others_heard(0.0) == []
    assert branch.status(0.0)["observations_rejected"] == 1


def test_what_a_kiosk_shares_is_in_the_contract_and_carries_floor_metres_only() -> None:
    payload = encode(T0, {"radar": [Observation(T0, 2.0, 2.5)], "ranger": []}, [T0 - 2])
    jsonschema.validate(json.loads(payload), validator_for("FloorObservations"))
    branch = BranchFloor("door-1", started_m=-100.0)
    branch.heard_observations(OBSERVATIONS.format("door-2"), payload)
    assert branch.stats.accepted == 1
    health_floor = branch.status(1.0)
    jsonschema.validate(health_floor, validator_for("FloorRole"))


def test_a_client_inventing_kiosks_cannot_grow_memory() -> None:
    branch = BranchFloor("door-1", started_m=-100.0)
    for number in range(MAX_KIOSKS + 5):
        branch.heard_observations(OBSERVATIONS.format(f"fake-{number}"), encode(T0, {}, []))
    for number in range(5):
        branch.heard_availability(AVAILABILITY.format(f"ghost-{number}"), b"online")
    assert len(branch.status(0.0)["kiosks"]) == MAX_KIOSKS  # type: ignore[arg-type]
    assert branch.stats.rejected == 5


def test_a_sensor_the_sender_no_longer_hears_leaves_the_merge_at_once() -> None:
    branch = BranchFloor("door-1", started_m=-100.0)
    both = {"radar": [Observation(T0, 2.0, 2.0)], "ranger": [Observation(T0, 5.0, 3.0)]}
    branch.receive("door-2", decode(encode(T0, both, [])), T0, 1.0)
    branch.receive("door-2", decode(encode(T0, {"radar": both["radar"]}, [])), T0, 1.0)
    assert [[(o.x_m, o.y_m) for o in view] for view in branch.fresh(1.0)] == [[(2.0, 2.0)]]


def test_a_flood_of_junk_is_counted_in_full_but_logged_once_in_a_while(
    caplog: pytest.LogCaptureFixture,
) -> None:
    branch = BranchFloor("door-1", started_m=-100.0)
    with caplog.at_level(logging.WARNING, logger="device.floor.keeper"):
        for _ in range(1000):
            branch.heard_observations(OBSERVATIONS.format("door-2"), b"junk")
    assert branch.stats.rejected == 1000
    assert [r.getMessage() for r in caplog.records] == [
        "floor: observations from 'door-2' refused: not JSON (JSONDecodeError) (1 refused since start)"
    ]


def keeping(sent_at: float) -> ObservationBatch:
    return ObservationBatch(sent_at, (SensorView("radar", sent_at, ((2, 2),)),), (), keeper=True)


def test_a_kiosk_starting_later_defers_to_the_keeper_whatever_its_id() -> None:
    # door-1 restarted mid-quarter: door-2 kept the floor meanwhile and holds the whole quarter hour.
    door_1 = BranchFloor("door-1", started_m=0.0)
    door_1.receive("door-2", keeping(T0), T0, 0.5)
    assert door_1.keeper(0.5) == "door-2"
    door_1.receive("door-2", keeping(T0 + 5), T0 + 5, LISTEN_S + 1.0)
    assert (
        door_1.keeper(LISTEN_S + 1.0) == "door-2" and door_1.status(LISTEN_S + 1.0)["role"] == "contributor"
    )
    # The keeper falls silent: the floor is door-1's.
    assert door_1.keeper(LISTEN_S + 1.0 + HEARD_S + 0.1) == "door-1"


def test_two_keepers_after_a_partition_settle_on_the_lower_id() -> None:
    door_1, door_2 = BranchFloor("door-1", started_m=-100.0), BranchFloor("door-2", started_m=-100.0)
    assert door_1.keeper(0.0) == "door-1" and door_2.keeper(0.0) == "door-2"  # each alone, cut off
    door_1.receive("door-2", keeping(T0), T0, 1.0)
    door_2.receive("door-1", keeping(T0), T0, 1.0)
    assert door_1.keeper(1.0) == "door-1" and door_2.keeper(1.0) == "door-1"


def test_whether_the_sender_keeps_the_floor_travels_with_its_observations() -> None:
    assert decode(encode(T0, {"radar": []}, [], keeper=True)).keeper is True
    assert decode(encode(T0, {"radar": []}, [])).keeper is False
