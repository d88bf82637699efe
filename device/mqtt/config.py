"""`[mqtt]` and `[mqtt.tls]`: the branch broker, the kiosk's credentials for it, and cue expiry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from common.net import check_host, is_loopback
from common.sections import ReconnectSeconds, Section


class MqttTlsConfig(Section):
    ca_file: Path = Field(description="The branch CA that signed the broker's certificate (PEM).")
    cert_file: Path = Field(description="This kiosk's client certificate (PEM); its CN is its broker user.")
    key_file: Path = Field(description="Its private key (PEM, unencrypted, 0600: nobody types at boot).")


class MqttConfig(Section):
    host: Annotated[str, AfterValidator(check_host)] = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    topic_prefix: str = Field("branchdoor", pattern=r"^[A-Za-z0-9_/-]+$")
    username: str | None = None
    password_file: Path | None = Field(None, description="File holding the broker password (never inline).")
    keepalive_s: int = Field(30, ge=5, le=3600)
    cue_expiry_s: int = Field(
        180, ge=10, le=3600, description="Teller cues vanish from the broker after this."
    )
    reconnect_min_s: ReconnectSeconds = 1.0
    reconnect_max_s: ReconnectSeconds = 60.0
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
