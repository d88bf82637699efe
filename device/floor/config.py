"""The floor plan as the footfall model sees it: outline, zones and door lines in metres. Pure data."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from common.sections import Section
from device.floor.geometry import Point, polygon_area, polygon_within, segment_within

ZoneKind = Literal["entrance", "queue", "waiting", "counter", "self_service"]

# Floor metres as a config may write them. A plan is at most 200 m across; the bound keeps the
# arithmetic on positions finite (1e308 squared is inf, and inf - inf is nan).
Metres = Annotated[float, Field(ge=-1000, le=1000)]
PlanPoint = tuple[Metres, Metres]

# A door line shorter than this cannot be a doorway; it is almost always a typo in the plan.
MIN_DOOR_LINE_M = 0.3


class ZoneConfig(Section):
    name: str = Field(pattern=r"^[A-Za-z0-9_ -]{1,64}$", description="Shown on screens and the heat map.")
    kind: ZoneKind = Field(description="What the zone is for; queue and counter zones drive the wait.")
    polygon: list[PlanPoint] = Field(min_length=3, description="Corners in floor metres, in order.")

    @field_validator("polygon")
    @classmethod
    def _has_area(cls, polygon: list[Point]) -> list[Point]:
        if polygon_area(polygon) < 1e-6:
            raise ValueError("zone polygon has no area (its corners are on one line)")
        return polygon


class DoorLineConfig(Section):
    name: str = Field(pattern=r"^[A-Za-z0-9_ -]{1,64}$")
    a: PlanPoint = Field(description="One end of the line, floor metres.")
    b: PlanPoint = Field(description="The other end.")
    inside: Literal["left", "right"] = Field(
        description="Which side of the directed segment a->b is inside the branch (walking from a to b)."
    )

    @model_validator(mode="after")
    def _long_enough(self) -> DoorLineConfig:
        length = math.hypot(self.b[0] - self.a[0], self.b[1] - self.a[1])
        if length < MIN_DOOR_LINE_M:
            raise ValueError(f"door line {self.name!r} is {length:.2f} m long; at least {MIN_DOOR_LINE_M} m")
        return self

    @property
    def inside_sign(self) -> int:
        """+1 when inside is left of a->b, matching `geometry.side_of_line`."""
        return 1 if self.inside == "left" else -1


class PlacementConfig(Section):
    """Where a sensor sits on the plan and which way it looks (0 = along +y, counter-clockwise)."""

    x_m: Metres = Field(description="Floor metres; a sensor may sit outside the plan, looking in.")
    y_m: Metres
    heading_deg: float = Field(0.0, ge=-360, le=360)
    range_m: float = Field(
        6.0, gt=0, le=20, description="Targets reported further away (multipath ghosts) are ignored."
    )


class FloorConfig(Section):
    width_m: float = Field(gt=0, le=200, description="Extent of the floor along x.")
    depth_m: float = Field(gt=0, le=200, description="Extent of the floor along y.")
    outline: list[PlanPoint] | None = Field(
        None, description="The floor polygon; by default the rectangle (0,0)-(width_m, depth_m)."
    )
    cell_size_m: float = Field(0.25, ge=0.05, le=5, description="Heat map cell edge.")
    zones: list[ZoneConfig] = Field(default_factory=list)
    door_lines: list[DoorLineConfig] = Field(default_factory=list)
    min_dwell_s: float = Field(
        10.0, ge=0, le=86_400, description="A zone visit shorter than this is passing through."
    )
    service_time_s: float = Field(
        240.0, gt=0, le=3600, description="Average teller service time, for the wait estimate."
    )
    bin_s: int = Field(900, ge=60, le=86400, description="History grain; footfall products use 15 min.")
    snapshot_interval_s: float = Field(
        5.0, gt=0, le=3600, description="How often a live snapshot is published."
    )
    staff_window_s: float = Field(
        5.0,
        ge=0,
        le=60,
        description="An inbound door crossing this close in time to staff named by the door camera is "
        "theirs, not footfall.",
    )
    branch_merge: bool = Field(
        True,
        description="Merge the other kiosks of the branch (same broker, same plan) into one floor; the "
        "lowest online device id publishes the snapshot and stores the bins.",
    )
    placements: dict[str, PlacementConfig] = Field(
        default_factory=dict, description="Each serial sensor's position on the plan, by sensor id."
    )

    @property
    def floor_polygon(self) -> list[Point]:
        if self.outline is not None:
            return self.outline
        return [(0.0, 0.0), (self.width_m, 0.0), (self.width_m, self.depth_m), (0.0, self.depth_m)]

    @property
    def grid_shape(self) -> tuple[int, int]:
        """(rows along y, columns along x) of the heat grid."""
        rows = max(1, round(self.depth_m / self.cell_size_m + 0.4999))
        cols = max(1, round(self.width_m / self.cell_size_m + 0.4999))
        return rows, cols

    def zones_of_kind(self, kind: ZoneKind) -> list[ZoneConfig]:
        return [zone for zone in self.zones if zone.kind == kind]

    @model_validator(mode="after")
    def _plan_is_consistent(self) -> FloorConfig:
        box = [(0.0, 0.0), (self.width_m, 0.0), (self.width_m, self.depth_m), (0.0, self.depth_m)]
        if self.outline is not None:
            if len(self.outline) < 3 or polygon_area(self.outline) < 1e-6:
                raise ValueError("outline needs at least 3 corners enclosing an area")
            if not polygon_within(self.outline, box):
                raise ValueError("outline must lie within 0..width_m x 0..depth_m")
        floor = self.floor_polygon
        for zone in self.zones:
            if not polygon_within(zone.polygon, floor):
                raise ValueError(f"zone {zone.name!r} reaches outside the floor outline")
        for line in self.door_lines:
            # Door lines usually lie on the outline; both ends and the span must touch the floor.
            if not segment_within(line.a, line.b, floor):
                raise ValueError(f"door line {line.name!r} is not on the floor")
        for what, names in (
            ("zone", [zone.name for zone in self.zones]),
            ("door line", [line.name for line in self.door_lines]),
        ):
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise ValueError(f"{what} names must be unique: {duplicates}")
        return self
