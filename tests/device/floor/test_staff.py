"""Staff named at the door are not footfall: their inbound crossing, paired with the naming within the
window (before or after it), goes to an anonymous staff count instead of the door's ins."""

from __future__ import annotations

from device.floor.counting import LineCrossing
from device.floor.model import FloorModel
from device.floor.staff import StaffCrossings
from tests.device.floor.plan import BRANCH, T0
from tests.device.floor.test_footfall import MORNING
from tests.device.floor.walkers import Walker, frames

# A member of staff walks in, out and in again three times among the five customers of the morning
# (who come in at about 1, 5, 9, 15 and 21 s): in at ~31.1, ~47.1 and ~57.1 s, out at ~35 and ~51 s.
STAFF = Walker(
    [(30, 2.8, -1.2), (32, 2.8, 1), (34, 2.8, 1), (36, 2.8, -1.2), (46, 2.8, -1.2), (48, 2.8, 1),
     (50, 2.8, 1), (52, 2.8, -1.2), (56, 2.8, -1.2), (58, 2.8, 1)]
)  # fmt: skip
# When the door camera names them: before the first entry (seen approaching), after the second (the
# radar confirmed the crossing first), at about the same moment as the third.
NAMED_AT = [29.5, 49.0, 57.0]


def morning_with_staff(named_at: list[float]) -> tuple[FloorModel, list[LineCrossing]]:
    model = FloorModel(BRANCH)
    crossings: list[LineCrossing] = []
    pending = sorted(named_at)
    for t, observations in frames([*MORNING, STAFF], start=T0, end=60.0):
        while pending and T0 + pending[0] <= t:
            model.staff_named(T0 + pending.pop(0))
        crossings += [
            e for e in model.ingest(t, observations, frame_period_s=0.1) if isinstance(e, LineCrossing)
        ]
    return model, crossings


def test_staff_crossings_in_are_left_out_of_the_door_counts_and_counted_apart() -> None:
    unnamed, crossings = morning_with_staff([])
    assert unnamed.snapshot(T0 + 60).ins_today == {"main": 8}  # without the camera: everyone is footfall
    assert [c.direction for c in crossings].count("in") == 8
    model, _ = morning_with_staff(NAMED_AT)
    snapshot = model.snapshot(T0 + 60)
    assert snapshot.ins_today == {"main": 5}
    assert snapshot.outs_today == {"main": 5}  # staff leaving face away from the camera: still counted
    assert model.staff_ins_today == 3
    (history,) = model.close_bins(T0 + 900)
    assert history.line_in == {"main": 5}


def test_a_naming_with_no_crossing_in_the_window_claims_nothing() -> None:
    model, _ = morning_with_staff([40.0])  # nobody crosses in between 35 and 45 s
    assert model.snapshot(T0 + 60).ins_today == {"main": 8} and model.staff_ins_today == 0


def test_each_naming_claims_one_crossing_and_each_crossing_one_naming() -> None:
    pairing = StaffCrossings(window_s=5.0)
    first, second = LineCrossing("main", "in", 100.0, 1), LineCrossing("main", "in", 101.0, 2)
    assert pairing.is_staff(first) is False and pairing.is_staff(second) is False
    assert pairing.named(103.0) == first  # the earliest unclaimed crossing in the window
    assert pairing.named(103.5) == second
    assert pairing.named(104.0) is None  # nothing left to claim: it waits for the next crossing
    assert pairing.is_staff(LineCrossing("main", "in", 109.0, 3)) is True
    assert pairing.is_staff(LineCrossing("main", "in", 109.5, 4)) is False
    assert pairing.named(120.0) is None  # 4 is more than the window before
    assert pairing.is_staff(LineCrossing("main", "in", 125.5, 5)) is False  # and so is this naming
