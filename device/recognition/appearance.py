"""Cheap per-detection measures: who looks like whom between frames, and which frames are worth encoding."""

from __future__ import annotations

import math

import cv2
import face_recognition
import numpy as np
import numpy.typing as npt

from device.recognition.faces import Box, Image

Signature = npt.NDArray[np.float32]
_SIDE = 48


def _face_crop(image: Image, box: Box) -> Image:
    return image[
        max(0, box.top) : max(box.top + 1, box.bottom), max(0, box.left) : max(box.left + 1, box.right)
    ]


def signature(image: Image, box: Box) -> Signature:
    """A hue/saturation histogram of the face: tells two people apart in the same spot for ~0.1 ms."""
    crop = cv2.resize(_face_crop(image, box), (_SIDE, _SIDE), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [16, 8], [0, 180, 0, 256])
    cv2.normalize(hist, hist, alpha=1.0, norm_type=cv2.NORM_L1)
    return np.asarray(hist, dtype=np.float32)


def dissimilarity(a: Signature, b: Signature) -> float:
    """Bhattacharyya distance: 0 for the same histogram, 1 for nothing in common."""
    return float(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))


def sharpness(image: Image, box: Box) -> float:
    """Variance of the Laplacian on the face at a fixed 64 px size: comparable across face sizes.

    Enrollment judges photos with photo_quality.sharpness on the encoder's 150 px chip; here it runs on
    every frame of a track and only ranks frames against each other, so the cheaper size serves."""
    gray = cv2.cvtColor(_face_crop(image, box), cv2.COLOR_BGR2GRAY)
    gray = cv2.resize(gray, (64, 64), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(gray, cv2.CV_32F).var())


def frontality(image: Image, box: Box) -> float:
    """1.0 for a face looking straight at the camera, towards 0 as the head turns (5-point landmarks)."""
    region = box.grown(0.2, image.shape[1], image.shape[0])
    crop = np.ascontiguousarray(cv2.cvtColor(_face_crop(image, region), cv2.COLOR_BGR2RGB))
    inner = (box.top - region.top, box.right - region.left, box.bottom - region.top, box.left - region.left)
    marks = face_recognition.face_landmarks(crop, [inner], model="small")
    if not marks:
        return 0.0
    points = marks[0]
    nose = np.asarray(points["nose_tip"][0], dtype=np.float64)
    left = np.mean(np.asarray(points["left_eye"], dtype=np.float64), axis=0)
    right = np.mean(np.asarray(points["right_eye"], dtype=np.float64), axis=0)
    to_left, to_right = float(np.linalg.norm(nose - left)), float(np.linalg.norm(nose - right))
    if to_left + to_right == 0 or math.isnan(to_left + to_right):
        return 0.0
    return 1.0 - abs(to_left - to_right) / (to_left + to_right)
