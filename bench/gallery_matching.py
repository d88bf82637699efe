"""Gallery matching: the gallery's index against a plain exact scan, on synthetic templates.

Usage: .venv/bin/python bench/recognition.py --matching-only (this module is its table).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from device.recognition.gallery import Gallery, Match


class ExactScan:
    """The baseline: every template compared in float32, per-customer minimum (refs grouped), with
    the norms and customer boundaries computed once, as the gallery does."""

    def __init__(self, refs: list[str], vectors: np.ndarray) -> None:
        self.refs, self.vectors = refs, vectors
        self.norms = np.einsum("ij,ij->i", vectors, vectors)
        self.starts = np.flatnonzero(np.r_[True, np.asarray(refs[1:]) != np.asarray(refs[:-1])])

    def __call__(self, probe: np.ndarray) -> tuple[str, float, float]:
        squared = self.norms - 2.0 * (self.vectors @ probe) + float(probe @ probe)
        per_customer = np.sqrt(np.maximum(np.minimum.reduceat(squared, self.starts), 0.0))
        best, second = np.argpartition(per_customer, 1)[:2]
        return self.refs[int(self.starts[best])], float(per_customer[best]), float(per_customer[second])


def _agrees(match: Match | None, exact: tuple[str, float, float]) -> bool:
    ref, best, second = exact
    return (
        match is not None
        and match.customer_ref == ref
        and abs(match.distance - best) < 1e-4
        and abs((match.second_distance or 0.0) - second) < 1e-4
    )


@dataclass
class MatchTiming:
    gallery_ms: float  # median
    gallery_p95_ms: float
    exact_scan_ms: float  # median
    disagreements: int  # probes where the gallery's answer differs from the exact scan's
    full_scans: int  # probes the index's proof could not settle (compared in full)


def _times_ms(match: Callable[[np.ndarray], object], probes: np.ndarray) -> list[float]:
    match(probes[0])  # warm caches and lazy set-up
    samples = []
    for probe in probes:
        started = time.perf_counter()
        match(probe)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def gallery_matching(
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000), per_customer: tuple[int, ...] = (1, 3)
) -> dict[tuple[int, int, str], MatchTiming]:
    """Median ms to match one probe, on synthetic templates shaped like real ones: a customer's
    templates ~0.41 apart, different customers ~0.82 apart (faces-dev: same 0.3-0.5, different 0.6+).
    Probes are an enrolled customer's new template, or a stranger's. Each answer is checked against
    a plain exact scan, which is also timed as the baseline."""
    rng = np.random.default_rng(7)
    timings: dict[tuple[int, int, str], MatchTiming] = {}
    for customers in sizes:
        centres = rng.normal(0, 0.05, size=(customers, 128)).astype(np.float32)
        for templates in per_customer:
            noise = rng.normal(0, 0.025, size=(customers * templates, 128))
            vectors = (np.repeat(centres, templates, axis=0) + noise).astype(np.float32)
            refs = [f"C{i // templates:06d}" for i in range(len(vectors))]
            gallery = Gallery(refs, vectors)
            probes = {
                "customer": centres[rng.integers(0, customers, 40)] + rng.normal(0, 0.025, (40, 128)),
                "stranger": rng.normal(0, 0.05, size=(40, 128)),
            }
            for kind, batch in probes.items():
                batch = batch.astype(np.float32)
                scan = ExactScan(refs, vectors)
                gallery.full_scans = 0
                ours = _times_ms(gallery.nearest, batch)
                full_scans = gallery.full_scans
                timings[(customers, templates, kind)] = MatchTiming(
                    gallery_ms=statistics.median(ours),
                    gallery_p95_ms=float(np.percentile(ours, 95)),
                    exact_scan_ms=statistics.median(_times_ms(scan, batch)),
                    disagreements=sum(not _agrees(gallery.nearest(p), scan(p)) for p in batch),
                    full_scans=full_scans,
                )
    return timings


def print_matching() -> dict[tuple[int, int, str], MatchTiming]:
    matching = gallery_matching()
    print(
        f"\n{'gallery (40 probes each)':34} {'probe':>8} {'gallery ms':>10} {'p95 ms':>7} "
        f"{'exact scan ms':>13} {'disagree':>8} {'full scans':>10}"
    )
    for (customers, templates, kind), timing in matching.items():
        label = f"{customers:,} customers x {templates} template(s)"
        print(
            f"{label:34} {kind:>8} {timing.gallery_ms:>10.3f} {timing.gallery_p95_ms:>7.3f} "
            f"{timing.exact_scan_ms:>13.3f} {timing.disagreements:>8} {timing.full_scans:>10}"
        )
    return matching
