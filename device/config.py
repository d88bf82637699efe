"""The daemon's whole configuration: typed, validated once at start, pure data (no I/O in the models)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from common.net import is_loopback, url_is_loopback
from common.sections import Section
from device.analytics.config import AnalyticsConfig
from device.cue_config import CuesConfig
from device.dashboard.config import DashboardConfig
from device.floor.config import FloorConfig
from device.privacy_config import PrivacyConfig
from drivers.camera import CameraConfig
from drivers.camera.opencv_source import OpenCVCameraConfig
from drivers.serial.registry import SensorConfig
from drivers.serial.scanner import ScannerConfig

DEFAULT_CONFIG_PATH = Path("/etc/branchdoor/branchdoor.toml")


class BranchConfig(Section):
    id: str = Field(
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Branch identifier; part of every MQTT topic, so it decides which screens see cues.",
    )
    device_id: str = Field("door-1", pattern=r"^[A-Za-z0-9_-]{1,64}$")


class RecognitionConfig(Section):
    tolerance: float = Field(
        0.5,
        gt=0.0,
        le=0.55,
        description="Largest face distance accepted as a match. 0.6 (the library default) names 5% of "
        "strangers on real photos; 0.5 named none.",
    )
    margin: float = Field(
        0.06, ge=0.0, le=0.3, description="The nearest other customer must be at least this much further."
    )
    min_votes: int = Field(
        2, ge=1, le=10, description="Agreeing encodings of one person needed to name them."
    )
    attempts_per_track: int = Field(
        4, ge=1, le=20, description="Encodings tried per person before giving up."
    )
    min_face_px: int = Field(
        64,
        ge=20,
        le=1000,
        description="Faces smaller than this (full-frame pixels) are tracked, not encoded.",
    )
    scan_min_face_px: int = Field(
        56, ge=20, le=1000, description="Smallest face looked for where the picture changed."
    )
    scan_interval_s: float = Field(
        0.2, gt=0, le=5, description="How often changed areas are searched for new faces."
    )
    detect_width: int = Field(
        320,
        ge=160,
        le=1920,
        description="Width for whole-frame detection, used when most of the frame changed.",
    )
    upsample: int = Field(1, ge=0, le=2, description="HOG upsampling for whole-frame detection.")
    track_timeout_s: float = Field(1.0, gt=0, description="A track unseen this long has left the view.")
    encoder: Literal["auto", "inline", "process"] = Field(
        "auto", description="Encode faces in a worker process (auto: when more than one core is usable)."
    )

    @model_validator(mode="after")
    def _votes_fit_attempts(self) -> RecognitionConfig:
        if self.min_votes > self.attempts_per_track:
            raise ValueError("min_votes cannot exceed attempts_per_track")
        return self


class CheckinConfig(Section):
    dedup_window_s: float = Field(
        1800.0, ge=0, description="A customer seen again within this window is the same visit: no new cue."
    )


class MqttTlsConfig(Section):
    ca_file: Path = Field(description="The branch CA that signed the broker's certificate (PEM).")
    cert_file: Path = Field(description="This kiosk's client certificate (PEM); its CN is its broker user.")
    key_file: Path = Field(description="Its private key (PEM, unencrypted, 0600: nobody types at boot).")


class MqttConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    topic_prefix: str = Field("branchdoor", pattern=r"^[A-Za-z0-9_/-]+$")
    username: str | None = None
    password_file: Path | None = Field(None, description="File holding the broker password (never inline).")
    keepalive_s: int = Field(30, ge=5, le=3600)
    cue_expiry_s: int = Field(
        180, ge=10, le=3600, description="Teller cues vanish from the broker after this."
    )
    reconnect_min_s: float = Field(1.0, gt=0)
    reconnect_max_s: float = Field(60.0, gt=0)
    tls: MqttTlsConfig | None = Field(None, description="TLS with a client certificate ([mqtt.tls]).")
    allow_plaintext: bool = Field(
        False, description="Allow MQTT without TLS to a host other than this machine (never in a branch)."
    )

    @model_validator(mode="after")
    def _backoff_range(self) -> MqttConfig:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be >= reconnect_min_s")
        return self

    @model_validator(mode="after")
    def _tls_off_loopback(self) -> MqttConfig:
        if self.tls is None and not is_loopback(self.host) and not self.allow_plaintext:
            raise ValueError(
                f"plaintext MQTT to {self.host} carries cues unencrypted: configure [mqtt.tls] "
                "(or allow_plaintext = true on a lab network)"
            )
        return self


class CentralConfig(Section):
    """The bank's central account service: gallery and preferences down, check-ins and audit up."""

    url: str = Field(pattern=r"^https?://", description="Base URL, e.g. https://central.bank.example")
    device_id: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_-]{1,128}$",
        description="This device's id at the central service (default: <branch id>-<device id>).",
    )
    device_secret_file: Path = Field(
        description="File holding this device's signing secret (0600; never the secret itself here)."
    )
    interval_s: float = Field(
        60.0, ge=1, le=3600, description="How often to sync; a withdrawal lands within one."
    )
    batch_size: int = Field(500, ge=1, le=500)
    timeout_s: float = Field(10.0, gt=0, le=120)
    allow_plaintext: bool = Field(
        False, description="Allow http:// to a host other than this machine (never in a branch)."
    )

    @model_validator(mode="after")
    def _tls_off_loopback(self) -> CentralConfig:
        if self.url.startswith("http://") and not url_is_loopback(self.url) and not self.allow_plaintext:
            raise ValueError(
                "plaintext http:// to another host carries customer data unencrypted: use https://"
            )
        return self


class StorageConfig(Section):
    state_dir: Path = Field(Path("/var/lib/branchdoor"), description="SQLite database and other state.")
    outbox_budget_mb: float = Field(
        200.0,
        gt=0,
        description="Records waiting for the central service. Over it, the oldest aggregates are dropped; "
        "check-ins and audit records never are: an alarm is raised instead.",
    )

    @property
    def database(self) -> Path:
        return self.state_dir / "branchdoor.db"


class ObservabilityConfig(Section):
    enabled: bool = True
    host: str = Field("127.0.0.1", description="Where /healthz and /metrics listen: this machine by default.")
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
    cues: CuesConfig = CuesConfig()
    dashboard: DashboardConfig = DashboardConfig()

    @model_validator(mode="after")
    def _sensors_are_placed(self) -> Config:
        ids = [sensor.id for sensor in self.sensors]
        if len(set(ids)) != len(ids):
            raise ValueError("sensor ids must be unique")
        if not self.sensors:
            return self
        if self.floor is None:
            raise ValueError("sensors need a [floor] plan to place them on")
        missing = [sensor_id for sensor_id in ids if sensor_id not in self.floor.placements]
        if missing:
            raise ValueError(f"no [floor.placements] entry for sensor(s): {', '.join(missing)}")
        unknown = sorted(set(self.floor.placements) - set(ids))
        if unknown:
            raise ValueError(f"[floor.placements] names no configured sensor: {', '.join(unknown)}")
        return self
