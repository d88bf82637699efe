"""A discrete-event simulation of one first-come-first-served line with several counters: the yardstick
the queueing model (device/staffing/erlang.py) and the staffing plan are held to."""

from __future__ import annotations

import heapq

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]


def gamma_services(rng: np.random.Generator, count: int, mean_s: float, cv: float) -> Floats:
    """Service times with the given mean and coefficient of variation (cv 1: exponential)."""
    shape = 1.0 / cv**2
    return rng.gamma(shape, mean_s / shape, count)


def lognormal_services(rng: np.random.Generator, count: int, mean_s: float, cv: float) -> Floats:
    """Service times skewed like observed ones (a long right tail), with the given mean and cv."""
    sigma2 = np.log(1.0 + cv**2)
    return rng.lognormal(np.log(mean_s) - sigma2 / 2.0, np.sqrt(sigma2), count)


def waits_of(arrivals_s: Floats, services_s: Floats, counters: int) -> Floats:
    """Each customer's wait, arrivals sorted in time, served in order by the first free counter."""
    free_at = [0.0] * counters
    heapq.heapify(free_at)
    waits = np.empty(len(arrivals_s))
    for i, (arrival, service) in enumerate(zip(arrivals_s, services_s, strict=True)):
        start = max(float(arrival), heapq.heappop(free_at))
        waits[i] = start - arrival
        heapq.heappush(free_at, start + float(service))
    return waits


def simulate(
    arrivals_per_h: float, mean_service_s: float, counters: int, cv: float, hours: float, seed: int
) -> Floats:
    """Waits of every customer over `hours` of Poisson arrivals, gamma service times."""
    rng = np.random.default_rng(seed)
    count = rng.poisson(arrivals_per_h * hours)
    arrivals = np.sort(rng.uniform(0, hours * 3600, count))
    return waits_of(arrivals, gamma_services(rng, count, mean_service_s, cv), counters)
