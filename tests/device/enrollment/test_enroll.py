"""Enrollment keeps templates, never photos, refuses photos it cannot trust, and tells the desk how
consistent the templates are and whom else the customer looks like."""

from __future__ import annotations

import re
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import cv2
import numpy as np
import pytest

from device.domain import Consent, Profile
from device.enrollment.enroll import MAX_TEMPLATES, EnrollmentError, enroll, template_from_photo, widest_pair
from device.recognition.faces import FaceEngine, read_bgr
from device.state.store import Store
from tests.device.labeled_faces import labeled_set
from tests.keys import CIPHER, privacy_section


def test_a_portrait_yields_one_template(engine: FaceEngine, grace_photo: Path) -> None:
    template = template_from_photo(engine, grace_photo)
    assert template.shape == (128,) and template.dtype == np.float32


def test_a_photo_with_two_faces_is_refused(engine: FaceEngine, astronaut_photo: Path) -> None:
    with pytest.raises(EnrollmentError, match="2 faces found"):
        template_from_photo(engine, astronaut_photo)


def test_a_photo_without_a_face_is_refused(engine: FaceEngine, tmp_path: Path) -> None:
    blank = tmp_path / "wall.png"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 128, np.uint8))
    with pytest.raises(EnrollmentError, match="no face found"):
        template_from_photo(engine, blank)


def test_an_unreadable_file_is_refused(engine: FaceEngine, tmp_path: Path) -> None:
    bogus = tmp_path / "photo.jpg"
    bogus.write_text("not an image")
    with pytest.raises(EnrollmentError, match="cannot read"):
        template_from_photo(engine, bogus)


def test_one_bad_photo_stores_nothing(
    engine: FaceEngine, grace_photo: Path, astronaut_photo: Path, tmp_path: Path
) -> None:
    store = Store(tmp_path / "s.db", CIPHER)
    with pytest.raises(EnrollmentError):
        enroll(store, Profile("C1", "Grace"), Consent("v1"), [grace_photo, astronaut_photo], engine)
    assert store.customer_count() == 0


def photo_variant(
    source: Path, folder: Path, name: str, *, mirror: bool = False, blur: float = 0.0, scale: float = 1.0
) -> Path:
    """A copy of a portrait, changed as a desk camera might change it, written to the test's tmp_path."""
    image = read_bgr(source)
    assert image is not None
    if mirror:
        image = np.asarray(cv2.flip(image, 1), dtype=np.uint8)
    if blur:
        image = np.asarray(cv2.GaussianBlur(image, (0, 0), blur), dtype=np.uint8)
    if scale != 1.0:
        image = np.asarray(
            cv2.resize(image, (0, 0), fx=scale, fy=scale, interpolation=cv2.INTER_AREA), np.uint8
        )
    path = folder / name
    cv2.imwrite(str(path), image)
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "state.db", CIPHER)


@pytest.fixture
def three_of_grace(grace_photo: Path, tmp_path: Path) -> list[Path]:
    """The portrait, its mirror image and a smaller copy: three takes of one face."""
    return [
        grace_photo,
        photo_variant(grace_photo, tmp_path, "mirrored.png", mirror=True),
        photo_variant(grace_photo, tmp_path, "smaller.png", scale=0.8),
    ]


# --- photo quality ----------------------------------------------------------------------------------


def test_a_blurred_photo_is_refused_and_nothing_is_stored(
    engine: FaceEngine, grace_photo: Path, tmp_path: Path, store: Store
) -> None:
    blurred = photo_variant(grace_photo, tmp_path, "blurred.jpg", blur=3.0)
    with pytest.raises(EnrollmentError, match=r"blurred\.jpg: the face is blurred"):
        enroll(store, Profile("C1", "Grace"), Consent("v1"), [grace_photo, blurred], engine)
    assert store.customer_count() == 0


def test_a_face_too_small_to_trust_is_refused(engine: FaceEngine, grace_photo: Path, tmp_path: Path) -> None:
    small = photo_variant(grace_photo, tmp_path, "small.png", scale=0.35)
    with pytest.raises(EnrollmentError, match=r"too small \(\d+ px tall, at least 80 px"):
        template_from_photo(engine, small)


def test_every_unusable_photo_is_named_at_once(
    engine: FaceEngine, grace_photo: Path, astronaut_photo: Path, tmp_path: Path, store: Store
) -> None:
    blurred = photo_variant(grace_photo, tmp_path, "blurred.jpg", blur=3.0)
    with pytest.raises(EnrollmentError) as refused:
        enroll(store, Profile("C1", "Grace"), Consent("v1"), [blurred, grace_photo, astronaut_photo], engine)
    problems = str(refused.value).splitlines()
    assert len(problems) == 2
    assert "blurred" in problems[0] and "2 faces found" in problems[1]


# --- how many photos --------------------------------------------------------------------------------


def test_one_photo_enrolls_with_a_recommendation_for_three(
    engine: FaceEngine, grace_photo: Path, store: Store
) -> None:
    result = enroll(store, Profile("C1", "Grace"), Consent("v1"), [grace_photo], engine)
    assert (result.photos_used, result.templates_total) == (1, 1)
    assert result.max_pairwise_distance is None
    assert len(result.recommendations) == 1 and "at least 3 photos" in result.recommendations[0]
    assert result.warnings == ()


def test_three_photos_need_no_recommendation(
    engine: FaceEngine, three_of_grace: list[Path], store: Store
) -> None:
    result = enroll(store, Profile("C1", "Grace"), Consent("v1"), three_of_grace, engine)
    assert result.templates_total == 3
    assert result.recommendations == ()


def test_re_enrollment_adds_templates_until_the_recommendation_is_met(
    engine: FaceEngine, three_of_grace: list[Path], store: Store
) -> None:
    totals, recommended = [], []
    for photo in three_of_grace:
        result = enroll(store, Profile("C1", "Grace"), Consent("v1"), [photo], engine)
        totals.append(result.templates_total)
        recommended.append(bool(result.recommendations))
    assert totals == [1, 2, 3]
    assert recommended == [True, True, False]
    assert len(store.templates_of("C1")) == 3


@pytest.mark.slow
def test_templates_per_customer_are_capped_before_any_photo_is_read(
    engine: FaceEngine, grace_photo: Path, store: Store
) -> None:
    enroll(store, Profile("C1", "Grace"), Consent("v1"), [grace_photo] * MAX_TEMPLATES, engine)
    with pytest.raises(EnrollmentError, match=f"already has {MAX_TEMPLATES} template"):
        enroll(store, Profile("C1", "Grace"), Consent("v1"), [Path("/nonexistent.jpg")], engine)
    assert len(store.templates_of("C1")) == MAX_TEMPLATES


# --- self-consistency -------------------------------------------------------------------------------


def test_the_spread_of_consistent_photos_is_reported(
    engine: FaceEngine, three_of_grace: list[Path], store: Store
) -> None:
    result = enroll(store, Profile("C1", "Grace"), Consent("v1"), three_of_grace, engine)
    templates = store.templates_of("C1")
    expected = max(float(np.linalg.norm(a - b)) for a in templates for b in templates)
    assert result.max_pairwise_distance == pytest.approx(expected, abs=1e-5)
    assert 0.0 < expected <= 0.5


def test_photos_of_two_people_under_one_reference_are_refused(
    engine: FaceEngine, grace_photo: Path, astronaut_head: Path, store: Store
) -> None:
    with pytest.raises(EnrollmentError, match="probably not the same person") as refused:
        enroll(store, Profile("C1", "Grace"), Consent("v1"), [grace_photo, astronaut_head], engine)
    assert grace_photo.name in str(refused.value) and astronaut_head.name in str(refused.value)
    assert store.customer_count() == 0


def test_re_enrolling_another_face_under_a_held_reference_is_refused(
    engine: FaceEngine, grace_photo: Path, astronaut_head: Path, store: Store
) -> None:
    enroll(store, Profile("C1", "Grace"), Consent("v1"), [grace_photo], engine)
    with pytest.raises(EnrollmentError, match=r"a template already held for C1 and .*astronaut_head"):
        enroll(store, Profile("C1", "Grace"), Consent("v2"), [astronaut_head], engine)
    assert len(store.templates_of("C1")) == 1


def test_the_consistency_limit_is_the_recognition_tolerance(
    engine: FaceEngine, three_of_grace: list[Path], store: Store
) -> None:
    spread = enroll(
        store, Profile("C1", "Grace"), Consent("v1"), three_of_grace, engine
    ).max_pairwise_distance
    assert spread is not None
    with pytest.raises(EnrollmentError, match="probably not the same person"):
        enroll(store, Profile("C2", "Grace"), Consent("v1"), three_of_grace, engine, tolerance=spread - 0.01)


# --- lookalikes -------------------------------------------------------------------------------------


def test_a_second_reference_for_the_same_face_warns_of_a_lookalike(
    engine: FaceEngine, grace_photo: Path, tmp_path: Path, store: Store
) -> None:
    enroll(store, Profile("C1", "Grace"), Consent("v1"), [grace_photo], engine)
    mirrored = photo_variant(grace_photo, tmp_path, "mirrored.png", mirror=True)
    result = enroll(store, Profile("C2", "Grace H."), Consent("v1"), [mirrored], engine)
    assert result.lookalike is not None and result.lookalike.customer_ref == "C1"
    assert result.lookalike.distance < 0.6
    assert len(result.warnings) == 1
    assert f"existing customer C1 (distance {result.lookalike.distance:.2f}" in result.warnings[0]
    assert store.customer_count() == 2, "a warning does not stop the enrollment"


def test_a_different_person_raises_no_lookalike_warning(
    engine: FaceEngine, grace_photo: Path, astronaut_head: Path, store: Store
) -> None:
    enroll(store, Profile("C1", "Grace"), Consent("v1"), [grace_photo], engine)
    result = enroll(store, Profile("C2", "Eileen"), Consent("v1"), [astronaut_head], engine)
    assert result.lookalike is None and result.warnings == ()


def test_a_customer_is_not_their_own_lookalike(engine: FaceEngine, grace_photo: Path, store: Store) -> None:
    enroll(store, Profile("C1", "Grace"), Consent("v1"), [grace_photo], engine)
    assert enroll(store, Profile("C1", "Grace"), Consent("v1"), [grace_photo], engine).lookalike is None


# --- on the labeled face set ------------------------------------------------------------------------


@pytest.mark.faces
def test_photos_of_two_different_people_are_never_consistent(face_data: Path) -> None:
    faces = labeled_set(face_data).faces
    accepted = [
        (a.path.name, b.path.name)
        for a, b in combinations(faces, 2)
        if a.identity != b.identity
        and (spread := widest_pair(np.stack([a.template, b.template]))) is not None
        and spread[0] <= 0.5
    ]
    assert not accepted


@pytest.mark.faces
def test_the_closest_strangers_in_the_labeled_set_are_flagged_as_lookalikes(
    face_data: Path, engine: FaceEngine, store: Store
) -> None:
    faces = labeled_set(face_data).faces
    distance, a, b = min(
        (float(np.linalg.norm(a.template - b.template)), a, b)
        for a, b in combinations(faces, 2)
        if a.identity != b.identity
    )
    if distance >= 0.6:
        pytest.skip(f"{face_data}: no two different people closer than 0.6 (closest {distance:.2f})")
    enroll(store, Profile(a.identity, "A"), Consent("v1"), [a.path], engine)
    result = enroll(store, Profile(b.identity, "B"), Consent("v1"), [b.path], engine)
    assert result.lookalike is not None and result.lookalike.customer_ref == a.identity
    assert result.lookalike.distance == pytest.approx(distance, abs=1e-4)


# --- the command line -------------------------------------------------------------------------------


@pytest.mark.subprocess
def test_cli_enroll_and_forget(grace_photo: Path, astronaut_photo: Path, tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text(
        f'[branch]\nid = "b1"\n[storage]\nstate_dir = "{tmp_path / "state"}"\n' + privacy_section(tmp_path)
    )

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command, *rest = args
        return subprocess.run(
            [sys.executable, "-m", "device", command, "--config", str(config), *rest],
            capture_output=True,
            text=True,
            timeout=120,
        )

    def enroll_cli(ref: str, *photos: Path) -> subprocess.CompletedProcess[str]:
        return cli(
            "enroll", "--customer", ref, "--name", "Grace", "--consent-version", "v1", *map(str, photos)
        )

    blurred = photo_variant(grace_photo, tmp_path, "blurred.jpg", blur=3.0)
    refused = enroll_cli("C9", astronaut_photo, blurred)
    assert refused.returncode == 1
    assert "nothing was stored" in refused.stderr
    assert "2 faces found" in refused.stderr and "blurred.jpg: the face is blurred" in refused.stderr

    done = enroll_cli("C1", grace_photo)
    assert done.returncode == 0, done.stderr
    assert "1 template(s) now held; the photos were not stored" in done.stdout
    assert "recommendation: only 1 template(s) held for C1: enroll at least 3 photos" in done.stdout
    db = tmp_path / "state" / "branchdoor.db"
    assert grace_photo.read_bytes()[:4096] not in db.read_bytes()

    mirrored = photo_variant(grace_photo, tmp_path, "mirrored.png", mirror=True)
    again = enroll_cli("C1", mirrored)
    assert again.returncode == 0, again.stderr
    assert "2 template(s) now held" in again.stdout
    assert re.search(r"self-consistency: largest distance between this customer's templates 0\.\d\d "
                     r"\(limit 0\.50\)", again.stdout)  # fmt: skip

    twin = enroll_cli("C2", mirrored)
    assert twin.returncode == 0, twin.stderr
    assert "warning: C2 looks like existing customer C1 (distance 0.0" in twin.stdout

    forgot = cli("forget", "C1")
    assert forgot.returncode == 0 and "forgot C1" in forgot.stdout
    assert Store(db).customer_count() == 1
