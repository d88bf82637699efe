"""`[central]`: the bank's central account service and this device's signing secret for it."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator

from common.net import is_loopback, parse_url
from common.sections import InvalidKey, Section


class CentralConfig(Section):
    """The bank's central account service: gallery and preferences down, check-ins and audit up."""

    url: str = Field(description="Base URL, e.g. https://central.bank.example")
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

    @field_validator("url")
    @classmethod
    def _judgeable(cls, url: str) -> str:
        # The device authenticates by signing with its secret file: credentials in the URL would only
        # hide which host it talks to (http://127.0.0.1@central.evil.example/ is central.evil.example).
        parse_url(url, ("http", "https"))
        return url

    @model_validator(mode="after")
    def _tls_off_loopback(self) -> CentralConfig:
        endpoint = parse_url(self.url, ("http", "https"))
        if endpoint.scheme == "http" and not is_loopback(endpoint.host) and not self.allow_plaintext:
            raise InvalidKey(
                f"plaintext http:// to {endpoint.host} carries customer data unencrypted: use https://",
                "url",
            )
        return self
