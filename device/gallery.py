"""The in-memory gallery of consented customers' templates and the vectorised nearest-customer search."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Match:
    customer_ref: str
    distance: float
    second_distance: float | None  # nearest *other* customer: the margin that guards against lookalikes


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
        squared = self._norms - 2.0 * (self._vectors @ p) + float(p @ p)
        per_customer = np.minimum.reduceat(squared, self._starts)
        np.maximum(per_customer, 0.0, out=per_customer)
        if len(per_customer) == 1:
            return Match(self._customers[0], float(np.sqrt(per_customer[0])), None)
        best, second = np.argpartition(per_customer, 1)[:2]
        if per_customer[second] < per_customer[best]:
            best, second = second, best
        return Match(
            self._customers[int(best)],
            float(np.sqrt(per_customer[best])),
            float(np.sqrt(per_customer[second])),
        )
