"""Matching a probe against the consented gallery: exact distances, per-customer minimum, second best."""

from __future__ import annotations

import numpy as np
import pytest

from device.gallery import Gallery
from tests.conftest import random_templates


def reference_distances(vectors: np.ndarray, probe: np.ndarray) -> np.ndarray:
    return np.asarray(np.linalg.norm(vectors.astype(np.float64) - probe.astype(np.float64), axis=1))


def test_empty_gallery_matches_nobody() -> None:
    assert Gallery.empty().nearest(random_templates(1)[0]) is None


def test_distances_equal_face_recognitions_definition() -> None:
    vectors = random_templates(50, seed=1)
    refs = [f"C{i}" for i in range(50)]
    probe = random_templates(1, seed=2)[0]
    match = Gallery(refs, vectors).nearest(probe)
    expected = reference_distances(vectors, probe)
    assert match is not None
    assert match.customer_ref == refs[int(np.argmin(expected))]
    assert match.distance == pytest.approx(float(np.min(expected)), abs=1e-4)
    assert match.second_distance == pytest.approx(float(np.sort(expected)[1]), abs=1e-4)


def test_a_customer_with_several_templates_counts_once_with_the_closest() -> None:
    vectors = random_templates(4, seed=3)
    # Templates interleaved on purpose: the gallery must group them by customer itself.
    refs = ["A", "B", "A", "B"]
    probe = vectors[2] + 0.01
    match = Gallery(refs, vectors).nearest(probe)
    assert match is not None and match.customer_ref == "A"
    assert match.distance == pytest.approx(float(np.linalg.norm(probe - vectors[2])), abs=1e-4)
    # Second best is the nearest *other customer*, never A's second template.
    b_best = min(np.linalg.norm(probe - vectors[1]), np.linalg.norm(probe - vectors[3]))
    assert match.second_distance == pytest.approx(float(b_best), abs=1e-4)


def test_single_customer_has_no_second_best() -> None:
    vectors = random_templates(2)
    match = Gallery(["A", "A"], vectors).nearest(vectors[0])
    assert match is not None and match.second_distance is None and match.distance < 1e-3


def test_membership_and_sizes() -> None:
    gallery = Gallery(["A", "B", "A"], random_templates(3))
    assert len(gallery) == 2 and gallery.template_count == 3
    assert "A" in gallery and "C" not in gallery


def test_refs_and_vectors_must_pair_up() -> None:
    with pytest.raises(ValueError, match="one customer reference per template"):
        Gallery(["A"], random_templates(2))
