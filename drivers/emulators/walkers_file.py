"""The walkers file: people and their timed waypoints, for `python -m drivers.emulators TYPE --walkers FILE`.

A small TOML file. Times are seconds from when a host (the daemon, `branchdoor sensors read`) opens
the emulator's port; positions are floor metres on the branch plan, as in the kiosk's `[floor]`:

    duration_s = 40.0                 # optional; default: the last waypoint's time
    [[walkers]]
    name = "in, waits at the counter, out"     # optional, shown when the emulator starts
    waypoints = [
        { t_s = 0.0, x_m = 2.0, y_m = 0.0 },
        { t_s = 6.0, x_m = 2.0, y_m = 5.0 },
        { t_s = 30.0, x_m = 2.0, y_m = 5.0 },
        { t_s = 36.0, x_m = 2.0, y_m = 0.0 },
    ]

A walker goes in a straight line from one waypoint to the next, arriving at its time (times strictly
increase), is on the floor from its first waypoint's time to its last, and absent before and after.
A mistake is reported as `file:line: key: what was expected`, like the kiosk's config.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator, model_validator

from common.sections import InvalidKey, Section
from drivers.emulators.scenario import Scenario, Walker

Loc = tuple[str | int, ...]

MAX_FILE_BYTES = 1024 * 1024  # a walkers file is a few KiB; more is not one
MAX_S = 86_400.0  # a day: a longer scenario is a typo, and the pacing arithmetic stays exact
# Floor metres, bounded as the kiosk's plan is (device/floor/config.py), so positions stay finite.
Metres = Annotated[float, Field(ge=-1000, le=1000)]


class WaypointSpec(Section):
    t_s: float = Field(ge=0, le=MAX_S, description="Seconds from when a host opens the port.")
    x_m: Metres
    y_m: Metres


class WalkerSpec(Section):
    name: str = Field("", max_length=80)
    waypoints: list[WaypointSpec] = Field(min_length=1, max_length=10_000)

    @field_validator("waypoints")
    @classmethod
    def _times_increase(cls, waypoints: list[WaypointSpec]) -> list[WaypointSpec]:
        for index in range(1, len(waypoints)):
            before, this = waypoints[index - 1].t_s, waypoints[index].t_s
            if this <= before:
                raise InvalidKey(
                    f"expected a time after the waypoint before it ({before} s), got {this}", index, "t_s"
                )
        return waypoints


class WalkersFile(Section):
    duration_s: float | None = Field(None, gt=0, le=MAX_S)
    walkers: list[WalkerSpec] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _lasts_long_enough(self) -> WalkersFile:
        last = max(walker.waypoints[-1].t_s for walker in self.walkers)
        if self.duration_s is not None and self.duration_s < last:
            raise InvalidKey(f"expected at least {last} s, the last waypoint's time", "duration_s")
        return self

    def scenario(self) -> Scenario:
        walkers = tuple(
            Walker(tuple((p.t_s, p.x_m, p.y_m) for p in walker.waypoints), walker.name)
            for walker in self.walkers
        )
        last = max(walker.points[-1][0] for walker in walkers)
        return Scenario(walkers, self.duration_s or last or 1.0)


class WalkersFileError(Exception):
    """Every problem found in one walkers file, each a `file:line: key: ...` line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def load_walkers(path: Path) -> Scenario:
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise WalkersFileError([f"{path}:1: larger than 1 MiB: not a walkers file"])
        text = raw.decode("utf-8")
    except OSError as exc:
        raise WalkersFileError([f"{path}:1: cannot read the walkers file: {exc.strerror or exc}"]) from exc
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise WalkersFileError([f"{path}:{line}: not valid UTF-8: save it as UTF-8"]) from exc
    return parse_walkers(text, path)


def parse_walkers(text: str, path: Path) -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise WalkersFileError([f"{path}:{found.group(1) if found else 1}: not valid TOML: {exc}"]) from exc
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits, absurd nesting
        raise WalkersFileError([f"{path}:1: not a walkers file: {exc}"]) from exc
    try:
        return WalkersFile.model_validate(data).scenario()
    except ValidationError as exc:
        lines = key_lines(text)
        located = sorted(_describe(error, lines) for error in exc.errors())
        raise WalkersFileError([f"{path}:{line}: {message}" for line, message in located]) from exc


def _describe(error: Mapping[str, Any], lines: dict[Loc, int]) -> tuple[int, str]:
    """(line, "key: what was expected")."""
    cause = error.get("ctx", {}).get("error")
    loc: Loc = tuple(error["loc"]) + (cause.at if isinstance(cause, InvalidKey) else ())
    key = ".".join(str(part) for part in loc) or "(top level)"
    kind = error["type"]
    if kind == "missing":
        what = "required key is missing"
    elif kind == "extra_forbidden":
        what = f"unknown key; expected one of: {', '.join(_allowed(loc))}"
    else:
        what = str(error["msg"]).removeprefix("Value error, ")
        given = error.get("input")
        if not isinstance(given, dict | list) and not isinstance(cause, InvalidKey):
            what += f" (got {given!r:.80})"
    return _line_of(loc, lines), f"{key}: {what}"


def _allowed(loc: Loc) -> list[str]:
    names = tuple(part for part in loc[:-1] if isinstance(part, str))
    tables: dict[tuple[str, ...], type[Section]] = {(): WalkersFile, ("walkers",): WalkerSpec}
    return list(tables.get(names, WaypointSpec).model_fields)


def _line_of(loc: Loc, lines: dict[Loc, int]) -> int:
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")
_WALKERS_HEADER = re.compile(r"^\s*\[\[\s*walkers\s*\]\]\s*(#.*)?$")


def key_lines(text: str) -> dict[Loc, int]:
    """Where each part of a walkers file is written: top-level keys, each `[[walkers]]` table and its
    keys, and each waypoint's inline table (the line of its `{`). Brackets in strings and comments
    are skipped; a layout this does not follow only makes errors point at the enclosing table."""
    found: dict[Loc, int] = {}
    walker, depth, waypoint = -1, 0, -1
    key: Loc = ()
    for lineno, line in enumerate(text.splitlines(), start=1):
        if depth == 0:
            if _WALKERS_HEADER.match(line):
                walker += 1
                found.setdefault(("walkers",), lineno)
                found[("walkers", walker)] = lineno
                continue
            named = _KEY.match(line)
            if named:
                key = (("walkers", walker) if walker >= 0 else ()) + (named.group(1),)
                found[key] = lineno
                waypoint = -1
        for char in _code_of(line):
            if char in "[{":
                depth += 1
                if char == "{" and depth == 2 and key[-1:] == ("waypoints",):
                    waypoint += 1
                    found[(*key, waypoint)] = lineno
            elif char in "]}":
                depth = max(0, depth - 1)
    return found


def _code_of(line: str) -> str:
    """The line without its strings and comment (single-line strings, as a walkers file has)."""
    code, quote, escaped = [], "", False
    for char in line:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':  # only basic strings have escapes
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        else:
            code.append(char)
    return "".join(code)


def to_toml(scenario: Scenario) -> str:
    """The scenario as a walkers file: what `load_walkers` reads back as the same scenario."""
    out = [f"duration_s = {scenario.duration_s!r}"]
    for walker in scenario.walkers:
        out += ["", "[[walkers]]"]
        if walker.name:
            out.append(f"name = {json.dumps(walker.name)}")  # a JSON string is a TOML basic string
        out.append("waypoints = [")
        out += [f"    {{ t_s = {t!r}, x_m = {x!r}, y_m = {y!r} }}," for t, x, y in walker.points]
        out.append("]")
    return "\n".join(out) + "\n"
