"""Matching a probe against the consented gallery: exact distances, per-customer minimum, second best."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from device.recognition.gallery import Gallery
from device.recognition.gallery_index import HalfPrecisionIndex
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


def clustered(customers: int, per_customer: int = 3, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Templates that behave like faces: each customer's close together, customers far apart."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 0.09, size=(customers, 128)).astype(np.float32)
    vectors = np.repeat(centres, per_customer, axis=0) + rng.normal(0, 0.02, (customers * per_customer, 128))
    return [f"C{i // per_customer}" for i in range(len(vectors))], vectors.astype(np.float32)


def brute_force(refs: list[str], vectors: np.ndarray, probe: np.ndarray) -> list[tuple[float, str]]:
    per: dict[str, float] = {}
    for ref, d in zip(refs, reference_distances(vectors, probe), strict=True):
        per[ref] = min(per.get(ref, np.inf), float(d))
    return sorted((d, ref) for ref, d in per.items())


@pytest.mark.parametrize("kind", ["enrolled", "stranger", "between two customers"])
def test_a_large_gallery_finds_exactly_the_best_and_second_best_customer(kind: str) -> None:
    refs, vectors = clustered(10_000)  # 30,000 templates: past the exact-scan limit, so indexed
    gallery = Gallery(refs, vectors)
    rng = np.random.default_rng(5)
    probe = {
        "enrolled": vectors[123] + rng.normal(0, 0.01, 128),
        "stranger": rng.normal(0, 0.09, 128),
        "between two customers": (vectors[30] + vectors[60]) / 2,
    }[kind].astype(np.float32)
    match = gallery.nearest(probe)
    truth = brute_force(refs, vectors, probe)
    assert match is not None
    assert match.customer_ref == truth[0][1]
    assert match.distance == pytest.approx(truth[0][0], abs=1e-4)
    assert match.second_distance == pytest.approx(truth[1][0], abs=1e-4)


def test_ordinary_probes_are_settled_by_the_index_without_a_full_scan() -> None:
    refs, vectors = clustered(10_000)
    gallery = Gallery(refs, vectors)
    rng = np.random.default_rng(11)
    for probe in [*vectors[::997] + 0.01, *rng.normal(0, 0.09, (20, 128))]:
        gallery.nearest(probe.astype(np.float32))
    assert gallery.full_scans == 0  # so the tests around this one exercise the index's proof


@pytest.mark.parametrize("seed", range(10))
def test_customers_closer_together_than_the_index_can_tell_are_still_ranked_exactly(seed: int) -> None:
    """Two hundred customers 1e-6 apart in distance from the probe, well inside the half-precision
    error: the index cannot rank them, so the proof must send the search to the exact comparison."""
    refs, vectors = clustered(8_000, seed=seed)
    rng = np.random.default_rng(seed)
    probe = rng.normal(0, 0.09, 128).astype(np.float32)
    for customer in range(200):
        direction = rng.normal(0, 1, 128)
        vectors[customer * 3] = probe + direction / np.linalg.norm(direction) * (0.45 + customer * 1e-6)
    order = rng.permutation(len(refs))  # the planted customers anywhere in the gallery
    refs, vectors = [refs[i] for i in order], vectors[order]
    truth = brute_force(refs, vectors, probe)
    match = Gallery(refs, vectors).nearest(probe)
    assert match is not None
    assert match.customer_ref == truth[0][1]
    assert match.second_distance == pytest.approx(truth[1][0], abs=5e-7)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([1e-6, 0.01, 0.1, 1.0, 4.0]))
def test_the_index_error_bound_holds_for_any_templates(seed: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    vectors = (rng.normal(0, scale, (500, 128)) * rng.uniform(0, 1, (500, 1))).astype(np.float32)
    probe = rng.normal(0, scale, 128).astype(np.float32)
    index = HalfPrecisionIndex(vectors)
    approximate, rows = index.nearest(probe, 500)
    exact = reference_distances(vectors[rows], probe)
    assert np.all(np.abs(approximate - exact) <= index.error)
