"""`config check` on the shipped config, mutated every way a hand, an editor or a disk can: the answer is
OK or `file:line: ...` lines, never a traceback (issue #14: 40 of 300 mutations crashed it)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from device.cli import main
from tests.conftest import REPO

# (kind, where, what): see `mutate`.
Change = tuple[Any, ...]
SHIPPED = (REPO / "config" / "branchdoor.toml").read_bytes()
LINES = SHIPPED.split(b"\n")
EXAMPLES = 300

# Values of every TOML type, and the ones that broke the check or the daemon after it.
VALUES = [
    b'"text"', b"''", b"0", b"-1", b"1.5", b"-0.0", b"true", b"[]", b'[1, "a"]', b"{}", b"{ a = 1 }",
    b"1979-05-27", b"07:32:00", b"1979-05-27T07:32:00Z", b"inf", b"-inf", b"nan", b"+nan", b"1e400",
    b"-1e400", b"9" * 40, b"0x" + b"f" * 64, b"9" * 5000, b'"\\u0000"', b'"a\\nb"', b'"\\u001b[2J"',
    b'"' + b"x" * 5000 + b'"', b'"\xc3\xa9"', b'"http://127.0.0.1@central.evil.example/"',
]  # fmt: skip
# Lines that open the optional parts of the file (tables the shipped file only shows in comments).
FRAGMENTS = [
    b"[central]", b"[[sensors]]", b"[floor]", b"[floor.placements.entrance-radar]", b"[[floor.zones]]",
    b"[scanner]", b"[mqtt.tls]", b'id = "x"', b'type = "ld2450"', b"[[cues.routes]]", b"[branch]",
    b"a.b.c = 1", b"[", b'"', b"'''", b"= 1",
]  # fmt: skip


def nested(depth: int, inline: bool) -> bytes:
    return b"{a=" * depth + b"1" + b"}" * depth if inline else b"[" * depth + b"]" * depth


def set_value(line: bytes, value: bytes) -> bytes:
    key, equals, _ = line.partition(b"=")
    return key + equals + b" " + value if equals else line + b" = " + value


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, len(SHIPPED) - 1), st.integers(1, 255)),
    st.tuples(st.just("delete"), st.integers(0, len(LINES) - 1)),
    st.tuples(st.just("duplicate"), st.integers(0, len(LINES) - 1), st.integers(0, len(LINES) - 1)),
    st.tuples(st.just("uncomment"), st.integers(0, len(LINES) - 1)),
    st.tuples(st.just("value"), st.integers(0, len(LINES) - 1), st.sampled_from(VALUES)),
    st.tuples(st.just("nest"), st.integers(0, len(LINES) - 1), st.integers(1, 600), st.booleans()),
    st.tuples(st.just("insert"), st.integers(0, len(LINES) - 1), st.sampled_from(FRAGMENTS)),
    st.tuples(st.just("bytes"), st.integers(0, len(SHIPPED)), st.binary(min_size=1, max_size=4)),
)


def mutate(text: bytes, change: Change) -> bytes:
    kind, at, *rest = change
    lines = text.split(b"\n")
    line = at % len(lines)
    if kind == "flip":
        position = at % len(text)
        return text[:position] + bytes([text[position] ^ rest[0]]) + text[position + 1 :]
    if kind == "bytes":
        position = at % (len(text) + 1)
        return text[:position] + bytes(rest[0]) + text[position:]
    if kind == "delete":
        del lines[line]
    elif kind == "duplicate":
        lines.insert(rest[0] % len(lines), lines[line])
    elif kind == "uncomment":
        lines[line] = lines[line].lstrip(b"# ")
    elif kind == "value":
        lines[line] = set_value(lines[line], rest[0])
    elif kind == "nest":
        lines[line] = set_value(lines[line], nested(rest[0], rest[1]))
    elif kind == "insert":
        lines.insert(line, rest[0])
    return b"\n".join(lines)


def assert_answered(path: Path, code: int, out: str, err: str) -> None:
    """Exactly OK, or one or more `file:line: ` lines, each line of the file that exists."""
    assert "Traceback" not in out + err
    if code == 0:
        assert re.fullmatch(rf"{re.escape(str(path))}: OK \(branch .*\)\n", out) and err == "", (out, err)
        return
    assert code == 1 and out == "", (code, out)
    problems = err.splitlines()
    assert problems, "refused without a word"
    last_line = max(1, len(path.read_bytes().splitlines()))
    for problem in problems:
        match = re.match(rf"{re.escape(str(path))}:(\d+): \S", problem)
        assert match, f"not file:line: ...: {problem!r}"
        assert 1 <= int(match.group(1)) <= last_line, problem


@settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same examples on every run and every machine
    database=None,
    deadline=None,  # a loaded machine is slow, never wrong
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=st.lists(mutation, min_size=1, max_size=3))
def test_a_mutated_shipped_config_is_answered_never_crashed(
    changes: list[Change], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SHIPPED
    for change in changes:
        text = mutate(text, change)
    path = tmp_path / "branchdoor.toml"
    path.write_bytes(text)
    capsys.readouterr()
    code = main(["config", "check", str(path)])
    out, err = capsys.readouterr()
    assert_answered(path, code, out, err)


@pytest.mark.parametrize(
    "change",
    [
        ("bytes", SHIPPED.index(b"door-1"), b"\xff"),  # not UTF-8
        ("nest", LINES.index(b"holidays = []"), 500, False),  # was a RecursionError
        ("value", LINES.index(b"outbox_budget_mb = 200.0"), b"inf"),  # passed, then run died
        # An error of the whole config (a sensor but no floor plan), once without a line.
        ("insert", len(LINES) - 1, b'[[sensors]]\nid = "radar"\ntype = "ld2450"\nport = "/dev/ttyUSB0"'),
        ("value", LINES.index(b"width = 640"), b"9" * 5000),  # more digits than Python converts
    ],
)
@pytest.mark.subprocess
def test_config_check_as_a_command_answers_with_a_line(change: Change, tmp_path: Path) -> None:
    path = tmp_path / "branchdoor.toml"
    path.write_bytes(mutate(SHIPPED, change))
    done = subprocess.run(
        [sys.executable, "-m", "device", "config", "check", str(path)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert_answered(path, done.returncode, done.stdout, done.stderr)


@pytest.mark.subprocess
def test_the_shipped_config_itself_is_ok(tmp_path: Path) -> None:
    """As a file; what it still asks of a kiosk (its branch id) is tests/device/cli/test_config_check.py's."""
    shipped = str(REPO / "config" / "branchdoor.toml")
    done = subprocess.run(
        [sys.executable, "-m", "device", "config", "check", "--file-only", shipped],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0
    assert_answered(REPO / "config" / "branchdoor.toml", 0, done.stdout, done.stderr)
