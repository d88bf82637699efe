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

    @staticmethod
    def _next_header(buffer: bytearray, start: int, ahead: dict[bytes, int]) -> int:
        """The first header at or after `start`. `ahead` remembers where each header occurs next, so a
        header that never appears (an ACK on a data stream) is not searched for again at every frame."""
        best = -1
        for header, at in ahead.items():
            if 0 <= at < start:
                at = ahead[header] = buffer.find(header, start)
            if at >= 0 and (best < 0 or at < best):
                best = at
        return best

    def feed(self, data: bytes) -> list[Reading]:
        buffer = self._buffer
        buffer += data
        readings: list[Reading] = []
        # Walk an offset through the buffer and trim it once at the end: trimming the front after
        # every frame would make a large feed cost quadratic time.
        pos, end, longest = 0, len(buffer), self.max_frame_length
        ahead = {header: buffer.find(header) for header in self.headers}
        frozen = bytes(buffer)  # one copy per feed; slicing it then copies each frame only once
        while pos < end:
            start = self._next_header(buffer, pos, ahead)
            if start < 0:
                # Keep a tail that could be the beginning of a header split across two reads.
                keep = max(len(h) for h in self.headers) - 1
                cut = max(pos, end - keep)
                self.bytes_discarded += cut - pos
                pos = cut
                break
            self.bytes_discarded += start - pos
            pos = start
            verdict = self.decode(frozen[pos : pos + longest])
            if verdict == NEED_MORE:
                if end - pos >= longest:  # a decoder bug must not stall the stream
                    self.bad_frames += 1
                    self.bytes_discarded += 1
                    pos += 1
                    continue
                break
            if not isinstance(verdict, Decoded):
                self.bad_frames += 1
                self.bytes_discarded += 1
                pos += 1
                continue
            pos += verdict.length
            if verdict.reading is None:
                self.bad_frames += 1
                self.bytes_discarded += verdict.length
                continue
            self.frames_ok += 1
            readings.append(verdict.reading)
        del buffer[:pos]
        return readings


class ShortFrameScanner(FrameScanner):
    """A faster `feed` for tiny fixed-length frames (ultrasonic rangers: 4 to 6 bytes), where the
    generic scanner's per-frame bookkeeping costs more than the decoding. Same contract, same counters:
    subclasses give `check(buffer, at) -> Reading | None | BAD` for the frame starting at `at`."""

    frame_length: int = 0

    def check(self, buffer: bytearray, at: int) -> Reading | Literal["bad"] | None:
        raise NotImplementedError

    def decode(self, buffer: bytes) -> Verdict:
        if len(buffer) < self.frame_length:
            return NEED_MORE
        verdict = self.check(bytearray(buffer), 0)
        if verdict == BAD:
            return BAD
        return Decoded(self.frame_length, verdict if not isinstance(verdict, str) else None)

    def feed(self, data: bytes) -> list[Reading]:
        buffer = self._buffer
        buffer += data
        readings: list[Reading] = []
        header, length, end, pos = self.headers[0], self.frame_length, len(buffer), 0
        ok = bad = discarded = 0
        while True:
            at = buffer.find(header, pos)
            if at < 0:
                discarded += end - pos
                pos = end
                break
            discarded += at - pos
            pos = at
            if end - at < length:
                break
            verdict = self.check(buffer, at)
            if verdict == BAD:
                bad += 1
                discarded += 1
                pos = at + 1
            elif verdict is None:
                bad += 1
                discarded += length
                pos = at + length
            else:
                ok += 1
                readings.append(verdict)
                pos = at + length
        del buffer[:pos]
        self.frames_ok += ok
        self.bad_frames += bad
        self.bytes_discarded += discarded
        return readings
