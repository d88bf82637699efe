"""What `branchdoor demo` promises (the README shows it), and every way a run fell short of it.

Each figure is a hard check: a demo that saw the door count 1 of its 2 walkers, or greeted nobody,
must not say "demo OK". Each must be exact: two cues for one visit, or three walkers counted, are
as wrong as too few.
"""

from __future__ import annotations

from dataclasses import dataclass

PROMISED_DOOR = (2, 0)  # the emulated radar's two walkers come in, nobody leaves


@dataclass(frozen=True, slots=True)
class Seen:
    customer: str
    stranger: str
    cue_names: tuple[str, ...]  # the greeting name of every cue the teller screen received
    door: tuple[int, int] | None  # (in, out) of the last floor snapshot; None when none arrived
    uploaded: int  # check-ins the central service received
    availability: tuple[str, ...]
    exit_code: int


def shortfalls(seen: Seen) -> list[str]:
    """One line per promise broken, saying what was seen and what was promised; empty when all held."""
    found: list[str] = []
    if seen.exit_code != 0:
        found.append(f"daemon exit code: {seen.exit_code}, promised 0")
    if len(seen.cue_names) != 1 or seen.cue_names.count(seen.customer) != 1:
        names = ", ".join(seen.cue_names) or "none"
        found.append(
            f"cues received by the teller screen: {len(seen.cue_names)} ({names}), "
            f"promised 1 for {seen.customer}"
        )
    if seen.stranger in seen.cue_names:
        found.append(f"cues naming the stranger: {seen.cue_names.count(seen.stranger)}, promised 0")
    if seen.door != PROMISED_DOOR:
        shown = "no floor snapshot" if seen.door is None else f"in {seen.door[0]}, out {seen.door[1]}"
        promised = f"in {PROMISED_DOOR[0]}, out {PROMISED_DOOR[1]}"
        found.append(f"door counts from the emulated radar: {shown}, promised {promised}")
    if seen.uploaded != 1:
        found.append(f"check-ins received by the central service: {seen.uploaded}, promised 1")
    if seen.availability != ("online", "offline"):
        shown = " -> ".join(seen.availability) or "none"
        found.append(f"availability seen: {shown}, promised online -> offline")
    return found
