"""A scripted morning at the door: counts, occupancy, queue dwell and wait come out as a manager expects."""

from __future__ import annotations

from device.floor.counting import LineCrossing, ZoneVisit
from device.floor.model import FloorModel
from tests.device.floor.plan import BRANCH, T0
from tests.device.floor.walkers import Walker, frames

# Five people come in through the door (the radar sees 1.2 m of the street, y < 0).
# A and B queue for 30 s at the queue spot and leave; C sits in the waiting area and leaves;
# D sits and stays; E goes to the counter and stays.
A = Walker([(0, 2, -1.2), (2, 2, 1), (6, 6, 2), (36, 6, 2), (40, 2, 1), (42, 2, -1.2)])
B = Walker([(4, 1.5, -1.2), (6, 1.5, 1), (10, 6, 3), (40, 6, 3), (44, 1.5, 1), (46, 1.5, -1.2)])
C = Walker([(8, 2.5, -1.2), (10, 2.5, 1), (13, 1, 3.5), (50, 1, 3.5), (53, 2, 1), (55, 2, -1.2)])
D = Walker([(14, 2, -1.2), (16, 2, 1), (19, 1, 5), (60, 1, 5)])
E = Walker([(20, 2.5, -1.2), (22, 2.5, 1), (26, 3.5, 5), (28, 6, 5.3), (60, 6, 5.3)])
MORNING = [A, B, C, D, E]

# Time inside the queue polygon (x >= 5): A from t=5 (a quarter of the way from (2,1) to (6,2) is left)
# to t=37; B from t=9 to t=41 (x = 5 at 7/9 of each leg). Tracking lag and the exit grace blur the
# edges, so the stated tolerance is +-1.5 s.
QUEUE_DWELL_S = {"A": 32.0, "B": 32.0}
DWELL_TOLERANCE_S = 1.5


def run(model: FloorModel, **scene: object) -> list[LineCrossing | ZoneVisit]:
    events: list[LineCrossing | ZoneVisit] = []
    for t, observations in frames(MORNING, start=T0, end=60.0, **scene):  # type: ignore[arg-type]
        events.extend(model.ingest(t, observations, frame_period_s=0.1))
    return events


def test_five_in_three_out_and_two_still_inside() -> None:
    model = FloorModel(BRANCH)
    events = run(model)
    crossings = [e for e in events if isinstance(e, LineCrossing)]
    assert [c.direction for c in crossings].count("in") == 5
    assert [c.direction for c in crossings].count("out") == 3
    snapshot = model.snapshot(T0 + 60)
    assert snapshot.ins_today == {"main": 5} and snapshot.outs_today == {"main": 3}
    assert abs(snapshot.occupancy - 2) <= 1
    assert snapshot.zone_counts == {"queue": 0, "counter 1": 1, "waiting": 1}


def test_the_two_queuers_dwell_about_thirty_two_seconds_in_the_queue() -> None:
    events = run(FloorModel(BRANCH))
    queue = [e for e in events if isinstance(e, ZoneVisit) and e.zone == "queue"]
    queue.sort(key=lambda e: e.entered)
    assert len(queue) == 2
    for visit, expected in zip(queue, QUEUE_DWELL_S.values(), strict=True):
        assert abs(visit.dwell_s - expected) <= DWELL_TOLERANCE_S, visit
    # Walking past a zone is not a visit: nobody but A and B counts in the queue, and C's long sit counts.
    waiting = [e for e in events if isinstance(e, ZoneVisit) and e.zone == "waiting"]
    assert len(waiting) == 1 and waiting[0].dwell_s > 30


def test_queue_length_and_wait_while_both_queue() -> None:
    model = FloorModel(BRANCH)
    for t, observations in frames(MORNING, start=T0, end=30.0):
        model.ingest(t, observations, frame_period_s=0.1)
    snapshot = model.snapshot(T0 + 30)
    assert snapshot.queue_length == 2
    # E is at the only counter: two people x 240 s average service / one busy counter.
    assert snapshot.estimated_wait_s == 480.0
    assert snapshot.to_dict()["lines"] == {"main": {"in": 5, "out": 0}}


def test_a_one_frame_false_target_counts_for_nothing() -> None:
    # A reflection flickers across the doorway and into the queue zone, one frame at a time.
    ghosts = {25: [(2.0, 0.3)], 26: [(2.05, -0.35)], 300: [(6.5, 3.8)], 301: [(6.5, 1.2)]}
    model = FloorModel(BRANCH)
    events = run(model, ghosts=ghosts)
    crossings = [e.direction for e in events if isinstance(e, LineCrossing)]
    assert (crossings.count("in"), crossings.count("out")) == (5, 3)
    assert len([e for e in events if isinstance(e, ZoneVisit) and e.zone == "queue"]) == 2


def test_a_ghost_on_an_empty_floor_adds_no_people_and_no_heat() -> None:
    model = FloorModel(BRANCH)
    for t, observations in frames([], start=T0, end=5.0, ghosts={3: [(4.0, 3.0)]}):
        model.ingest(t, observations, frame_period_s=0.1)
        assert model.snapshot(t).occupancy == 0
    [empty] = model.close_bins(T0 + 900)
    assert empty.grid.sum() == 0 and empty.occupancy_max == 0


def test_missing_frames_while_crossing_do_not_split_a_person_into_two() -> None:
    # A crosses y = 0 at t = 1.1 s (frame 11); frames 9-13 are lost on the serial line.
    model = FloorModel(BRANCH)
    events = run(model, dropped=frozenset(range(9, 14)))
    ins = [e for e in events if isinstance(e, LineCrossing) and e.direction == "in"]
    assert len(ins) == 5
    assert len({e.track_id for e in ins}) == 5


def test_someone_lingering_on_the_threshold_counts_in_once() -> None:
    # They step onto the door line (5 cm inside), stand there for 10 s of sensor jitter, then walk in.
    lingering = Walker([(0, 2, -1.0), (2, 2, 0.05), (12, 2, 0.05), (14, 2, 1.5), (20, 2, 1.5)])
    model = FloorModel(BRANCH)
    events = []
    for t, observations in frames([lingering], start=T0, end=20.0, noise_m=0.08, seed=3):
        events.extend(model.ingest(t, observations, frame_period_s=0.1))
    assert [e.direction for e in events if isinstance(e, LineCrossing)] == ["in"]


def test_waiting_at_the_edge_of_the_queue_zone_is_one_visit() -> None:
    # Standing right on the queue boundary (x = 5), jitter takes them in and out of the zone for 30 s.
    edge = Walker([(0, 2, -1.0), (2, 2, 1), (5, 5.05, 2.5), (35, 5.05, 2.5), (38, 2, 1), (40, 2, -1)])
    model = FloorModel(BRANCH)
    events = []
    for t, observations in frames([edge], start=T0, end=40.0, noise_m=0.08, seed=5):
        events.extend(model.ingest(t, observations, frame_period_s=0.1))
    visits = [e for e in events if isinstance(e, ZoneVisit) and e.zone == "queue"]
    assert len(visits) == 1 and abs(visits[0].dwell_s - 30) <= 2


def test_a_sensor_outage_longer_than_the_timeout_restarts_tracks_but_keeps_counts() -> None:
    # No frames at all for 3 s (t = 30-33) while five people stand still inside: every track ends and
    # restarts afterwards, yet nobody is counted in or out again and everyone is present once more.
    model = FloorModel(BRANCH)
    ids_before: set[int] = set()
    events = []
    for t, observations in frames(MORNING, start=T0, end=35.0, dropped=frozenset(range(300, 330))):
        events.extend(model.ingest(t, observations, frame_period_s=0.1))
        if abs(t - (T0 + 29.9)) < 1e-6:  # the last frame before the outage
            ids_before = {track.track_id for track in model.tracker.active}
    assert len(ids_before) == 5 and ids_before.isdisjoint(track.track_id for track in model.tracker.active)
    crossings = [e.direction for e in events if isinstance(e, LineCrossing)]
    assert (crossings.count("in"), crossings.count("out")) == (5, 0)
    assert model.snapshot(T0 + 35).occupancy == 5
