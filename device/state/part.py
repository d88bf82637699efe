"""What every part of the store shares: one SQLite connection, its lock and its transactions.

The store owns every SQL statement, but not in one file: each group of tables (outbox, templates,
tokens, visit counts, analytics reads) is a `StorePart` holding the shared connection, so a change
spanning parts (a check-in and its outbox record) is still one transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import ClassVar

import sqlite_utils


@dataclass(frozen=True, slots=True)
class SharedConnection:
    db: sqlite_utils.Database
    lock: threading.RLock
    transaction: Callable[[], AbstractContextManager[None]]


class StorePart:
    SCHEMA: ClassVar[str] = ""  # CREATE ... IF NOT EXISTS statements for this part's tables

    def __init__(self, shared: SharedConnection) -> None:
        self._db = shared.db
        self._lock = shared.lock
        self._transaction = shared.transaction
        if self.SCHEMA:
            shared.db.executescript(self.SCHEMA)
