"""The daemon's whole configuration: typed, validated once at start, pure data (no I/O in the models).

Each package keeps its own section in its `config.py`; this root holds the sections that belong to the
daemon as a whole (branch, logging, observability) and composes the rest into `Config`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from common.net import check_listen_address
from common.sections import InvalidKey, Section
from device.analytics.config import AnalyticsConfig
from device.central.config import CentralConfig
from device.checkin.config import CheckinConfig
from device.cues.config import CuesConfig
from device.dashboard.config import DashboardConfig
from device.floor.config import FloorConfig
from device.mqtt.config import MqttConfig
from device.privacy.config import PrivacyConfig
from device.recognition.config import RecognitionConfig
from device.staffing.config import StaffingConfig
from device.state.config import StorageConfig
from drivers.camera import CameraConfig
from drivers.camera.opencv_source import OpenCVCameraConfig
from drivers.serial.registry import SensorConfig
from drivers.serial.scanner import ScannerConfig

DEFAULT_CONFIG_PATH = Path("/etc/branchdoor/branchdoor.toml")
# The branch id config/branchdoor.toml ships with: valid, so the file can be checked and read as an
# example, but `run` and `config check` refuse it (device/runtime/preflight.py). No bank numbers a
# branch this way, unlike "0001".
PLACEHOLDER_BRANCH_ID = "CHANGE-ME"


class BranchConfig(Section):
    id: str = Field(
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Branch identifier; part of every MQTT topic, so it decides which screens see cues.",
    )
    device_id: str = Field("door-1", pattern=r"^[A-Za-z0-9_-]{1,64}$")


class ObservabilityConfig(Section):
    enabled: bool = True
    host: Annotated[str, AfterValidator(check_listen_address)] = Field(
        "127.0.0.1", description="Where /healthz and /metrics listen: this machine by default."
    )
    port: int = Field(9108, ge=0, le=65535, description="0 picks a free port (tests).")
    health_interval_s: float = Field(30.0, ge=1, le=3600, description="Health summary on MQTT this often.")


class LoggingConfig(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "text"] = "json"


class Config(Section):
    branch: BranchConfig
    camera: CameraConfig = OpenCVCameraConfig()
    recognition: RecognitionConfig = RecognitionConfig()
    checkin: CheckinConfig = CheckinConfig()
    mqtt: MqttConfig = MqttConfig()
    storage: StorageConfig = StorageConfig()
    logging: LoggingConfig = LoggingConfig()
    observability: ObservabilityConfig = ObservabilityConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    scanner: ScannerConfig | None = None
    central: CentralConfig | None = None
    sensors: list[SensorConfig] = Field(default_factory=list)
    floor: FloorConfig | None = None
    analytics: AnalyticsConfig = AnalyticsConfig()
    staffing: StaffingConfig = StaffingConfig()
    cues: CuesConfig = CuesConfig()
    dashboard: DashboardConfig = DashboardConfig()

    @model_validator(mode="after")
    def _sensors_are_placed(self) -> Config:
        ids = [sensor.id for sensor in self.sensors]
        for index, sensor_id in enumerate(ids):
            if sensor_id in ids[:index]:
                raise InvalidKey(
                    f"sensor ids must be unique: {sensor_id!r} is used twice", "sensors", index, "id"
                )
        if not self.sensors:
            return self
        if self.floor is None:
            raise InvalidKey("sensors need a [floor] plan to place them on", "sensors")
        missing = [index for index, sensor_id in enumerate(ids) if sensor_id not in self.floor.placements]
        if missing:
            names = ", ".join(ids[index] for index in missing)
            raise InvalidKey(
                f"no [floor.placements] entry for sensor(s): {names}", "sensors", missing[0], "id"
            )
        unknown = sorted(set(self.floor.placements) - set(ids))
        if unknown:
            raise InvalidKey(
                f"[floor.placements] names no configured sensor: {', '.join(unknown)}",
                "floor",
                "placements",
                unknown[0],
            )
        return self
