"""`[storage]`: where the SQLite state lives, how much the outbox may take of the disk, and how often the
database is copied for `branchdoor state restore`."""

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
    backup_interval_s: float = Field(
        3600.0,
        ge=60,
        le=86_400,  # a copy older than a day would make a restore lose a day of records
        description="How often the daemon copies the database into <state_dir>/backups/ (and at once after "
        "any deletion of a customer). What happened since the last copy is what a restore cannot bring back.",
    )
    backup_copies: int = Field(3, ge=1, le=20, description="How many copies are kept, the newest.")

    @property
    def database(self) -> Path:
        return self.state_dir / "branchdoor.db"
