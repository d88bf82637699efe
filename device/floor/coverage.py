"""Why a period's floor data is missing or partial, in the words a branch manager reads.

The floor is stored a quarter hour (`bin_s`) at a time, once that quarter hour has ended; a bin also
says how long a sensor was reporting in it (`observed_s`). From that and what is stored around the
period, "no floor data" becomes the reason: the quarter hour still open, a period still to come,
sensors silent since a time, a daemon that was not running, records that start later. Pure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from device.floor.totals import FloorTotals

DASH = "\u2013"  # the en dash of a printed range of times


@dataclass(frozen=True, slots=True)
class StoredAround:
    """What the floor's tables hold around a period [since, until), as epoch seconds."""

    first_start: float | None  # the oldest stored bin
    last_end: float | None  # the end of the newest bin starting before `until`
    observed_end: float | None  # the end of the newest such bin in which a sensor reported
    next_start: float | None  # the first bin starting at or after `until`
    kept_open: float | None  # a quarter hour the daemon kept open when it last stopped


def moment(t: float) -> str:
    """ "Thu 3 December 2026 14:15", local time."""
    local = datetime.fromtimestamp(t)
    return f"{local:%a} {local.day} {local:%B %Y} {local:%H:%M}"


def whole_bins(since: float, until: float, bin_s: int) -> tuple[float, float]:
    """The period widened to whole bins: the floor is stored by quarter hour, never in parts of one."""
    return math.floor(since / bin_s) * bin_s, math.ceil(until / bin_s) * bin_s


def _quarter(start: float, bin_s: int) -> str:
    return f"{datetime.fromtimestamp(start):%H:%M}{DASH}{datetime.fromtimestamp(start + bin_s):%H:%M}"


def open_bin(now: float, bin_s: int) -> float:
    """The start of the bin still accumulating at `now`."""
    return math.floor(now / bin_s) * bin_s


def why_empty(
    since: float, until: float, now: float, bin_s: int, totals: FloorTotals, around: StoredAround
) -> str:
    """The reason [since, until) has no floor data (no bin, or only bins no sensor reported in)."""
    running = open_bin(now, bin_s)
    reasons: list[str] = []
    if since >= now:
        reasons.append(f"the period has not begun yet: it starts {moment(since)}")
    elif since >= running:
        reasons.append(
            f"the quarter hour {_quarter(running, bin_s)} is still open: its floor data is stored when it "
            "ends (within half a minute)"
        )
    elif around.first_start is None and around.kept_open is None:
        reasons.append(
            "the floor has stored nothing yet: the daemon stores each quarter hour once it has ended, "
            "when it runs with a [floor] plan"
        )
    elif around.first_start is not None and around.first_start >= until:
        reasons.append(f"the floor's records start {moment(around.first_start)}, after this period")
    elif totals.bins and around.observed_end is None:
        reasons.append(
            "no floor sensor has ever reported: the daemon ran, but its sensors sent nothing it could "
            "place (check each one with `branchdoor sensors read`)"
        )
    elif around.observed_end is not None and around.last_end is not None:
        reasons.append(f"no floor sensor has reported since {moment(around.observed_end)}")
        if around.last_end > since:  # it stored this period's quarter hours, each of them silent
            reasons.append("the daemon was running: check each sensor with `branchdoor sensors read`")
        else:
            reasons.append(
                f"the daemon has stored nothing since {moment(around.last_end)}: was it running, with its "
                "[floor] plan?"
            )
    if around.kept_open is not None and since < around.kept_open + bin_s and around.kept_open < until:
        reasons.append(
            f"the quarter hour {_quarter(around.kept_open, bin_s)} was still open when the daemon last "
            "stopped: it is stored when the daemon starts again"
        )
    if around.next_start is not None and since < now and not totals.bins:
        reasons.append(f"the records go on from {moment(around.next_start)}")
    if not reasons:
        reasons.append("no floor sensor reported in this period")
    return "; ".join(reasons)


def partial_notes(since: float, until: float, now: float, bin_s: int, around: StoredAround) -> list[str]:
    """What a map with data still leaves out of [since, until)."""
    notes = []
    running = open_bin(now, bin_s)
    if since <= running < until:
        notes.append(
            f"the quarter hour {_quarter(running, bin_s)} is still open and not on the map yet; "
            + (f"the period goes on until {moment(until)}" if until > running + bin_s else "")
        )
    if around.kept_open is not None and since <= around.kept_open < until:
        notes.append(
            f"the quarter hour {_quarter(around.kept_open, bin_s)} was still open when the daemon last "
            "stopped: it is added when the daemon starts again"
        )
    return [note.rstrip("; ") for note in notes]
