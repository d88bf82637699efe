"""`branchdoor config show`: the config a kiosk runs with, its template and drop-ins merged and every
default filled in, as TOML, each table under a comment naming the files that set it."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from device.config import Config
from device.config_file import Layer
from device.config_merge import origins

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def show(config: Config, layers: Sequence[Layer]) -> str:
    """TOML that `branchdoor config check` reads back as the same config."""
    where = origins([layer.data for layer in layers])
    out = [f"# The effective config: {', '.join(str(layer.path) for layer in layers)}, merged in this order."]
    for key, value in config.model_dump(mode="json", exclude_none=True).items():
        came_from = ", ".join(str(layers[index].path) for index in where.get(key, [])) or "defaults only"
        out.append("")
        out.append(f"# [{key}] from: {came_from}")
        if isinstance(value, list):
            out.extend(_array_of_tables(key, value))
        else:
            out.extend(_table(key, value))
    return "\n".join(out) + "\n"


def _array_of_tables(name: str, items: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = [] if items else [f"{_key(name)} = []"]
    for item in items:
        lines.append(f"[[{_key(name)}]]")
        lines.extend(f"{_key(key)} = {_inline(value)}" for key, value in item.items())
    return lines


def _table(name: str, table: dict[str, Any]) -> list[str]:
    lines = [f"[{name}]"]
    nested = {key: value for key, value in table.items() if isinstance(value, dict) and value}
    lines.extend(f"{_key(key)} = {_inline(value)}" for key, value in table.items() if key not in nested)
    for key, value in nested.items():
        lines.extend(_table(f"{name}.{_key(key)}", value))
    return lines


def _inline(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(key)} = {_inline(item)}" for key, item in value.items()) + "}"
    return repr(value)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)
