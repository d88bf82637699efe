"""Enrolling a consented customer from photos: templates are kept, the photos never are."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from device.events import Consent, Profile
from device.faces import FaceEngine, Template, read_bgr
from device.store import Store

# Enrollment photos are often large; detecting at this width still finds faces down to ~40 px.
ENROLL_DETECT_WIDTH = 800


class EnrollmentError(Exception):
    """A photo that cannot be used, phrased for the person at the enrollment desk."""


@dataclass(frozen=True, slots=True)
class EnrollmentResult:
    customer_ref: str
    photos_used: int
    templates_total: int


def template_from_photo(engine: FaceEngine, photo: Path) -> Template:
    image = read_bgr(photo)
    if image is None:
        raise EnrollmentError(f"{photo}: cannot read this file as an image")
    boxes = engine.detect(image)
    if not boxes:
        raise EnrollmentError(f"{photo}: no face found; use a clear, frontal photo of the customer")
    if len(boxes) > 1:
        raise EnrollmentError(
            f"{photo}: {len(boxes)} faces found; use a photo in which the customer is alone"
        )
    return engine.encode(image, boxes)[0]


def enroll(
    store: Store,
    profile: Profile,
    consent: Consent,
    photos: Sequence[Path],
    engine: FaceEngine | None = None,
) -> EnrollmentResult:
    """All photos must pass before anything is stored: a half-enrolled customer helps nobody."""
    if not photos:
        raise EnrollmentError("at least one photo is needed")
    engine = engine or FaceEngine(detect_width=ENROLL_DETECT_WIDTH, upsample=1)
    templates = [template_from_photo(engine, photo) for photo in photos]
    total = store.enroll(profile, consent, np.stack(templates))
    return EnrollmentResult(profile.customer_ref, len(templates), total)
