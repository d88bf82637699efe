"""Reading the TOML config (a file and its drop-ins), and turning validation failures into
file:line: key messages, at the file that set the key."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import types
import typing
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from common.sections import InvalidKey
from device.config import DEFAULT_CONFIG_PATH, Config
from device.config_lines import MAX_NESTING, find_line, nesting_too_deep
from device.config_merge import Loc, dropin_folder, dropins, merge, setter

# A kiosk's config is a few KiB; more than this is not one (and would be read whole into memory).
MAX_CONFIG_BYTES = 1024 * 1024


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


@dataclass(frozen=True, slots=True)
class Layer:
    """One file of a kiosk's config: where it is, its text (for lines) and what it sets."""

    path: Path
    text: str
    data: dict[str, Any]


def load_config(path: Path) -> Config:
    """The file `path` with the drop-ins of the folder beside it (device/config_merge.py) over it."""
    return validate(read_layers(path), path)


def read_layers(path: Path, template: Path | None = None) -> list[Layer]:
    """`template` (if any), then `path`, then `path`'s drop-ins, each read and checked on its own: every
    file's problems at once, each at its own file and line."""
    paths = [template] if template is not None else []
    paths.append(path)
    try:
        paths.extend(dropins(path))
    except OSError as exc:
        folder = dropin_folder(path)
        raise ConfigError(path, [f"{folder}:1: cannot read drop-in folder: {exc.strerror or exc}"]) from exc
    layers: list[Layer] = []
    found: list[str] = []
    for each in paths:
        try:
            layers.append(read_layer(each))
        except ConfigError as exc:
            found.extend(exc.problems)
    if found:
        raise ConfigError(path, found)
    return layers


def read_layer(path: Path) -> Layer:
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
    return parse_layer(text, path)


def parse_layer(text: str, path: Path) -> Layer:
    data = _read_toml(text, path)
    strange = [
        _phrase(path, find_line(text, loc) or 1, message) for loc, message in _control_characters(data)
    ]
    if strange:
        raise ConfigError(path, strange)
    return Layer(path, text, data)


def parse_config(text: str, path: Path) -> Config:
    """One file alone, no drop-ins."""
    return validate([parse_layer(text, path)], path)


def validate(layers: Sequence[Layer], path: Path) -> Config:
    """The merged layers as a `Config`; each problem at the file and line of the layer that set it."""
    data = merge([layer.data for layer in layers])
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        described = [_describe(error, data) for error in exc.errors()]
        raise ConfigError(path, _in_layers(layers, described)) from exc


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


def located(layers: Sequence[Layer], problems: Sequence[tuple[Loc, str]]) -> list[str]:
    """`file:line: key: message` for problems found after the config was read (device/runtime/preflight.py),
    each at the line setting its key in the layer that set it, else its table's; in the files' order,
    as validation errors are."""
    described = []
    for loc, message in problems:
        key = ".".join(str(part) for part in loc)
        described.append((loc, f"{key}: {message}" if key else message))
    return _in_layers(layers, described)


def _in_layers(layers: Sequence[Layer], described: Sequence[tuple[Loc, str]]) -> list[str]:
    datas = [layer.data for layer in layers]
    placed = []
    for loc, message in described:
        index = setter(loc, datas)
        layer = layers[index]
        placed.append((index, find_line(layer.text, loc) or 1, message))
    return [_phrase(layers[index].path, line, message) for index, line, message in sorted(placed)]


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


def _describe(error: Mapping[str, Any], data: Mapping[str, Any]) -> tuple[Loc, str]:
    """(where in the merged config, "key: what is wrong and what was expected")."""
    at = error.get("ctx", {}).get("error")
    raw_loc = tuple(error["loc"]) + (at.at if isinstance(at, InvalidKey) else ())
    loc = _data_path(raw_loc, data)
    kind = error["type"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        loc = (*loc, str(error.get("ctx", {}).get("discriminator", "type")).strip("'"))
    key = ".".join(str(part) for part in loc) or "(top level)"
    return loc, _what(error, kind, key, loc, data)


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
