"""`[storage]`: where the SQLite state lives and how much the outbox may take of the disk."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from common.sections import Section


class StorageConfig(Section):
    state_dir: Path = Field(Path("/var/lib/branchdoor"), description="SQLite database and other state.")
    outbox_budget_mb: float = Field(
        200.0,
        gt=0,
        le=1_000_000,  # a terabyte: the budget becomes a byte count, which must stay a number
        description="Records waiting for the central service. Over it, the oldest aggregates are dropped; "
        "check-ins and audit records never are: an alarm is raised instead.",
    )

    @property
    def database(self) -> Path:
        return self.state_dir / "branchdoor.db"
