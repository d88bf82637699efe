"""The in-memory gallery of consented customers' templates and the vectorised nearest-customer search."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

# Up to this many templates every one is compared (memory-bound: ~0.5 ms for 30k on one core).
# Beyond, customers are first ranked by the mean of their templates and only the closest
# SHORTLIST customers are compared template by template: 100k customers stay under 5 ms. The
# shortcut is checked, not trusted: by the triangle inequality no customer left out can be nearer
# than (distance to their mean - radius of their templates). If one might beat the best, all are
# compared; otherwise that bound caps the second-best distance, which can only shrink the margin
# and so err towards not naming anyone.
EXACT_LIMIT = 20_000
SHORTLIST = 64
# Distances beyond this never name anyone (the config refuses tolerances above 0.55), so the
# shortlist need not be exact about customers who cannot come closer than this.
NAMING_HORIZON = 0.6


@dataclass(frozen=True, slots=True)
class Match:
    customer_ref: str
    distance: float
    second_distance: float | None  # nearest *other* customer: the margin that guards against lookalikes


def _squared_distances(vectors: Vectors, norms: Vectors, probe: Vectors) -> Vectors:
    squared = norms - 2.0 * (vectors @ probe) + float(probe @ probe)
    return np.maximum(squared, 0.0, out=squared)


class Gallery:
    """Immutable: a changed gallery is a new object swapped in whole; no search sees half an update."""

    def __init__(self, refs: list[str], vectors: Vectors) -> None:
        if len(refs) != len(vectors):
            raise ValueError("one customer reference per template")
        order = np.argsort(np.asarray(refs, dtype=object), kind="stable") if refs else np.zeros(0, dtype=int)
        sorted_refs = [refs[i] for i in order]
        self._vectors = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(-1, 128)[order])
        self._norms = np.einsum("ij,ij->i", self._vectors, self._vectors)
        # Rows are grouped by customer so a per-customer minimum is one reduceat call.
        self._customers: list[str] = []
        starts: list[int] = []
        for row, ref in enumerate(sorted_refs):
            if not self._customers or self._customers[-1] != ref:
                self._customers.append(ref)
                starts.append(row)
        self._starts = np.asarray(starts, dtype=np.intp)
        self._ends = np.append(self._starts[1:], len(self._vectors)).astype(np.intp)
        self._means: Vectors | None = None
        self._mean_norms: Vectors | None = None
        self._radii: Vectors | None = None
        if len(self._vectors) > EXACT_LIMIT:
            counts = (self._ends - self._starts).astype(np.float32)
            self._means = np.ascontiguousarray(np.add.reduceat(self._vectors, self._starts) / counts[:, None])
            self._mean_norms = np.einsum("ij,ij->i", self._means, self._means)
            owner = np.repeat(np.arange(len(self._customers)), self._ends - self._starts)
            spread = np.linalg.norm(self._vectors - self._means[owner], axis=1).astype(np.float32)
            self._radii = (np.maximum.reduceat(spread, self._starts) + 1e-4).astype(np.float32)

    def __len__(self) -> int:
        return len(self._customers)

    @property
    def template_count(self) -> int:
        return int(self._vectors.shape[0])

    def __contains__(self, customer_ref: object) -> bool:
        return customer_ref in self._customers

    @classmethod
    def empty(cls) -> Gallery:
        return cls([], np.zeros((0, 128), dtype=np.float32))

    def nearest(self, probe: Vectors) -> Match | None:
        """The closest customer to `probe` (Euclidean distance, as face_recognition defines it)."""
        if not self._customers:
            return None
        p = np.asarray(probe, dtype=np.float32).reshape(128)
        shortlisted = self._shortlisted(p)
        if shortlisted is not None:
            return shortlisted
        per_customer = np.minimum.reduceat(_squared_distances(self._vectors, self._norms, p), self._starts)
        candidates = np.arange(len(self._customers))
        if len(per_customer) == 1:
            return Match(self._customers[int(candidates[0])], float(np.sqrt(per_customer[0])), None)
        best, second = np.argpartition(per_customer, 1)[:2]
        return Match(
            self._customers[int(candidates[best])],
            float(np.sqrt(per_customer[best])),
            float(np.sqrt(per_customer[second])),
        )

    def _shortlisted(self, p: Vectors) -> Match | None:
        """The match from a shortlist of customers, or None when only a full scan is sure to be exact."""
        if self._means is None or self._mean_norms is None or self._radii is None:
            return None
        to_mean = np.sqrt(_squared_distances(self._means, self._mean_norms, p))
        shortlist = np.argpartition(to_mean, SHORTLIST)[:SHORTLIST]
        rows = np.concatenate([np.arange(self._starts[c], self._ends[c]) for c in shortlist])
        squared = _squared_distances(self._vectors[rows], self._norms[rows], p)
        bounds = np.cumsum([0] + [int(self._ends[c] - self._starts[c]) for c in shortlist[:-1]])
        per_customer = np.sqrt(np.minimum.reduceat(squared, bounds))
        best, second = np.argpartition(per_customer, 1)[:2]
        lower_bounds = to_mean - self._radii
        lower_bounds[shortlist] = np.inf
        left_out = float(lower_bounds.min())
        if left_out <= min(float(per_customer[best]), NAMING_HORIZON):
            return None
        return Match(
            self._customers[int(shortlist[best])],
            float(per_customer[best]),
            min(float(per_customer[second]), left_out),
        )
