"""One write transaction on an SQLite connection in autocommit mode (`isolation_level=None`), taken
with the connection's lock held."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any


@contextmanager
def immediate_transaction(
    connection: sqlite3.Connection, lock: AbstractContextManager[Any]
) -> Iterator[None]:
    """BEGIN IMMEDIATE (the write lock up front, so two writers never deadlock upgrading), then COMMIT,
    or ROLLBACK and the original error."""
    with lock:
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            # A full disk or an I/O error may have rolled it back already: a ROLLBACK then would raise
            # "no transaction is active" in place of the error that says what went wrong.
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
