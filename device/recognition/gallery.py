"""The in-memory gallery of consented customers' templates and the vectorised nearest-customer search."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from device.recognition.gallery_index import HalfPrecisionIndex

Vectors = npt.NDArray[np.float32]

# Up to this many templates every one is compared exactly (~0.5 ms for 20k on one core). Beyond,
# a half-precision index proposes the nearest rows, they are recomputed exactly, and the answer is
# used only when the index's error bound proves no row it left out could be the best or the second
# best customer; otherwise every template is compared. Either way the result is exact.
EXACT_LIMIT = 20_000
# Rows the index proposes beyond what the proof strictly needs: slack that makes the proof hold on
# the first try, since neighbouring distances can differ by less than the index's error.
EXTRA_CANDIDATES = 16


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

    def __init__(self, refs: list[str], vectors: Vectors, staff: frozenset[str] = frozenset()) -> None:
        if len(refs) != len(vectors):
            raise ValueError("one customer reference per template")
        # Staff are matched like everyone else (a member of staff is no stranger), then left alone.
        self._staff = staff
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
        self._owner = np.repeat(np.arange(len(self._customers)), self._ends - self._starts)
        most_templates = int((self._ends - self._starts).max()) if len(self._starts) else 0
        # The nearest template of the second-best customer is among the nearest (most_templates + 1).
        self._candidates = most_templates + 1 + EXTRA_CANDIDATES
        self._index = HalfPrecisionIndex(self._vectors) if len(self._vectors) > EXACT_LIMIT else None
        self.full_scans = 0  # indexed searches the proof could not settle: for the benchmark and tests

    def __len__(self) -> int:
        return len(self._customers)

    @property
    def template_count(self) -> int:
        return int(self._vectors.shape[0])

    def __contains__(self, customer_ref: object) -> bool:
        return customer_ref in self._customers

    def is_staff(self, customer_ref: str) -> bool:
        return customer_ref in self._staff

    @classmethod
    def empty(cls) -> Gallery:
        return cls([], np.zeros((0, 128), dtype=np.float32))

    def nearest(self, probe: Vectors) -> Match | None:
        """The closest customer to `probe` (Euclidean distance, as face_recognition defines it)."""
        if not self._customers:
            return None
        p = np.asarray(probe, dtype=np.float32).reshape(128)
        if self._index is not None:
            proven = self._from_candidates(self._index, p)
            if proven is not None:
                return proven
            self.full_scans += 1
        per_customer = np.minimum.reduceat(_squared_distances(self._vectors, self._norms, p), self._starts)
        if len(per_customer) == 1:
            return Match(self._customers[0], float(np.sqrt(per_customer[0])), None)
        best, second = np.argpartition(per_customer, 1)[:2]
        return Match(
            self._customers[int(best)],
            float(np.sqrt(per_customer[best])),
            float(np.sqrt(per_customer[second])),
        )

    def _from_candidates(self, index: HalfPrecisionIndex, p: Vectors) -> Match | None:
        """The exact match from the index's candidates, or None when they cannot be proven enough.

        A row the index did not propose is at approximate distance >= the last one it proposed, so
        at exact distance >= that minus the index's error. If the exact second-best customer among
        the candidates is no further than that, no row left out can be the best or the second best."""
        approximate, rows = index.nearest(p, min(self._candidates, len(self._vectors)))
        if len(rows) == len(self._vectors):
            return None
        exact = np.sqrt(_squared_distances(self._vectors[rows], self._norms[rows], p))
        owners = self._owner[rows]
        best_row = int(np.argmin(exact))
        others = owners != owners[best_row]
        if not others.any():
            return None
        second = float(exact[others].min())
        if second > float(approximate[-1]) - index.error:
            return None
        return Match(self._customers[int(owners[best_row])], float(exact[best_row]), second)
