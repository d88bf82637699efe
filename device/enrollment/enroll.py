"""Enrolling a consented customer from photos: templates are kept, the photos never are."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from device.domain import AuditRecord, Consent, Profile, Role
from device.enrollment.photo_quality import assess
from device.recognition.faces import FaceEngine, Template, read_bgr
from device.recognition.gallery import Gallery
from device.state.store import Store, Vectors

# Enrollment photos are often large; detecting at this width still finds faces down to ~40 px.
ENROLL_DETECT_WIDTH = 800
# One photo is one pose and one lighting; three (front, slightly left, slightly right) let the door match
# a customer who does not look straight at it.
RECOMMENDED_PHOTOS = 3
# The recognition tolerance (recognition.tolerance, default 0.5). Two templates of one customer farther
# apart than that would not recognise each other: the photos are probably of different people.
DEFAULT_TOLERANCE = 0.5
# face_recognition's own default tolerance, at which 4.9 % of strangers matched someone on real photos:
# a new customer this close to another is one the door could confuse with them.
LOOKALIKE_DISTANCE = 0.6


# Matching a probe proposes (most templates of any one customer + 17) candidates: an unbounded
# customer would slow every search. The central contract caps an upsert at 20 templates too.
MAX_TEMPLATES = 20


class EnrollmentError(Exception):
    """Why nothing was enrolled, phrased for the person at the enrollment desk: one line per problem."""


@dataclass(frozen=True, slots=True)
class Lookalike:
    customer_ref: str
    distance: float


@dataclass(frozen=True, slots=True)
class EnrollmentResult:
    customer_ref: str
    photos_used: int
    templates_total: int
    # Largest distance between any two templates of this customer (new and already held); None for one.
    max_pairwise_distance: float | None
    lookalike: Lookalike | None  # the nearest *other* customer, when closer than LOOKALIKE_DISTANCE
    warnings: tuple[str, ...] = ()
    recommendations: tuple[str, ...] = ()


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
    problem = assess(image, boxes[0]).problem
    if problem is not None:
        raise EnrollmentError(f"{photo}: {problem}")
    return engine.encode(image, boxes)[0]


def widest_pair(vectors: Vectors) -> tuple[float, int, int] | None:
    """The largest pairwise Euclidean distance and the two rows it is between; None below two rows."""
    rows = np.asarray(vectors, dtype=np.float64).reshape(-1, 128)
    pairs = [(float(np.linalg.norm(rows[i] - rows[j])), i, j) for i, j in combinations(range(len(rows)), 2)]
    return max(pairs) if pairs else None


def nearest_other_customer(store: Store, customer_ref: str, vectors: Vectors) -> Lookalike | None:
    """The consented customer, other than `customer_ref`, closest to any of `vectors`."""
    refs, held = store.gallery_rows()
    others = [i for i, ref in enumerate(refs) if ref != customer_ref]
    gallery = Gallery([refs[i] for i in others], held[others])
    matches = [match for vector in vectors if (match := gallery.nearest(vector)) is not None]
    if not matches:
        return None
    best = min(matches, key=lambda match: match.distance)
    return Lookalike(best.customer_ref, best.distance)


def _templates(engine: FaceEngine, photos: Sequence[Path]) -> list[Template]:
    """Every photo is checked, so the desk hears about all the bad ones at once."""
    templates: list[Template] = []
    problems: list[str] = []
    for photo in photos:
        try:
            templates.append(template_from_photo(engine, photo))
        except EnrollmentError as exc:
            problems.append(str(exc))
    if problems:
        raise EnrollmentError("\n".join(problems))
    return templates


def consent_audits(
    customer_ref: str, consent: Consent, event: str, role: Role = "customer"
) -> list[AuditRecord]:
    """The audit trail of a kiosk enrollment (or token issue): what was consented to, by which notice."""
    terms = f"notice {consent.notice_version}, purpose {consent.purpose}, scope {consent.scope}"
    terms += "; as staff" if role == "staff" else ""
    return [
        AuditRecord(event="consent_granted", customer_ref=customer_ref, actor="operator",
                    rule=terms, detail=f"channel {consent.channel}"),
        AuditRecord(event=event, customer_ref=customer_ref, actor="operator", rule=terms),
    ]  # fmt: skip


def enroll(
    store: Store,
    profile: Profile,
    consent: Consent,
    photos: Sequence[Path],
    engine: FaceEngine | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    role: Role = "customer",
) -> EnrollmentResult:
    """All photos must pass before anything is stored: a half-enrolled customer helps nobody."""
    if not photos:
        raise EnrollmentError("at least one photo is needed")
    held = store.templates_of(profile.customer_ref)
    if len(held) + len(photos) > MAX_TEMPLATES:
        raise EnrollmentError(
            f"{profile.customer_ref} already has {len(held)} template(s); at most {MAX_TEMPLATES} are kept "
            "per customer (the central service sends no more either): forget them and enroll afresh"
        )
    engine = engine or FaceEngine(detect_width=ENROLL_DETECT_WIDTH, upsample=1)
    new = np.stack(_templates(engine, photos))
    labels = [f"a template already held for {profile.customer_ref}"] * len(held) + [str(p) for p in photos]
    combined = np.concatenate([held, new])
    widest = widest_pair(combined)
    if widest is not None and widest[0] > tolerance:
        distance, i, j = widest
        raise EnrollmentError(
            f"{labels[i]} and {labels[j]} are {distance:.2f} apart, more than the recognition tolerance "
            f"({tolerance:.2f}): they are probably not the same person; check that every photo shows "
            "this customer"
        )
    lookalike = nearest_other_customer(store, profile.customer_ref, combined)
    if lookalike is not None and lookalike.distance >= LOOKALIKE_DISTANCE:
        lookalike = None
    total = store.enroll(
        profile,
        consent,
        new,
        audits=consent_audits(profile.customer_ref, consent, "enrollment", role),
        role=role,
    )
    warnings: list[str] = []
    if lookalike is not None:
        warnings.append(
            f"{profile.customer_ref} looks like existing customer {lookalike.customer_ref} "
            f"(distance {lookalike.distance:.2f}, below {LOOKALIKE_DISTANCE}): the door may confuse them; "
            "if they are the same person, keep one reference and forget the other"
        )
    recommendations: list[str] = []
    if total < RECOMMENDED_PHOTOS:
        recommendations.append(
            f"only {total} template(s) held for {profile.customer_ref}: enroll at least "
            f"{RECOMMENDED_PHOTOS} photos (front, slightly left, slightly right) for reliable recognition"
        )
    return EnrollmentResult(
        profile.customer_ref,
        len(new),
        total,
        None if widest is None else widest[0],
        lookalike,
        tuple(warnings),
        tuple(recommendations),
    )
