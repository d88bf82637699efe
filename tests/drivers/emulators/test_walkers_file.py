"""The walkers file: a scenario a person writes, read back exactly, each mistake at its file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from drivers.emulators import walkers_file
from drivers.emulators.scenario import door_traffic
from drivers.emulators.walkers_file import WalkersFileError, load_walkers, parse_walkers, to_toml


def docstring_example() -> str:
    """The example in the module's docstring (its indented block), as a field engineer would copy it."""
    doc = walkers_file.__doc__ or ""
    block = doc.split(":\n\n", 1)[1].split("\n\n", 1)[0]
    return textwrap.dedent(block) + "\n"


EXAMPLE = docstring_example()


def problems(text: str) -> list[str]:
    with pytest.raises(WalkersFileError) as caught:
        parse_walkers(text, Path("w.toml"))
    return caught.value.problems


def test_the_documented_example_is_a_scenario() -> None:
    scenario = parse_walkers(EXAMPLE, Path("w.toml"))
    assert scenario.duration_s == 40.0
    (walker,) = scenario.walkers
    assert walker.name == "in, waits at the counter, out"
    assert walker.position_at(3.0) == pytest.approx((2.0, 2.5))
    assert walker.position_at(37.0) is None


def test_what_the_emulator_prints_reads_back_as_the_same_scenario(tmp_path: Path) -> None:
    path = tmp_path / "door.toml"
    path.write_text(to_toml(door_traffic()))
    assert load_walkers(path) == door_traffic()


def test_the_duration_defaults_to_the_last_waypoint() -> None:
    text = "[[walkers]]\nwaypoints = [{ t_s = 1.0, x_m = 0, y_m = 0 }, { t_s = 9.5, x_m = 1, y_m = 0 }]\n"
    assert parse_walkers(text, Path("w.toml")).duration_s == 9.5


def test_each_mistake_is_named_at_its_line_with_what_was_expected() -> None:
    text = """\
duration_s = 10.0
[[walkers]]
name = "first"
waypoints = [
    { t_s = 0.0, x_m = 2.0, y_m = 0.0 },
    { t_s = "soon", x_m = 2.0, y_m = 5.0 },
]

[[walkers]]
waypoints = [
    { t_s = 0.0, x_m = 2.0, y_m = 0.0 },
    { t_s = 12.0, x_m = 2.0, z_m = 5.0 },
]
"""
    assert problems(text) == [
        "w.toml:6: walkers.0.waypoints.1.t_s: Input should be a valid number, unable to parse string as a "
        "number (got 'soon')",
        "w.toml:12: walkers.1.waypoints.1.y_m: required key is missing",
        "w.toml:12: walkers.1.waypoints.1.z_m: unknown key; expected one of: t_s, x_m, y_m",
    ]


def test_times_must_increase_and_the_duration_cover_them() -> None:
    text = """\
duration_s = 5.0
[[walkers]]
waypoints = [
    { t_s = 0.0, x_m = 2.0, y_m = 0.0 },  # "{ a bracket in a comment"
    { t_s = 8.0, x_m = 2.0, y_m = 5.0 },
    { t_s = 8.0, x_m = 2.0, y_m = 0.0 },
]
"""
    assert problems(text) == [
        "w.toml:6: walkers.0.waypoints.2.t_s: expected a time after the waypoint before it (8.0 s), got 8.0"
    ]
    later = text.replace("t_s = 8.0, x_m = 2.0, y_m = 0.0", "t_s = 9.0, x_m = 2.0, y_m = 0.0")
    assert problems(later) == ["w.toml:1: duration_s: expected at least 9.0 s, the last waypoint's time"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("walkers = 3\n", "w.toml:1: walkers: Input should be a valid list (got 3)"),
        ("duration_s = 4.0\n", "w.toml:1: walkers: required key is missing"),
        ("[[walkers]]\nwaypoints = []\n", "w.toml:2: walkers.0.waypoints: List should have at least 1 item"),
        (
            "[[walkers]]\nwaypoints = [{ t_s = 0.0, x_m = 1.0, y_m = 0.0 }]\nspeed = 2\n",
            "w.toml:3: walkers.0.speed: unknown key; expected one of: name, waypoints",
        ),
        (
            "[[walkers]]\nwaypoints = [{ t_s = 0.0, x_m = 1e9, y_m = 0.0 }]\n",
            "w.toml:2: walkers.0.waypoints.0.x_m: Input should be less than or equal to 1000 (got 1000000000",
        ),
        ("[[walkers]\n", "w.toml:1: not valid TOML"),
    ],
)
def test_a_file_that_is_not_a_scenario_is_refused_in_one_line(text: str, expected: str) -> None:
    (problem,) = problems(text)
    assert problem.startswith(expected)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(WalkersFileError, match=r"absent.toml:1: cannot read the walkers file: No such file"):
        load_walkers(tmp_path / "absent.toml")
