"""The base of every config section and driver config: frozen once loaded, unknown keys refused."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    # A typo in a kiosk's TOML is an error with file and line (device/config_file.py), never a
    # setting silently ignored; frozen, because a running part must not see its settings change.
    model_config = ConfigDict(extra="forbid", frozen=True)
