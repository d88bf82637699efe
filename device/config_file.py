"""Reading the TOML config file, and turning validation failures into file:line: key messages."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import types
import typing
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from common.sections import InvalidKey
from device.config import DEFAULT_CONFIG_PATH, Config

Loc = tuple[str | int, ...]

# A kiosk's config is a few KiB; more than this is not one (and would be read whole into memory).
MAX_CONFIG_BYTES = 1024 * 1024
# The deepest a setting nests is 2 (a zone's polygon); tomllib recurses once per level and would
# die of a RecursionError a few hundred levels down.
MAX_NESTING = 16


class ConfigError(Exception):
    """Every problem found in one config file, each already phrased for a field engineer."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def config_path(cli_value: str | None) -> Path:
    """`--config` wins, then BRANCHDOOR_CONFIG, then the packaged location under /etc."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get("BRANCHDOOR_CONFIG")
    return Path(env) if env else DEFAULT_CONFIG_PATH


def load_config(path: Path) -> Config:
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(path, [f"{path}:1: cannot read config file: {exc.strerror or exc}"]) from exc
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(path, [f"{path}:1: larger than {MAX_CONFIG_BYTES // 1024} KiB: not a config file"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        bad = raw[exc.start : exc.start + 1].hex()
        raise ConfigError(path, [f"{path}:{line}: not valid UTF-8 (byte 0x{bad}): save it as UTF-8"]) from exc
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    data = _read_toml(text, path)
    strange = [
        _phrase(path, find_line(text, loc) or 1, message) for loc, message in _control_characters(data)
    ]
    if strange:
        raise ConfigError(path, strange)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        located = sorted((_describe(error, data, text) for error in exc.errors()), key=lambda item: item[0])
        raise ConfigError(path, [_phrase(path, line, message) for line, message in located]) from exc


def _read_toml(text: str, path: Path) -> dict[str, Any]:
    deep = nesting_too_deep(text)
    if deep is not None:
        message = f"arrays and inline tables nested more than {MAX_NESTING} deep: no setting needs that"
        raise ConfigError(path, [_phrase(path, deep, message)])
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            path, [_phrase(path, _decode_error_line(str(exc), text), f"not valid TOML: {exc}")]
        ) from exc
    except ValueError as exc:  # an integer of more digits than Python converts (4300)
        line = _first_line_matching(text, _LONG_NUMBER)
        raise ConfigError(path, [_phrase(path, line, f"a number too long to read: {exc}")]) from exc
    except RecursionError as exc:  # the nesting check above should make this unreachable
        raise ConfigError(path, [_phrase(path, 1, "nested too deeply to read")]) from exc


def located(path: Path, text: str, problems: Sequence[tuple[Loc, str]]) -> list[str]:
    """`file:line: key: message` for problems found after the file was read (device/runtime/preflight.py),
    each at the line setting its key, else its table's; in the file's order, as validation errors are."""
    lines = []
    for loc, message in problems:
        key = ".".join(str(part) for part in loc)
        lines.append((find_line(text, loc) or 1, f"{key}: {message}" if key else message))
    return [_phrase(path, line, message) for line, message in sorted(lines, key=lambda item: item[0])]


def _phrase(path: Path, line: int, message: str) -> str:
    """One line per problem, whatever the file holds: control characters in keys or values are shown
    escaped, never written to the terminal or the journal as they are."""
    shown = "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode() for char in message
    )
    return f"{path}:{line}: {shown}"


def _decode_error_line(message: str, text: str) -> int:
    match = re.search(r"line (\d+)", message)
    if match:
        return int(match.group(1))
    if "end of document" in message:
        return max(1, len(text.splitlines()))
    return 1


_LONG_NUMBER = re.compile(r"\d{4300}")


def _first_line_matching(text: str, pattern: re.Pattern[str]) -> int:
    for lineno, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line):
            return lineno
    return 1


def _control_characters(data: dict[str, Any]) -> list[tuple[Loc, str]]:
    """Keys and strings holding a control character (TOML lets "\\u0000" in): no path, host or name
    has one, and a NUL in a path fails only when the daemon opens it."""
    found: list[tuple[Loc, str]] = []
    stack: list[tuple[Loc, Any]] = [((), data)]
    while stack:
        loc, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if _has_control(key):
                    name = ".".join(str(part) for part in (*loc, key))
                    found.append(((*loc, key), f"{name}: control character in a key name"))
                stack.append(((*loc, key), value))
        elif isinstance(node, list):
            stack.extend(((*loc, index), item) for index, item in enumerate(node))
        elif isinstance(node, str) and _has_control(node):
            key = ".".join(str(part) for part in loc)
            found.append((loc, f"{key}: control character in a value; no setting holds one"))
    return sorted(found, key=lambda item: [str(part) for part in item[0]])


def _has_control(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def _describe(error: Mapping[str, Any], data: Mapping[str, Any], text: str) -> tuple[int, str]:
    """(line, "key: what is wrong and what was expected")."""
    at = error.get("ctx", {}).get("error")
    raw_loc = tuple(error["loc"]) + (at.at if isinstance(at, InvalidKey) else ())
    loc = _data_path(raw_loc, data)
    kind = error["type"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        loc = (*loc, str(error.get("ctx", {}).get("discriminator", "type")).strip("'"))
    key = ".".join(str(part) for part in loc) or "(top level)"
    return find_line(text, loc) or 1, _what(error, kind, key, loc, data)


def _what(error: Mapping[str, Any], kind: str, key: str, loc: Loc, data: Mapping[str, Any]) -> str:
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1], data)
        hint = ""
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            hint = f" (did you mean '{close[0]}'?)"
        expected = ", ".join(allowed) if allowed else "none"
        return f"{key}: unknown key{hint}; expected one of: {expected}"
    if kind == "missing":
        return f"{key}: required key is missing"
    return f"{key}: {error['msg']}{_shown(error.get('input'))}"


def _shown(got: Any) -> str:
    if isinstance(got, dict | list):
        return ""
    try:
        text = repr(got)
    except ValueError:  # an integer too long to print
        return " (got a number of more than 4300 digits)"
    return f" (got {text[:80]}…)" if len(text) > 80 else f" (got {text})"


def _data_path(loc: Loc, data: Any) -> Loc:
    """Drop the parts of pydantic's location that are not keys in the file (union tags, validators)."""
    kept: list[str | int] = []
    node: Any = data
    for part in loc:
        in_table = isinstance(node, dict) and part in node
        in_array = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_table or in_array:
            node = node[part]
            kept.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and part == loc[-1]:
            kept.append(part)  # a missing key: name it, point at its table
            break
    return tuple(kept)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    if isinstance(annotation, types.UnionType):
        return found
    return found


def _allowed_keys(table: Loc, data: Any) -> list[str]:
    model: type[BaseModel] = Config
    node: Any = data
    for part in table:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) else None
            continue
        node = node.get(part) if isinstance(node, dict) else None
        field = model.model_fields.get(part)
        if field is None:
            return []
        candidates = _models_in(field.annotation)
        if not candidates:
            return []
        model = _pick(candidates, node)
    return list(model.model_fields)


def _pick(candidates: list[type[BaseModel]], node: Any) -> type[BaseModel]:
    tag = node.get("type") if isinstance(node, dict) else None
    for candidate in candidates:
        type_field = candidate.model_fields.get("type")
        if type_field is not None and type_field.default == tag:
            return candidate
    return candidates[0]


_HEADER = re.compile(r"^\s*\[(?P<array>\[)?\s*(?P<name>[^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*(?P<key>[A-Za-z0-9_\-.\"' ]+?)\s*=")


def _split_key(raw: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in raw.split("."))


def find_line(text: str, loc: Loc) -> int | None:
    """The line where `loc` is set, or failing that the line of its closest enclosing table."""
    target = tuple(loc)
    array_index: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    best: tuple[int, int] | None = None  # (matched length, line)

    def consider(candidate: tuple[str | int, ...], lineno: int) -> None:
        # A line setting a.b.c also creates table a.b: it is where a.b is, if nothing closer is.
        nonlocal best
        n = min(len(candidate), len(target))
        if candidate[:n] == target[:n] and (best is None or n > best[0]):
            best = (n, lineno)

    for lineno, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            names: tuple[str | int, ...] = _split_key(header.group("name"))
            if header.group("array"):
                consider(names, lineno)  # the array itself is where its first table is
                index = array_index.get(names, -1) + 1
                array_index[names] = index
                names = (*names, index)
            table = names
            consider(table, lineno)
            continue
        key = _KEY.match(line)
        if key:
            consider((*table, *_split_key(key.group("key"))), lineno)
    return best[1] if best else None


def nesting_too_deep(text: str) -> int | None:
    """The line where arrays and inline tables nest deeper than MAX_NESTING, or None. Strings and
    comments are skipped, so brackets inside them do not count."""
    depth, line, i = 0, 1, 0
    while i < len(text):
        char = text[i]
        if char == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        if char in "\"'":
            quote = char * 3 if text.startswith(char * 3, i) else char
            end = _string_end(text, i + len(quote), quote)
            line += text.count("\n", i, end)
            i = end
            continue
        if char == "\n":
            line += 1
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return line
        elif char in "]}":
            depth = max(0, depth - 1)
        i += 1
    return None


def _string_end(text: str, start: int, quote: str) -> int:
    """Just past the string that opened before `start`; single-line strings end at the line's end."""
    i = start
    while True:
        end = text.find(quote, i)
        if len(quote) == 1:
            newline = text.find("\n", i)
            if newline >= 0 and (end < 0 or newline < end):
                return newline
        if end < 0:
            return len(text)
        backslashes = len(text[i:end]) - len(text[i:end].rstrip("\\"))
        if quote[0] == '"' and backslashes % 2 == 1:  # an escaped quote: the string goes on
            i = end + 1
            continue
        return end + len(quote)
