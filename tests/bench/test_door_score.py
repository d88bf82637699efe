"""How the recognition bench scores a run: each cue at the screen against who was at the door."""

from __future__ import annotations

from bench.door_score import Arrival, Expected, Tally, collapse, score

GRACE = Expected("grace", "customer", enter_s=10.0, leave_s=14.0, group_size=2, detectable_s=11.0)
ADA = Expected("ada", "customer", enter_s=10.5, leave_s=14.5, group_size=2, detectable_s=11.5)
STRANGER = Expected("someone", "stranger", enter_s=30.0, leave_s=34.0)
STAFF = Expected("sam", "staff", enter_s=40.0, leave_s=44.0)
PRINT = Expected("grace", "print", enter_s=50.0, leave_s=54.0)


def sent(scene_s: float) -> float:
    return 1000.0 + scene_s  # the camera's clock: scene time 0 went out at monotonic 1000


def scored(*arrivals: Arrival) -> Tally:
    return score(Tally("run", 60.0, 3.0), [GRACE, ADA, STRANGER, STAFF, PRINT], list(arrivals), sent)


def at(scene_s: float, ref: str, verify: bool = False) -> Arrival:
    return Arrival(scene_s, 1000.0 + scene_s, ref, verify)


def test_two_customers_side_by_side_each_named_once_is_two_correct_visits_of_a_pair() -> None:
    tally = scored(at(11.4, "grace"), at(11.9, "ada"))
    assert (tally.visits, tally.correct, tally.missed, tally.wrong_identity) == (2, 2, 0, 0)
    assert tally.groups == {2: [2, 2]}
    assert [round(ms) for ms in tally.latency_screen_ms] == [400, 400]
    assert [round(ms) for ms in tally.latency_entered_ms] == [1400, 1400]  # in view from 10.0 and 10.5 s


def test_a_second_cue_for_the_same_visit_is_a_duplicate_not_a_second_visit() -> None:
    tally = scored(at(11.4, "grace"), at(12.0, "grace"))
    assert (tally.correct, tally.duplicates) == (1, 1)


def test_a_name_nobody_at_the_door_has_is_wrong_and_a_strangers_name_is_counted_apart() -> None:
    tally = scored(at(12.0, "bob"), at(31.0, "grace"), at(20.0, "ada"))
    assert tally.wrong_identity == 2  # bob beside grace and ada; ada when nobody was there
    assert tally.strangers_named == 1
    assert tally.correct == 0 and tally.missed == 2


def test_staff_and_attacks_are_tallied_apart_from_visits() -> None:
    tally = scored(at(41.0, "sam"), at(51.0, "grace", verify=True))
    assert (tally.staff_passes, tally.staff_cued) == (1, 1)
    assert (tally.attacks, tally.attacks_greeted, tally.attacks_flagged) == (1, 0, 1)
    assert tally.correct == 0
    assert scored(at(51.0, "grace")).attacks_greeted == 1


def test_a_cue_shortly_after_someone_left_still_belongs_to_their_visit() -> None:
    assert scored(at(15.5, "grace")).correct == 1
    assert scored(at(16.5, "grace")).correct == 0


def test_a_loop_greeting_on_every_frame_is_collapsed_to_one_greeting_per_stretch() -> None:
    frames = [at(11.0 + i / 15, "grace") for i in range(30)] + [at(20.0, "grace")]
    assert [a.scene_s for a in collapse(frames)] == [11.0, 20.0]
