"""Reading the TOML config file, and turning validation failures into file:line: key messages."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from device.config import DEFAULT_CONFIG_PATH, Config

Loc = tuple[str | int, ...]


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
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, [f"{path}: cannot read config file: {exc.strerror or exc}"]) from exc
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _decode_error_line(str(exc))
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(path, [f"{where}: not valid TOML: {exc}"]) from exc
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        located = sorted((_describe(error, data, text) for error in exc.errors()), key=lambda item: item[0])
        raise ConfigError(path, [_phrase(path, line, message) for line, message in located]) from exc


def _phrase(path: Path, line: int, message: str) -> str:
    return f"{path}:{line}: {message}" if line else f"{path}: {message}"


def _decode_error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def _describe(error: Mapping[str, Any], data: Mapping[str, Any], text: str) -> tuple[int, str]:
    """(line or 0, "key: what is wrong and what was expected")."""
    loc = _data_path(tuple(error["loc"]), data)
    kind = error["type"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        loc = (*loc, str(error.get("ctx", {}).get("discriminator", "type")).strip("'"))
    key = ".".join(str(part) for part in loc) or "(top level)"
    return find_line(text, loc) or 0, _what(error, kind, key, loc, data)


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
    got = error.get("input")
    shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
    return f"{key}: {error['msg']}{shown}"


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
        nonlocal best
        n = len(candidate)
        if candidate == target[:n] and (best is None or n > best[0]):
            best = (n, lineno)

    for lineno, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            names: tuple[str | int, ...] = _split_key(header.group("name"))
            if header.group("array"):
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
