"""A kiosk's SQLite file filled with a synthetic November 2026: anonymous visit counts per 15 minutes,
check-ins of consented customers with birth-year bands and interests, and floor bins."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import Path

import numpy as np

from device.analytics.data import AnalyticsData
from device.analytics.synthetic import synthetic_branch
from device.config import Config
from device.domain import CheckIn, Consent, Profile
from device.floor.bins_store import FloorBinStore
from device.floor.records import FloorBin
from device.state.store import Store
from tests.device.floor.plan import BRANCH
from tests.keys import CIPHER

# (birth-year band, customers): 2000-2009 and 1950-1959 are under k = 5 and must be merged.
BANDS = [
    ("1990-1999", 9),
    ("1980-1989", 8),
    ("1970-1979", 7),
    ("1960-1969", 6),
    ("2000-2009", 2),
    ("1950-1959", 1),
]
INTERESTS = ["mortgage advice", "savings", "pensions", "business account"]
RARE_INTEREST = "car loan"  # two customers only: never shown on its own
MONTH_FIRST, MONTH_LAST = date(2026, 11, 1), date(2026, 11, 30)
HISTORY_FROM = date(2026, 8, 1)  # four months: enough for a trend


def customers() -> list[Profile]:
    profiles: list[Profile] = []
    for band, count in BANDS:
        for _ in range(count):
            i = len(profiles)
            interests = (INTERESTS[i % 4],) + ((RARE_INTEREST,) if i in (3, 17) else ())
            profiles.append(Profile(f"CUST-{i:03d}", f"Customer {i}", "en", interests, (), band))
    return profiles


def fill(config: Config, seed: int = 3) -> dict[str, int]:
    """Writes the history into the config's database; returns what was written."""
    rng = np.random.default_rng(seed)
    days = (MONTH_LAST - HISTORY_FROM).days + 1
    branch = synthetic_branch(HISTORY_FROM, days, seed=seed)
    store = Store(config.storage.database, CIPHER)
    people = customers()
    month_start = datetime.combine(MONTH_FIRST, datetime.min.time()).timestamp()
    checkins = 0
    try:
        for profile in people:
            store.enroll(profile, Consent("notice-2026-03"), rng.normal(0, 0.09, (1, 128)).astype(np.float32))
        quarters: list[tuple[float, int]] = []
        for start, visits in zip(branch.history.starts, branch.history.counts, strict=True):
            split = rng.multinomial(int(visits), [0.25] * 4)
            for q in range(4):
                at = float(start) + q * 900
                unidentified = int(split[q])
                # In November, about one visit in six is a consented customer checking in.
                if at >= month_start and unidentified and rng.random() < 0.6:
                    unidentified -= 1
                    profile = people[int(rng.integers(len(people)))]
                    store.checkins.record(
                        CheckIn(
                            str(uuid.uuid4()),
                            profile.customer_ref,
                            config.branch.id,
                            config.branch.device_id,
                            at + 60,
                            "high",
                            profile,
                        )
                    )
                    checkins += 1
                quarters.append((at, unidentified))
        AnalyticsData.of(store).import_unidentified_counts(quarters)
    finally:
        store.close()
    floor = FloorBinStore(config.storage.database)
    try:
        floor.save(
            [
                _floor_bin(float(start), int(v), rng)
                for start, v in zip(branch.history.starts, branch.history.counts, strict=True)
                if start >= month_start and v
            ]
        )
    finally:
        floor.close()
    return {"checkins": checkins, "visits": int(branch.history.counts.sum())}


def _floor_bin(start: float, visits: int, rng: np.random.Generator) -> FloorBin:
    grid = np.zeros(BRANCH.grid_shape, dtype=np.float32)
    grid[4:16, 20:28] += rng.gamma(2.0, 3.0 * visits, (12, 8)).astype(np.float32)  # the queue
    grid[10:22, 1:10] += rng.gamma(2.0, 1.0 * visits, (12, 9)).astype(np.float32)  # waiting
    grid[0:4, 4:12] += rng.gamma(2.0, 0.5 * visits, (4, 8)).astype(np.float32)  # the door
    return FloorBin(
        start=start,
        bin_s=3600,
        observed_s=3600.0,
        line_in={"main": visits},
        line_out={"main": visits},
        zone_visits={"queue": visits, "counter 1": visits, "waiting": visits // 3},
        zone_mean_dwell_s={
            "queue": float(rng.gamma(4.0, 60.0)),
            "counter 1": float(rng.gamma(6.0, 40.0)),
            "waiting": float(rng.gamma(3.0, 90.0)),
        },
        occupancy_max=min(visits, 9),
        occupancy_mean=visits / 4,
        grid=grid,
    )


def kiosk_config(state_dir: Path) -> Config:
    return Config.model_validate(
        {
            "branch": {"id": "0427"},
            "storage": {"state_dir": state_dir},
            "floor": BRANCH.model_dump(),
            "analytics": {"holidays": ["2026-10-03", "2026-12-25", "2026-12-26"]},
        }
    )
