"""`branchdoor config check FOLDER`: a whole fleet's kiosk configs, checked centrally in one run.

Each `*.toml` under the folder is one kiosk (its own `<name>.d/` drop-ins over it, as on the kiosk),
either a whole config or, with `--template`, the branch's and kiosk's values over the bank's template.
Besides each file's own problems, what only the folder shows: two kiosks with the same (branch id,
device id), and kiosks of one branch disagreeing on a setting that must be branch-wide.

Host-local checks (device/runtime/preflight.py: the template key, secrets, state folder, video files)
read files of the kiosk's own machine: run centrally they would judge the checking machine, so they
are skipped, and said so, unless `--local` asks for them (a folder of this machine's configs).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from device.config import PLACEHOLDER_BRANCH_ID, Config
from device.config_file import ConfigError, Layer, located, read_layer, read_layers, validate
from device.config_merge import Loc

# What every kiosk of one branch must agree on, and why: they share the branch's broker, its floor
# and its teller screens.
BRANCH_WIDE: tuple[tuple[Loc, str], ...] = (
    (("mqtt", "host"), "the branch's broker"),
    (("mqtt", "port"), "the branch's broker"),
    (("mqtt", "topic_prefix"), "the topics the branch's screens read"),
    (("checkin", "dedup_window_s"), "one visit per branch, whatever the door"),
    (("cues", "screens"), "which zone each teller screen serves"),
    (("cues", "routes"), "which screens a customer's cue goes to"),
    (("floor", "width_m"), "the branch's floor plan"),
    (("floor", "depth_m"), "the branch's floor plan"),
    (("floor", "outline"), "the branch's floor plan"),
    (("floor", "zones"), "the branch's floor plan"),
    (("floor", "door_lines"), "the branch's door counts"),
    (("floor", "bin_s"), "the branch's floor history"),
    (("floor", "branch_merge"), "one floor per branch: a kiosk apart would publish a second one"),
)

SKIPPED_NOTE = (
    "host-local checks (template key, secrets, state folder, video files) not run: each kiosk runs them "
    "at every start (`config check`, the unit's ExecStartPre=); --local runs them here"
)


@dataclass
class Kiosk:
    source: Path
    layers: list[Layer] = field(default_factory=list)
    config: Config | None = None
    problems: list[str] = field(default_factory=list)


def kiosk_files(folder: Path, template: Path | None) -> list[Path]:
    """Every *.toml under `folder` but drop-ins (inside a <name>.d/) and the template itself."""
    skip = template.resolve() if template is not None else None
    found = []
    for path in sorted(folder.rglob("*.toml")):
        inside = path.relative_to(folder).parts[:-1]
        if any(part.endswith(".d") or part.startswith(".") for part in inside) or path.name.startswith("."):
            continue
        if path.resolve() != skip:
            found.append(path)
    return found


def check_folder(folder: Path, template: Path | None, local: bool) -> int:
    if template is not None:
        try:
            read_layer(template)  # broken once, broken for every kiosk: said once
        except ConfigError as exc:
            print("\n".join(exc.problems))
            return 1
    try:
        paths = kiosk_files(folder, template)
    except OSError as exc:  # a sub-folder this user may not list: a kiosk silently left out otherwise
        print(f"{exc.filename or folder}:1: cannot read folder: {exc.strerror or exc}")
        return 1
    kiosks = [_read(path, template, local) for path in paths]
    if not kiosks:
        print(f"{folder}: no kiosk configs (*.toml) in it")
        return 1
    _same_kiosk_twice(kiosks)
    _branch_wide_disagreements(kiosks)
    for kiosk in kiosks:
        if kiosk.config is not None and not kiosk.problems:
            branch = kiosk.config.branch
            print(f"{kiosk.source}: OK (branch {branch.id}, device {branch.device_id})")
        else:
            found = list(dict.fromkeys(kiosk.problems))  # a template's problem once, whoever found it
            print(f"{kiosk.source}: FAILED ({len(found)} problem{'s' * (len(found) > 1)})")
            print("\n".join(found))
    failed = sum(1 for kiosk in kiosks if kiosk.problems)
    branches = len({kiosk.config.branch.id for kiosk in kiosks if kiosk.config is not None})
    kiosks_of = f"{len(kiosks)} kiosk{'s' * (len(kiosks) != 1)} of {branches} branch{'es' * (branches != 1)}"
    print(f"{kiosks_of} in {folder}: {len(kiosks) - failed} OK, {failed} FAILED")
    if not local:
        print(SKIPPED_NOTE)
    return 1 if failed else 0


def _read(path: Path, template: Path | None, local: bool) -> Kiosk:
    from device.runtime.preflight import branch_problem, problems

    kiosk = Kiosk(path)
    try:
        kiosk.layers = read_layers(path, template)
        kiosk.config = validate(kiosk.layers, path)
    except ConfigError as exc:
        kiosk.problems = exc.problems
        return kiosk
    found = problems(kiosk.config) if local else [branch_problem(kiosk.config)]
    kiosk.problems = located(kiosk.layers, [(problem.key, problem.what) for problem in found if problem])
    return kiosk


def _same_kiosk_twice(kiosks: list[Kiosk]) -> None:
    by_identity: dict[tuple[str, str], list[Kiosk]] = defaultdict(list)
    for kiosk in kiosks:
        if kiosk.config is not None and kiosk.config.branch.id != PLACEHOLDER_BRANCH_ID:
            by_identity[(kiosk.config.branch.id, kiosk.config.branch.device_id)].append(kiosk)
    for (branch, device), same in by_identity.items():
        for kiosk in same if len(same) > 1 else ():
            others = ", ".join(str(other.source) for other in same if other is not kiosk)
            what = (
                f"branch {branch} has another kiosk with device id {device!r} ({others}): their claims, "
                "health and availability would be one kiosk's; give each door its own device_id"
            )
            kiosk.problems.extend(located(kiosk.layers, [(("branch", "device_id"), what)]))


def _branch_wide_disagreements(kiosks: list[Kiosk]) -> None:
    by_branch: dict[str, list[Kiosk]] = defaultdict(list)
    for kiosk in kiosks:
        if kiosk.config is not None and kiosk.config.branch.id != PLACEHOLDER_BRANCH_ID:
            by_branch[kiosk.config.branch.id].append(kiosk)
    for branch, members in by_branch.items():
        for key, why in BRANCH_WIDE:
            values = [_plain(_value(kiosk.config, key)) for kiosk in members]
            shown = [repr(value) for value in values]
            if len(set(shown)) < 2:
                continue
            # The branch's value is the one most of its kiosks hold (the first kiosk's on a tie).
            counts = Counter(shown)
            usual = max(range(len(shown)), key=lambda index: (counts[shown[index]], -index))
            holders = ", ".join(
                str(k.source) for k, text in zip(members, shown, strict=True) if text == shown[usual]
            )
            for kiosk, value, text in zip(members, values, shown, strict=True):
                if text == shown[usual]:
                    continue
                at, here, there = _first_difference(key, value, values[usual])
                what = (
                    f"must be the same on every kiosk of branch {branch} ({why}): {_cut(here)} here, "
                    f"{_cut(there)} in {holders}"
                )
                kiosk.problems.extend(located(kiosk.layers, [(at, what)]))


def _value(config: Config | None, key: Loc) -> Any:
    node: Any = config
    for part in key:
        node = getattr(node, str(part), None)
    return node


def _plain(value: Any) -> Any:
    """The value as the file would say it: sections as tables of their keys, lists item by item."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def _first_difference(at: Loc, here: Any, there: Any) -> tuple[Loc, str, str]:
    """Down to the first key or item where two values part: a door line's end, not the whole list."""
    if isinstance(here, dict) and isinstance(there, dict):
        for key in [*here, *(k for k in there if k not in here)]:
            if here.get(key) != there.get(key):
                return _first_difference((*at, key), here.get(key), there.get(key))
    tables = (
        isinstance(here, list) and isinstance(there, list) and all(isinstance(i, dict) for i in here + there)
    )
    if tables and len(here) == len(there):  # an array of tables; a point's coordinates are one value
        for index, (mine, theirs) in enumerate(zip(here, there, strict=True)):
            if mine != theirs:
                return _first_difference((*at, index), mine, theirs)
    return at, "unset" if here is None else repr(here), "unset" if there is None else repr(there)


def _cut(text: str) -> str:
    return f"{text[:60]}…" if len(text) > 60 else text
