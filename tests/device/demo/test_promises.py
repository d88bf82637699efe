"""The demo says OK only when every figure it promised was seen, exactly."""

from __future__ import annotations

from dataclasses import replace

from device.demo.promises import Seen, shortfalls

KEPT = Seen("Grace", "Eileen", ("Grace",), (2, 0), 1, ("online", "offline"), 0)


def test_a_run_that_shows_what_was_promised_has_no_shortfall() -> None:
    assert shortfalls(KEPT) == []


def test_each_figure_that_differs_is_named_with_what_was_promised() -> None:
    assert shortfalls(replace(KEPT, door=(1, 0))) == [
        "door counts from the emulated radar: in 1, out 0, promised in 2, out 0"
    ]
    assert shortfalls(replace(KEPT, door=None)) == [
        "door counts from the emulated radar: no floor snapshot, promised in 2, out 0"
    ]
    assert shortfalls(replace(KEPT, uploaded=0)) == [
        "check-ins received by the central service: 0, promised 1"
    ]
    assert shortfalls(replace(KEPT, availability=("online",))) == [
        "availability seen: online, promised online -> offline"
    ]
    assert shortfalls(replace(KEPT, exit_code=1)) == ["daemon exit code: 1, promised 0"]


def test_too_many_is_as_wrong_as_too_few() -> None:
    assert shortfalls(replace(KEPT, door=(3, 0))) != []
    assert shortfalls(replace(KEPT, uploaded=2)) != []
    assert shortfalls(replace(KEPT, cue_names=("Grace", "Grace"))) == [
        "cues received by the teller screen: 2 (Grace, Grace), promised 1 for Grace"
    ]
    assert shortfalls(replace(KEPT, cue_names=())) == [
        "cues received by the teller screen: 0 (none), promised 1 for Grace"
    ]


def test_naming_the_stranger_breaks_two_promises() -> None:
    assert shortfalls(replace(KEPT, cue_names=("Grace", "Eileen"))) == [
        "cues received by the teller screen: 2 (Grace, Eileen), promised 1 for Grace",
        "cues naming the stranger: 1, promised 0",
    ]
