"""Presentation attacks for the door scene: a customer's photo held up to the camera, printed or on a phone.

Each attack is pre-composited into an image under a work folder and played as an ordinary scene
`Actor`, so the renderer needs nothing new:

- "print": the photo printed with a white margin, in print's duller colours, tilted by a few degrees,
  a thumb over one corner.
- "screen": the photo on a phone: a dark bezel with rounded corners, the picture brighter than the
  room (emissive), a fine sub-pixel grid that the camera's resampling turns into moire, a glare patch.

Held, it moves rigidly and keeps its size (it does not approach like a person), with a little drift.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Literal, Protocol

import cv2
import numpy as np

from drivers.camera.base import Image
from drivers.camera.scene import Actor, Pose, SceneScript

AttackKind = Literal["print", "screen"]
HOLD_S = 4.0
# The held picture's face, in frame pixels: close enough to the camera to be encoded (a person is named
# at ~80-120 px), not so close that its edge leaves the picture.
HELD_FACE_PX = (95.0, 130.0)
_FRAME_H = 480
_BACKGROUND = SceneScript.model_fields["background"].default
_PAPER = (236, 240, 242)
_BEZEL = (20, 20, 24)
_SKIN = (112, 142, 188)


class PhotoOfFace(Protocol):
    """`device.demo.doorset.FacePhoto`, or any photo with a head-and-shoulders crop."""

    @property
    def path(self) -> Path: ...
    @property
    def crop(self) -> tuple[int, int, int, int]: ...
    @property
    def face_fraction(self) -> float: ...


def attack_actors(
    photo: PhotoOfFace, kind: AttackKind, enter_s: float, rng: random.Random, workdir: Path
) -> list[Actor]:
    """The actor(s) that play one attack starting at `enter_s`; their images are written under `workdir`."""
    image = cv2.imread(str(photo.path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"{photo.path}: not an image OpenCV can read")
    left, top, right, bottom = photo.crop
    picture = np.ascontiguousarray(image[top:bottom, left:right], dtype=np.uint8)
    sprite, picture_rows = _printed(picture) if kind == "print" else _on_phone(picture, rng)
    sprite = _held(sprite, rng)
    # The face's share of the sprite's height, after the margin/bezel and the tilt's padding.
    face_fraction = photo.face_fraction * picture_rows / sprite.shape[0]
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"{kind}-{photo.path.stem}-{enter_s:.2f}.png"
    cv2.imwrite(str(path), sprite)
    height = rng.uniform(*HELD_FACE_PX) / (_FRAME_H * face_fraction)
    x, y = rng.uniform(0.35, 0.65), rng.uniform(0.45, 0.55)
    drift = 0.03
    return [
        Actor(
            photo=path,
            enter_s=enter_s,
            leave_s=enter_s + HOLD_S,
            start=Pose(x=x, y=y, height=height),
            end=Pose(
                x=x + rng.uniform(-drift, drift),
                y=y + rng.uniform(-drift, drift),
                height=height * rng.uniform(0.96, 1.04),
            ),
            blur_px=rng.uniform(0.0, 0.8),
        )
    ]


def _printed(picture: Image) -> tuple[Image, int]:
    # Ink cannot reach the screen's black or white: a print is a little flatter.
    flat = cv2.convertScaleAbs(picture, alpha=0.85, beta=18)
    margin = max(4, round(0.06 * picture.shape[0]))
    paper = cv2.copyMakeBorder(flat, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=_PAPER)
    return np.asarray(paper, dtype=np.uint8), picture.shape[0]


def _on_phone(picture: Image, rng: random.Random) -> tuple[Image, int]:
    # Emissive: brighter than the lit room around it.
    lit = cv2.convertScaleAbs(picture, alpha=1.15, beta=30).astype(np.float32)
    # The panel's sub-pixel stripes (R, G, B columns) with dark gaps between pixel rows.
    grid = np.full(lit.shape, 0.7, dtype=np.float32)
    for channel in range(3):
        grid[:, 2 - channel :: 3, channel] = 1.0  # BGR order: column 0 lights red
    grid[2::3, :, :] *= 0.8
    lit *= grid / 0.8
    # Glare: a soft bright patch where a ceiling light reflects.
    h, w = lit.shape[:2]
    cy, cx = rng.uniform(0.1, 0.6) * h, rng.uniform(0.2, 0.8) * w
    yy, xx = np.mgrid[0:h, 0:w]
    sigma = 0.12 * w
    lit += 110.0 * np.exp(-(((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma**2)))[:, :, np.newaxis]
    screen: Image = np.clip(lit, 0, 255).astype(np.uint8)
    side, end = max(4, round(0.05 * w)), max(6, round(0.1 * h))
    bordered = cv2.copyMakeBorder(screen, end, end, side, side, cv2.BORDER_CONSTANT, value=_BEZEL)
    phone = np.asarray(bordered, dtype=np.uint8)
    _round_corners(phone, radius=2 * side)
    return phone, h


def _round_corners(image: Image, radius: int) -> None:
    h, w = image.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    cv2.rectangle(mask, (radius, 0), (w - radius, h), 255, -1)
    cv2.rectangle(mask, (0, radius), (w, h - radius), 255, -1)
    for cx, cy in ((radius, radius), (w - radius, radius), (radius, h - radius), (w - radius, h - radius)):
        cv2.circle(mask, (cx, cy), radius, 255, -1)
    image[mask == 0] = _BACKGROUND


def _held(sprite: Image, rng: random.Random) -> Image:
    """Tilted by up to 3 degrees, with a thumb over a bottom corner, on the scene's background."""
    h, w = sprite.shape[:2]
    corner = (0.0, h) if rng.random() < 0.5 else (float(w), float(h))
    cv2.ellipse(
        sprite,
        (round(corner[0]), round(corner[1] - 0.04 * h)),
        (round(0.09 * w), round(0.05 * h)),
        rng.uniform(-30, 30),
        0,
        360,
        _SKIN,
        -1,
    )
    angle = rng.uniform(-3.0, 3.0)
    pad = round(0.06 * max(h, w))
    padded = cv2.copyMakeBorder(sprite, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=_BACKGROUND)
    centre = (padded.shape[1] / 2, padded.shape[0] / 2)
    turn = cv2.getRotationMatrix2D(centre, angle, 1.0)
    held = cv2.warpAffine(
        padded,
        turn,
        (padded.shape[1], padded.shape[0]),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=_BACKGROUND,
    )
    return np.asarray(held, dtype=np.uint8)
