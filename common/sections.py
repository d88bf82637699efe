"""The base of every config section and driver config: frozen once loaded, unknown keys refused;
and the field types several sections share."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    # A typo in a kiosk's TOML is an error with file and line (device/config_file.py), never a
    # setting silently ignored; frozen, because a running part must not see its settings change.
    # TOML has inf and nan: no setting means either, and they fail far from the file (int(inf)).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class InvalidKey(ValueError):
    """Raised by a section's check that spans keys, naming the key (below the section) it is about:
    pydantic places such an error at the section; device/config_file.py moves it to that key's line."""

    def __init__(self, message: str, *at: str | int) -> None:
        super().__init__(message)
        self.at = at


# Waits between reconnection attempts. Bounded: a wait of 1e300 s is not a setting but a typo, and
# threading's waits overflow long before it.
ReconnectSeconds = Annotated[float, Field(gt=0, le=3600)]
