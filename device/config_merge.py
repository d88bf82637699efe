"""A kiosk's config in layers: the bank's central template, then the drop-in folder beside it.

/etc/branchdoor/branchdoor.toml is the template, identical on every kiosk; /etc/branchdoor/branchdoor.d/
holds this branch's and this kiosk's values (branch id, device id, broker host, sensors...), merged
over it in lexical order of their names, as systemd drop-ins and Mosquitto's include_dir are. Tables
merge key by key; anything else a later layer sets (a value, an array, an array of tables such as
[[sensors]]) replaces the earlier one whole: two halves of a sensor list would be no kiosk's list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

Loc = tuple[str | int, ...]

DROPIN_SUFFIX = ".toml"


def dropin_folder(path: Path) -> Path:
    """branchdoor.toml -> branchdoor.d beside it (kiosk-0427.toml -> kiosk-0427.d)."""
    return path.with_name(f"{path.stem}.d")


def dropins(path: Path) -> list[Path]:
    """The drop-ins merged over `path`, in the order they apply; none when the folder is absent.
    Editor leftovers (.name.toml.swp, name.toml~, name.toml.dpkg-old) do not end in .toml and are
    skipped, as are hidden files. OSError other than an absent folder (a file of that name, a folder
    the daemon may not read) is the caller's to report: values silently missing are a kiosk of
    another branch."""
    folder = dropin_folder(path)
    try:
        names = [entry.name for entry in folder.iterdir()]
    except FileNotFoundError:
        return []
    wanted = (name for name in sorted(names) if name.endswith(DROPIN_SUFFIX) and not name.startswith("."))
    return [folder / name for name in wanted]


def merge(layers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = _merge_two(merged, layer)
    return merged


def _merge_two(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        earlier = merged.get(key)
        if isinstance(earlier, dict) and isinstance(value, dict):
            merged[key] = _merge_two(earlier, value)
        else:
            merged[key] = value
    return merged


def setter(loc: Loc, layers: Sequence[Mapping[str, Any]]) -> int:
    """The index of the layer that set the value at `loc` of the merged config: the last one holding
    it, unless an array or value above it was replaced whole by a later layer; for a key no layer
    sets (a missing one), the last layer holding the closest table around it; 0 when there is none."""
    candidates = list(range(len(layers)))
    nodes: list[Any] = list(layers)
    owner = 0
    for part in loc:
        holders = [index for index in candidates if _holds(nodes[index], part)]
        if not holders:
            break
        owner = holders[-1]
        for index in holders:
            nodes[index] = nodes[index][part]
        if not isinstance(nodes[owner], dict):
            candidates = [owner]  # replaced whole: what earlier layers held below here is gone
        else:
            # Tables merge, but a table replaces an earlier layer's value that was not one.
            later_than = max((i for i in holders if not isinstance(nodes[i], dict)), default=-1)
            candidates = [i for i in holders if i > later_than]
    return owner


def _holds(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def origins(layers: Sequence[Mapping[str, Any]]) -> dict[str, list[int]]:
    """Each top-level key of the merged config -> the layers that set any of it, in order (only the
    last when it is not a table, which replaced the others)."""
    found: dict[str, list[int]] = {}
    tables: set[str] = set()  # keys whose value so far is a table, which the next table merges with
    for index, layer in enumerate(layers):
        for key, value in layer.items():
            merges = isinstance(value, dict) and key in tables
            found[key] = [*found[key], index] if merges else [index]
            if isinstance(value, dict):
                tables.add(key)
            else:
                tables.discard(key)
    return found
