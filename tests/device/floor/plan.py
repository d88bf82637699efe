"""The test branch: an 8 x 6 m floor, door on the y = 0 wall, a queue, a counter and a waiting area."""

from __future__ import annotations

from device.floor.config import FloorConfig

# A Unix time on a 15-minute boundary, so bin arithmetic in the tests is easy to read.
T0 = 1_888_888 * 900.0

BRANCH = FloorConfig.model_validate(
    {
        "width_m": 8.0,
        "depth_m": 6.0,
        "zones": [
            {"name": "queue", "kind": "queue", "polygon": [(5, 1), (7, 1), (7, 4), (5, 4)]},
            {"name": "counter 1", "kind": "counter", "polygon": [(5, 4.5), (7, 4.5), (7, 6), (5, 6)]},
            {
                "name": "waiting",
                "kind": "waiting",
                "polygon": [(0.3, 2.5), (2.5, 2.5), (2.5, 5.7), (0.3, 5.7)],
            },
        ],
        # Walking from a to b along the wall, the branch is on the left (+y); the street is y < 0.
        "door_lines": [{"name": "main", "a": (1, 0), "b": (3, 0), "inside": "left"}],
    }
)
