"""The resynchronising scanner every binary parser shares: find a header, decode, or skip a byte.

Subclasses only say what their headers are and how to decode one frame that starts at offset 0.
The scanner guarantees the rest: junk, truncated frames and corrupted bytes cost at most the frame
they hit, nothing is ever raised, and every byte fed is accounted for:
    fed = bytes in good frames + bytes_discarded + bytes still buffered.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

from drivers.serial.readings import Reading


@dataclass(frozen=True, slots=True)
class Decoded:
    """A frame's verdict. `reading` None means the frame was well delimited but its values were
    out of range: all `length` bytes are dropped (the boundaries are trusted, the content is not)."""

    length: int
    reading: Reading | None


NEED_MORE: Literal["need more"] = "need more"  # the frame might still be valid once more bytes arrive
BAD: Literal["bad"] = "bad"  # not a frame after all: skip the header's first byte and search again
Verdict = Decoded | Literal["need more", "bad"]


class FrameScanner(ABC):
    headers: tuple[bytes, ...] = ()
    # The most bytes `decode` needs to decide: it is handed no more, so a large feed costs linear time
    # and a corrupted length field can never make the parser wait for kilobytes.
    max_frame_length: int = 0

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.frames_ok = 0
        self.bad_frames = 0
        self.bytes_discarded = 0

    @abstractmethod
    def decode(self, buffer: bytes) -> Verdict:
        """Decode the frame at the start of `buffer`, which begins with one of `headers`."""

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def _discard(self, count: int) -> None:
        del self._buffer[:count]
        self.bytes_discarded += count

    def _next_header(self) -> int:
        found = [i for i in (self._buffer.find(h) for h in self.headers) if i >= 0]
        return min(found) if found else -1

    def feed(self, data: bytes) -> list[Reading]:
        self._buffer += data
        readings: list[Reading] = []
        while self._buffer:
            start = self._next_header()
            if start < 0:
                # Keep a tail that could be the beginning of a header split across two reads.
                keep = max(len(h) for h in self.headers) - 1
                self._discard(max(0, len(self._buffer) - keep))
                break
            self._discard(start)
            verdict = self.decode(bytes(self._buffer[: self.max_frame_length]))
            if verdict == NEED_MORE:
                if len(self._buffer) >= self.max_frame_length:  # a decoder bug must not stall the stream
                    self.bad_frames += 1
                    self._discard(1)
                    continue
                break
            if not isinstance(verdict, Decoded):
                self.bad_frames += 1
                self._discard(1)
                continue
            if verdict.reading is None:
                self.bad_frames += 1
                self._discard(verdict.length)
                continue
            self.frames_ok += 1
            del self._buffer[: verdict.length]
            readings.append(verdict.reading)
        return readings
