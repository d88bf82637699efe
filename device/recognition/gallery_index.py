"""A half-precision copy of a large gallery that finds candidates fast, with a bound on its error.

Matching is memory-bound: one probe against 300k float32 templates reads 154 MB, ~15 ms on one core.
faiss keeps the templates as IEEE half floats (77 MB) and scans them with SIMD code, ~4 ms. Its
distances are approximate, so it only proposes candidates; `device.recognition.gallery` recomputes
them exactly and proves nothing it did not propose could change the answer.
"""

from __future__ import annotations

from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

# Half floats keep 11 significant bits: each stored component is within 2^-11 of its own magnitude
# (or 2^-25 below the normal range), so a stored template x' is within 2^-11 |x| + 128 * 2^-25 of x,
# and by the triangle inequality so is every distance to it. The float32 arithmetic adds ~1e-6.
_RELATIVE_ERROR = 2.0**-11
_ABSOLUTE_ERROR = 128 * 2.0**-25 + 1e-5

# The daemon gives recognition one core; faiss's OpenMP threads would fight the capture thread.
faiss.omp_set_num_threads(1)


class HalfPrecisionIndex:
    def __init__(self, vectors: Vectors) -> None:
        self._index: Any = faiss.IndexScalarQuantizer(
            vectors.shape[1], faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_L2
        )
        self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        largest_norm = float(np.linalg.norm(vectors, axis=1).max()) if len(vectors) else 0.0
        self.error = largest_norm * _RELATIVE_ERROR + _ABSOLUTE_ERROR

    def nearest(self, probe: Vectors, k: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """The k rows nearest `probe` by approximate distance (not squared), nearest first."""
        squared, rows = self._index.search(probe.reshape(1, -1), k)
        found = rows[0] >= 0
        distances = np.sqrt(np.maximum(squared[0][found], 0.0)).astype(np.float32)
        return distances, rows[0][found].astype(np.int64)
