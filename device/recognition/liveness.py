"""Is the face at the door a person, or a picture of one held up to the camera?

Two cheap signals, gathered per track on the frames the tracker already detects, with no model to
download and a few milliseconds per detection, only while a track is undecided:

- **A frame around the face.** A print has its paper margin, a phone its bezel: a thin uniform band
  between two straight parallel edges, at the same place around the face on every frame. A person has
  hair, ears and shoulders there, whose outlines are not straight lines along the face's whole side.
  Seen on at least three sides, on most of a track's frames: a picture ("spoof").
- **Growth.** Someone walking to the door grows in the picture; a picture held up at the door keeps its
  size. Growth is what makes a track "live"; a track that neither grows nor shows a frame within
  `SETTLE_S` is "unsure" (a person who stopped in the doorway, or a picture without a visible edge).

What the synthetic door scene cannot test: it renders genuine people as flat photos too, so parallax,
non-rigid motion, blinks, or a picture held without its edge in view (cropped to the face, or too close)
are beyond it; a picture walked towards the camera grows like a person, and only its frame betrays it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from device.recognition.faces import Box, Image

Liveness = Literal["live", "spoof", "unsure"]

# The face is resampled to this height, so every threshold below is in the same units at any distance.
_FACE_PX = 96
# How far from the face a picture's edge is looked for, in face heights (a head-and-shoulders print's
# edge is about one face height beyond the face box).
_REACH = 1.6
# A straight edge: along most of the face's side, the grey level steps by at least ~15 levels
# (3x3 Sobel of a 15-level step: 60; sensor noise alone stays under ~10).
_EDGE = 60.0
# A frame's band, between its two edges: this wide (in face heights), and flat: a paper margin or a bezel
# varies by little more than sensor noise (grey std ~1 in the attack scenes), while hair, a backdrop
# or clothes between two straight lines vary more (faces-dev's genuine visits: std 2-14, and never
# below 5 on three sides at once).
_BAND_MIN, _BAND_MAX = 0.05, 0.4
_BAND_STD = 5.0
# A picture tilted by a few degrees smears its edge over this many pixels (each way) along the side.
_TILT_PX = 2
# Grown by this much (late glimpses over early ones): approaching.
GROWTH = 1.3
# Glimpses needed before a track may be judged live or spoof.
MIN_GLIMPSES = 3
# After this long in view without growing or showing a frame, a track stays "unsure".
SETTLE_S = 1.5


def frame_sides(image: Image, box: Box) -> int:
    """On how many of the face's four sides a picture's frame (band between straight edges) is seen."""
    height, width = image.shape[:2]
    region = box.grown(_REACH, width, height)
    scale = _FACE_PX / max(1, box.height)
    crop = image[region.top : region.bottom, region.left : region.right]
    if crop.size == 0:
        return 0
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    # The face box in the resampled region, its sides trimmed by 10 % (a hand may hold a corner).
    top, bottom = (box.top - region.top) * scale, (box.bottom - region.top) * scale
    left, right = (box.left - region.left) * scale, (box.right - region.left) * scale
    trim_v, trim_h = 0.1 * (bottom - top), 0.1 * (right - left)
    rows = slice(round(top + trim_v), round(bottom - trim_v))
    cols = slice(round(left + trim_h), round(right - trim_h))
    across = np.abs(cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3))
    down = np.abs(cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3))
    # Each strip runs outwards from the face: rows of the strip are lines parallel to that side.
    strips = [
        (gray[rows, : round(left)][:, ::-1].T, across[rows, : round(left)][:, ::-1].T),
        (gray[rows, round(right) :].T, across[rows, round(right) :].T),
        (gray[: round(top), cols][::-1], down[: round(top), cols][::-1]),
        (gray[round(bottom) :, cols], down[round(bottom) :, cols]),
    ]
    return sum(_framed(levels, edges) for levels, edges in strips)


def _framed(levels: npt.NDArray[np.float32], edges: npt.NDArray[np.float32]) -> bool:
    """`levels`/`edges`: one line per distance from the face. True: two straight edges with a band between."""
    if levels.shape[0] < 4 or levels.shape[1] < 4:
        return False
    # A slightly tilted edge wanders a pixel or two from line to line: take each point's nearest maximum.
    kernel = np.ones((2 * _TILT_PX + 1, 1), np.uint8)
    straight = np.median(cv2.dilate(edges, kernel), axis=1)
    lines = np.flatnonzero(straight >= _EDGE)
    if lines.size < 2:
        return False
    # Runs of consecutive edge lines are one edge each; its position is the run's middle.
    breaks = np.flatnonzero(np.diff(lines) > 1)
    runs = np.split(lines, breaks + 1)
    for inner_run, outer_run in itertools.pairwise(runs):
        width = (float(outer_run.mean()) - float(inner_run.mean())) / _FACE_PX
        if not _BAND_MIN <= width <= _BAND_MAX:
            continue
        band = levels[int(inner_run.max()) + 1 : int(outer_run.min())]
        if band.size and float(band.std()) <= _BAND_STD:
            return True
    return False


@dataclass(frozen=True, slots=True)
class Glimpse:
    at: float
    face_px: int
    framed: bool


@dataclass
class LivenessEvidence:
    """What one track has shown so far; `verdict()` judges it, `settled()` says whether to wait for more."""

    glimpses: list[Glimpse] = field(default_factory=list)

    def add(self, image: Image, box: Box, at: float) -> None:
        self.glimpses.append(Glimpse(at, box.height, frame_sides(image, box) >= 3))

    def verdict(self) -> Liveness:
        seen = len(self.glimpses)
        framed = sum(g.framed for g in self.glimpses)
        if framed >= 2 and 2 * framed >= seen:
            return "spoof"
        if seen >= MIN_GLIMPSES and 4 * framed < seen and self._growth() >= GROWTH:
            return "live"
        return "unsure"

    def settled(self, now: float) -> bool:
        if not self.glimpses:
            return False
        return self.verdict() != "unsure" or now - self.glimpses[0].at >= SETTLE_S

    def _growth(self) -> float:
        # Two glimpses at each end: one detector box can be a tenth off the face's true size.
        early = sum(g.face_px for g in self.glimpses[:2]) / len(self.glimpses[:2])
        late = sum(g.face_px for g in self.glimpses[-2:]) / len(self.glimpses[-2:])
        return late / max(1.0, early)
