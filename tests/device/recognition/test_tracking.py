"""Tracking: each person in view is one track, kept across frames and ended when they leave."""

from __future__ import annotations

from device.recognition.faces import Box
from device.recognition.tracking import SAME_VISIT_S, Tracker, TrackState


def box(left: int, top: int, size: int = 80) -> Box:
    return Box(top=top, right=left + size, bottom=top + size, left=left)


def test_a_face_moving_a_little_stays_one_track() -> None:
    tracker = Tracker()
    first = tracker.update([box(100, 100)], now=0.0)[0]
    second = tracker.update([box(108, 104)], now=0.07)[0]
    assert first.track_id == second.track_id and second.hits == 2


def test_two_people_side_by_side_are_two_tracks_across_frames() -> None:
    tracker = Tracker()
    a, b = tracker.update([box(50, 100), box(400, 100)], now=0.0)
    # Next frame, detections arrive in the other order.
    b2, a2 = tracker.update([box(405, 102), box(55, 101)], now=0.07)
    assert (a.track_id, b.track_id) == (a2.track_id, b2.track_id)
    assert a.track_id != b.track_id


def test_a_track_unseen_longer_than_the_timeout_ends() -> None:
    tracker = Tracker(timeout_s=1.0)
    tracker.update([box(100, 100)], now=0.0)
    assert tracker.expire(now=0.9) == []
    [gone] = tracker.expire(now=1.1)
    assert gone.hits == 1 and tracker.active == []


def test_someone_appearing_elsewhere_is_a_new_track() -> None:
    tracker = Tracker()
    first = tracker.update([box(100, 100)], now=0.0)[0]
    other = tracker.update([box(450, 300)], now=0.07)[0]
    assert other.track_id != first.track_id


def test_withdrawn_customer_is_dropped_from_live_tracks() -> None:
    tracker = Tracker()
    track = tracker.update([box(100, 100)], now=0.0)[0]
    track.state, track.customer_ref = TrackState.IDENTIFIED, "C1"
    tracker.drop_customer("C1")
    assert track.customer_ref is None and track.state is TrackState.UNIDENTIFIED


def test_iou_of_boxes() -> None:
    assert box(0, 0, 10).iou(box(0, 0, 10)) == 1.0
    assert box(0, 0, 10).iou(box(20, 20, 10)) == 0.0
    assert box(0, 0, 10).iou(box(5, 0, 10)) == 50 / 150


def named(tracker: Tracker, at: Box, now: float, customer_ref: str) -> None:
    track = tracker.update([at], now=now)[0]
    track.state, track.customer_ref = TrackState.IDENTIFIED, customer_ref


def test_a_name_is_already_given_while_its_track_is_in_view_and_moments_after() -> None:
    tracker = Tracker(timeout_s=1.0)
    named(tracker, box(100, 100), now=0.0, customer_ref="CUST-1")
    assert tracker.already_named("CUST-1", now=0.5) and not tracker.already_named("CUST-2", now=0.5)
    tracker.expire(now=2.0)  # hidden behind someone: the track ends
    assert tracker.active == [] and tracker.already_named("CUST-1", now=2.0)
    assert not tracker.already_named("CUST-1", now=SAME_VISIT_S + 0.1)
    tracker.expire(now=SAME_VISIT_S + 0.1)
    assert tracker.customers_remembered() == set()


def test_a_withdrawn_customer_is_not_remembered_by_ended_tracks() -> None:
    tracker = Tracker(timeout_s=1.0)
    named(tracker, box(100, 100), now=0.0, customer_ref="CUST-1")
    tracker.expire(now=2.0)
    assert tracker.customers_remembered() == {"CUST-1"}
    tracker.drop_customer("CUST-1")
    assert tracker.customers_remembered() == set() and not tracker.already_named("CUST-1", now=2.0)
