"""`[privacy]`: where the template key lives, and how long the device keeps what it has sent upstream."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from common.sections import Section

# Keys someone might try to paste a key into: refused with the reason, not as a mere typo.
_INLINE_KEY_NAMES = ("template_key", "key", "encryption_key", "secret")


class PrivacyConfig(Section):
    template_key_file: Path = Field(
        Path("/etc/branchdoor/template-key"),
        description="File holding the 32-byte AES key that seals face templates (64 hex digits, mode "
        "0600, from `branchdoor keys new`). Under systemd the daemon reads the credential "
        "$CREDENTIALS_DIRECTORY/template-key instead (LoadCredential= in the unit). Never the key here.",
    )
    checkin_retention_days: float = Field(
        7.0,
        ge=0,
        le=90,
        description="Check-ins are deleted locally this long after they happened, once uploaded (never "
        "sooner than checkin.dedup_window_s: the device needs them to keep one cue per visit).",
    )
    aggregate_retention_days: float = Field(
        400.0,
        ge=0,
        le=400,
        description="Anonymous visit counts (15-minute bins, including check-ins past their retention, "
        "which survive only as +1 in their bin) are deleted after this. They name no one; the forecast "
        "learns a year of weekly and holiday patterns from them.",
    )
    unsent_retention_days: float = Field(
        7.0,
        ge=0,
        le=90,
        description="With [central], check-ins and audit records leave the outbox when the central "
        "service acknowledges them. Without it nothing is ever uploaded: they are deleted after this.",
    )
    housekeeping_interval_s: float = Field(
        3600.0, ge=1, le=86_400, description="How often the retention policy is applied."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_key_in_config(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in _INLINE_KEY_NAMES:
                if name in data:
                    raise ValueError(
                        f"{name}: a key never goes in the config file (anyone reading the config could "
                        "open every face template); write it to a 0600 file with `branchdoor keys new "
                        "FILE` and set template_key_file"
                    )
        return data
