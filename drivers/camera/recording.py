"""A recorded video file as a camera: played in real time, as the camera that filmed it delivered it.

OpenCV decodes a file as fast as it can (hundreds of frames a second). Handed on like that, a
recording of a four-second visit is over in a fraction of a second: the recognition thread sees a
few of its frames, the tracker sees a person who crossed the door in no time, and no one is ever
checked in. Paced to the file's own frame rate, a recording replays a door as it happened.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

# A rate outside this is not a camera's: a container that does not know its rate says 0, some say 1000.
PLAUSIBLE_FPS = (1.0, 240.0)
# The rate assumed for a file that does not say its own and a config that sets none.
FALLBACK_FPS = 15.0


def plausible_fps(fps: float) -> bool:
    return math.isfinite(fps) and PLAUSIBLE_FPS[0] <= fps <= PLAUSIBLE_FPS[1]


def file_problem(path: Path) -> str | None:
    """Why `path` cannot be played, in a field engineer's words; None if it can be tried."""
    if not path.exists():
        return f"no such file: {path}"
    if path.is_dir():
        return f"a folder, not a video file: {path}"
    if not os.access(path, os.R_OK):
        return f"cannot read {path}: permission denied"
    return None


class Playback:
    """When each frame of a recording is due on the monotonic clock, and which frames a camera set to
    `max_fps` would not have taken. Frame `index` was filmed `index / file_fps` seconds in."""

    def __init__(self, file_fps: float, max_fps: float | None, started: float) -> None:
        self.period_s = 1.0 / file_fps
        # Only ever fewer frames than the file holds: frames that were never filmed cannot be shown.
        self._gap_s = 1.0 / max_fps if max_fps is not None and max_fps < file_fps else 0.0
        self._started = started
        self._next_kept_s = 0.0  # recording time of the next frame a `max_fps` camera would take

    def keeps(self, index: int) -> bool:
        at_s = index * self.period_s
        # Half a file period of tolerance: 30 -> 15 fps keeps every second frame despite rounding.
        if at_s < self._next_kept_s - self.period_s / 2:
            return False
        self._next_kept_s = max(self._next_kept_s + self._gap_s, at_s)
        return True

    def wait_s(self, index: int, now: float) -> float:
        """Seconds until frame `index` is due. A player that fell behind (a busy machine) starts again
        from now instead of bursting the frames it owes: a camera does not film faster to catch up."""
        late_s = now - (self._started + index * self.period_s)
        if late_s > self.period_s:
            self._started += late_s
            return 0.0
        return max(0.0, -late_s)
