"""The staffing planner, wired to what the daemon has: the floor's stored stays (a connection of its own
to the database file), the broker link and the outbox."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from common.faults import Faults
from device.analytics.data import AnalyticsData
from device.config import Config
from device.floor.bins_store import FloorBinStore
from device.floor.records import ZoneStays
from device.mqtt.link import MqttLink, Outgoing
from device.staffing.service import StaffingPlanner
from device.staffing.service_times import DEFAULT_SERVICE_S
from device.state.store import Store


def staffing_publisher(link: MqttLink) -> Callable[[dict[str, Any], int], None]:
    def publish(plan: dict[str, Any], expiry_s: int) -> None:
        # Retained like the forecast it is made from (a screen connecting later needs it at once), QoS 1,
        # expiring with it so a dead kiosk's plan goes stale.
        body = json.dumps(plan, separators=(",", ":")).encode()
        link.send(Outgoing(link.topics.staffing, body, 1, time.time() + expiry_s, retain=True))

    return publish


def staffing_planner(config: Config, store: Store, link: MqttLink, faults: Faults) -> StaffingPlanner:
    floor = config.floor

    def zone_stays(since: float, until: float) -> list[ZoneStays]:
        if floor is None:
            return []
        bins = FloorBinStore(config.storage.database)
        try:
            return bins.zone_stays(since, until)
        finally:
            bins.close()

    data = AnalyticsData.of(store)
    return StaffingPlanner(
        config.staffing,
        config.branch.id,
        DEFAULT_SERVICE_S if floor is None else floor.service_time_s,
        {} if floor is None else {zone.name: zone.kind for zone in floor.zones},
        config.analytics.history_days,
        zone_stays,
        staffing_publisher(link),
        (lambda records: data.queue_aggregates(records, time.time())) if config.central is not None else None,
        faults=faults,
    )
