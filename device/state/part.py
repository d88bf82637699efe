"""What every part of the store shares: one SQLite connection, its lock and its transactions.

Every SQL statement on the device's state lives in device/state/ (and, for the tables of their own,
device/floor/bins_store.py and the analytics reads, device/analytics/data.py), but not in one file:
each group of tables (check-ins, outbox, templates, tokens, visit counts) is a `StorePart` holding
the shared connection, so a change spanning parts (a check-in and its outbox record) is still one
transaction. A new table is a new `StorePart` with its `SCHEMA`, created by `Store`.

sqlite-utils does the schema's upkeep (a column added in a later release appears in an older kiosk's
database at its next start) and gives field engineers a read-only view (`sqlite-utils tables FILE
--counts`). Reads and writes stay hand-written SQL: they run inside our BEGIN IMMEDIATE transactions
on the recognition thread, where a sqlite-utils upsert costs ~70 us against ~2 us for the statement
(measured on this project's CI machine), and a 10k-customer gallery page is 1,000 of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import ClassVar

import sqlite_utils


@dataclass(frozen=True, slots=True)
class SharedConnection:
    db: sqlite_utils.Database
    lock: threading.RLock
    transaction: Callable[[], AbstractContextManager[None]]


def add_missing_columns(db: sqlite_utils.Database, added: Mapping[str, Mapping[str, type]]) -> None:
    """`{table: {column: python type}}` added after the table first shipped: ALTER TABLE for each one
    an older database lacks, nothing for the rest."""
    for name, columns in added.items():
        table = db.table(name)
        present = table.columns_dict
        for column, kind in columns.items():
            if column not in present:
                table.add_column(column, kind)


class StorePart:
    SCHEMA: ClassVar[str] = ""  # CREATE ... IF NOT EXISTS statements for this part's tables
    ADDED_COLUMNS: ClassVar[Mapping[str, Mapping[str, type]]] = {}  # see add_missing_columns

    def __init__(self, shared: SharedConnection) -> None:
        self._db = shared.db
        self._lock = shared.lock
        self._transaction = shared.transaction
        if self.SCHEMA:
            shared.db.executescript(self.SCHEMA)
        add_missing_columns(shared.db, self.ADDED_COLUMNS)
