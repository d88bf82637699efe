"""Face detection and encoding: HOG on a reduced frame, templates from the full-resolution picture."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import face_recognition
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
HOG_WINDOW_PX = 80.0  # dlib's frontal face detector scans an 80x80 window
Template = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Box:
    """A face rectangle in full-frame pixels."""

    top: int
    right: int
    bottom: int
    left: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def iou(self, other: Box) -> float:
        inter = Box(
            max(self.top, other.top),
            min(self.right, other.right),
            min(self.bottom, other.bottom),
            max(self.left, other.left),
        )
        if inter.width <= 0 or inter.height <= 0:
            return 0.0
        union = self.area + other.area - inter.area
        return inter.area / union if union else 0.0

    def as_css(self) -> tuple[int, int, int, int]:
        return (self.top, self.right, self.bottom, self.left)

    def grown(self, factor: float, width: int, height: int) -> Box:
        """This box widened by `factor` of its size on every side, clipped to the frame."""
        dx, dy = int(self.width * factor), int(self.height * factor)
        return Box(
            top=max(0, self.top - dy),
            right=min(width, self.right + dx),
            bottom=min(height, self.bottom + dy),
            left=max(0, self.left - dx),
        )


def suppress_overlaps(boxes: list[Box], max_iou: float = 0.4) -> list[Box]:
    """One box per face when overlapping searches (a track's region, a motion scan) both found it."""
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: b.area, reverse=True):
        if all(box.iou(other) <= max_iou for other in kept):
            kept.append(box)
    return kept


def read_bgr(path: Path) -> Image | None:
    """A photo as a BGR image, or None when the file is missing or not an image."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return None if image is None else np.asarray(image, dtype=np.uint8)


class FaceEngine:
    """Wraps face_recognition (dlib). One instance per thread: dlib's models are not shared safely."""

    def __init__(self, detect_width: int = 320, upsample: int = 1) -> None:
        self.detect_width = detect_width
        self.upsample = upsample

    def detect(self, image: Image) -> list[Box]:
        height, width = image.shape[:2]
        scale = min(1.0, self.detect_width / width)
        small = (
            image
            if scale == 1.0
            else cv2.resize(image, (0, 0), fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        )
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        found = face_recognition.face_locations(rgb, number_of_times_to_upsample=self.upsample, model="hog")
        boxes = []
        for top, right, bottom, left in found:
            boxes.append(
                Box(
                    top=max(0, int(top / scale)),
                    right=min(width, int(right / scale)),
                    bottom=min(height, int(bottom / scale)),
                    left=max(0, int(left / scale)),
                )
            )
        return boxes

    def detect_region(self, image: Image, region: Box, min_face_px: float) -> list[Box]:
        """Faces of at least `min_face_px` inside `region` only: the cost follows the region's area.

        HOG's window is 80 px at upsample 0, so the crop is scaled by 80 / min_face_px.
        """
        if region.width < 8 or region.height < 8:
            return []
        scale = min(2.0, HOG_WINDOW_PX / max(min_face_px, 1.0))
        crop = image[region.top : region.bottom, region.left : region.right]
        if scale != 1.0:
            interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
            crop = np.asarray(cv2.resize(crop, (0, 0), fx=scale, fy=scale, interpolation=interpolation))
        rgb = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)
        found = face_recognition.face_locations(rgb, number_of_times_to_upsample=0, model="hog")
        height, width = image.shape[:2]
        return [
            Box(
                top=max(0, region.top + int(top / scale)),
                right=min(width, region.left + int(right / scale)),
                bottom=min(height, region.top + int(bottom / scale)),
                left=max(0, region.left + int(left / scale)),
            )
            for top, right, bottom, left in found
        ]

    def encode(self, image: Image, boxes: list[Box]) -> list[Template]:
        """128-d templates, one per box, computed from the full-resolution image."""
        if not boxes:
            return []
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        vectors = face_recognition.face_encodings(
            rgb, known_face_locations=[b.as_css() for b in boxes], num_jitters=1, model="small"
        )
        return [np.asarray(v, dtype=np.float32) for v in vectors]
