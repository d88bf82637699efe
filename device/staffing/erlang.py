"""The queueing model behind the staffing plan: Erlang C (M/M/c), with the Allen-Cunneen correction for
service times that are not exponential (M/G/c).

Customers arrive at random (Poisson, rate `arrivals_per_h`), wait in one line and are served first come
first served by `counters` tellers, each taking `mean_service_s` on average with coefficient of
variation `service_cv` (1.0: exponential, the textbook Erlang C). Allen-Cunneen scales the M/M/c waiting
time by (1 + cv^2) / 2; the share served within a target wait is scaled the same way, through the decay
rate of the waiting-time tail. Steady state per hour: a branch's queue settles within a few service
times, well inside an hour. Pure functions, no I/O; tests/device/staffing/test_erlang.py holds them to a
discrete-event simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class QueueOutlook:
    counters: int
    offered_load: float  # Erlangs: arrivals per second x mean service seconds
    probability_of_waiting: float
    mean_wait_s: float  # over every customer, those served at once included; inf when overloaded
    served_within_target: float  # share of customers whose wait is at most the target


def erlang_c(counters: int, offered_load: float) -> float:
    """Probability an arriving customer waits (Erlang C), by the numerically stable Erlang B recursion."""
    if offered_load <= 0:
        return 0.0
    if counters <= offered_load:
        return 1.0
    blocking = 1.0
    for k in range(1, counters + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    return counters * blocking / (counters - offered_load * (1.0 - blocking))


def outlook(
    arrivals_per_h: float, mean_service_s: float, counters: int, target_wait_s: float, service_cv: float = 1.0
) -> QueueOutlook:
    """The steady-state queue with `counters` open."""
    if arrivals_per_h < 0 or mean_service_s <= 0 or counters < 0 or target_wait_s < 0 or service_cv < 0:
        raise ValueError("arrivals, counters, target and cv must be >= 0 and the service time > 0")
    rate = arrivals_per_h / 3600.0
    load = rate * mean_service_s
    if rate == 0:
        return QueueOutlook(counters, 0.0, 0.0, 0.0, 1.0)
    if counters <= load:
        return QueueOutlook(counters, load, 1.0, math.inf, 0.0)
    waiting = erlang_c(counters, load)
    variability = (1.0 + service_cv**2) / 2.0
    # M/M/c: the wait of those who wait is exponential with rate (c - a) / service; M/G/c scaled.
    decay_per_s = (counters - load) / mean_service_s / variability
    mean_wait = waiting / decay_per_s
    within = 1.0 - waiting * math.exp(-decay_per_s * target_wait_s)
    return QueueOutlook(counters, load, waiting, mean_wait, within)


def counters_needed(
    arrivals_per_h: float,
    mean_service_s: float,
    target_wait_s: float,
    target_share: float,
    service_cv: float = 1.0,
    max_counters: int = 50,
) -> QueueOutlook:
    """The fewest counters for which `target_share` of customers wait at most `target_wait_s`;
    `max_counters` (with its outlook) when even that many fall short. No arrivals: no counter."""
    if not 0 < target_share < 1:
        raise ValueError("target_share must be between 0 and 1")
    if arrivals_per_h <= 0:
        return outlook(0.0, mean_service_s, 0, target_wait_s, service_cv)
    load = arrivals_per_h / 3600.0 * mean_service_s
    # The fewest that can keep up, but never more than the branch has: beyond them the plan says "short".
    counters = min(max(1, math.floor(load) + 1), max_counters)
    while True:
        result = outlook(arrivals_per_h, mean_service_s, counters, target_wait_s, service_cv)
        if result.served_within_target >= target_share or counters >= max_counters:
            return result
        counters += 1
