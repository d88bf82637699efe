"""The demo's floor: an 8 x 6 m branch, an emulated LD2450 watching the door, two people walking in."""

from __future__ import annotations

from drivers.emulators.ld2450 import Ld2450Emulator
from drivers.emulators.scenario import Scenario, Walker
from drivers.serial.geometry import Placement

# Facing the door from inside the branch, so it also sees the street side of the door line.
DOOR_RADAR = Placement(2.0, 3.5, 180.0)


def walk_in() -> Scenario:
    """The customer heads for the queue, then the stranger for the waiting seats, both in the radar's
    view (it reports only what is within 6 m and 60 degrees of its axis). Scenario time starts
    when the daemon opens the radar's port, about when its camera starts the 12-second door scene:
    both cross the door line well before the scene ends and the daemon with it."""
    return Scenario(
        walkers=(
            Walker(((4.0, 2.0, -1.0), (6.0, 2.0, 1.0), (7.5, 3.1, 1.8), (60.0, 3.1, 1.9))),
            Walker(((8.0, 2.4, -1.0), (10.0, 2.4, 1.0), (11.5, 1.2, 1.6), (60.0, 1.2, 1.7))),
        ),
        duration_s=60.0,
    )


def door_radar() -> Ld2450Emulator:
    return Ld2450Emulator(walk_in(), DOOR_RADAR)


def floor_config(port: str) -> str:
    """TOML for the demo's sensors and plan."""
    return (
        f'[[sensors]]\nid = "door-radar"\ntype = "ld2450"\nport = "{port}"\n\n'
        "[floor]\nwidth_m = 8.0\ndepth_m = 6.0\nsnapshot_interval_s = 2.0\n"
        f"[floor.placements.door-radar]\nx_m = {DOOR_RADAR.x_m}\ny_m = {DOOR_RADAR.y_m}\n"
        f"heading_deg = {DOOR_RADAR.heading_deg}\n"
        '[[floor.zones]]\nname = "queue"\nkind = "queue"\n'
        "polygon = [[2.6, 1.2], [3.8, 1.2], [3.8, 2.6], [2.6, 2.6]]\n"
        '[[floor.zones]]\nname = "waiting"\nkind = "waiting"\n'
        "polygon = [[0.4, 1.2], [1.7, 1.2], [1.7, 2.4], [0.4, 2.4]]\n"
        '[[floor.door_lines]]\nname = "main door"\na = [1.0, 0.0]\nb = [3.0, 0.0]\ninside = "left"\n'
    )
