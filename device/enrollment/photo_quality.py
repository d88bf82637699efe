"""Is an enrollment photo good enough to make a template from? Pure measures on the detected face."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from device.recognition.faces import Box, Image

# dlib's recognition model encodes the face from a 150x150 chip, so sharpness is measured on the face
# resized to that size: a 4000 px photo and a 400 px one are judged by the detail the encoder sees.
SHARPNESS_SIZE_PX = 150

# Variance of the Laplacian of that 150x150 grey chip. Measured with the enrollment detector
# (HOG, 800 px wide, upsample 1): the 61 single-face photos of faces-dev score 102.7 at the least
# (median 445.5), Grace Hopper 930, the astronaut's head 139. The same 63 photos blurred with a Gaussian
# of sigma 1.5 px at chip scale (which moves the template by 0.19 in the median, two fifths of the 0.5
# tolerance) score 40.5 at the most. 60 sits between the two (their geometric mean is 64), 1.7x below
# the least sharp real photo.
MIN_SHARPNESS = 60.0

# The face's height in the original photo. Below ~80 px (the window of dlib's HOG detector) the encoder's
# 150 px chip is mostly interpolation: a desk photo can always be taken closer.
MIN_FACE_HEIGHT_PX = 80


def face_height(box: Box) -> int:
    return max(0, box.height)


def sharpness(image: Image, box: Box) -> float:
    """Variance of the Laplacian of the face, in grey, resized to SHARPNESS_SIZE_PX square."""
    crop = image[max(0, box.top) : box.bottom, max(0, box.left) : box.right]
    if crop.shape[0] < 2 or crop.shape[1] < 2:
        return 0.0
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    shrinking = grey.shape[0] > SHARPNESS_SIZE_PX
    chip = cv2.resize(
        grey,
        (SHARPNESS_SIZE_PX, SHARPNESS_SIZE_PX),
        interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC,
    )
    return float(np.var(cv2.Laplacian(chip, cv2.CV_64F)))


@dataclass(frozen=True, slots=True)
class PhotoQuality:
    face_height_px: int
    sharpness: float

    @property
    def problem(self) -> str | None:
        """Why the photo cannot be used, phrased for the person at the enrollment desk; None if usable."""
        if self.face_height_px < MIN_FACE_HEIGHT_PX:
            return (
                f"the face is too small ({self.face_height_px} px tall, at least {MIN_FACE_HEIGHT_PX} px "
                "needed); take the photo closer to the customer or at a higher resolution"
            )
        if self.sharpness < MIN_SHARPNESS:
            return (
                f"the face is blurred (sharpness {self.sharpness:.0f}, at least {MIN_SHARPNESS:.0f} needed); "
                "hold the camera still, focus on the face and take the photo again"
            )
        return None


def assess(image: Image, box: Box) -> PhotoQuality:
    return PhotoQuality(face_height(box), sharpness(image, box))
