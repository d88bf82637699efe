"""Telling staff crossings from footfall: the door camera names a member of staff, the radars count a
door-line crossing, and the two are paired when they happen within a window of each other.

The camera faces people coming in, so only inbound crossings are paired; the naming may come before
the crossing (seen outside, then walking in) or after it (recognition took a second longer than the
radar's confirmation). Each naming claims at most one crossing and each crossing one naming, the
earliest unclaimed first. Nothing here knows who: a naming is a time, nothing more.
"""

from __future__ import annotations

from collections import deque

from device.floor.counting import LineCrossing


class StaffCrossings:
    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._namings: deque[float] = deque()  # staff named, no crossing paired yet
        self._crossings: deque[LineCrossing] = deque()  # inbound, counted as footfall, not yet paired

    def named(self, t: float) -> LineCrossing | None:
        """Staff named at the door at t: the crossing already counted as footfall that was theirs
        (the caller moves it to the staff count), or None, the naming then waiting for the next one."""
        self._forget_before(t - self.window_s)
        for crossing in self._crossings:
            if abs(crossing.t - t) <= self.window_s:
                self._crossings.remove(crossing)
                return crossing
        self._namings.append(t)
        return None

    def is_staff(self, crossing: LineCrossing) -> bool:
        """An inbound crossing at the door: True when a waiting staff naming claims it."""
        self._forget_before(crossing.t - self.window_s)
        for t in self._namings:
            if abs(crossing.t - t) <= self.window_s:
                self._namings.remove(t)
                return True
        self._crossings.append(crossing)
        return False

    def _forget_before(self, t: float) -> None:
        while self._namings and self._namings[0] < t:
            self._namings.popleft()
        while self._crossings and self._crossings[0].t < t:
            self._crossings.popleft()
