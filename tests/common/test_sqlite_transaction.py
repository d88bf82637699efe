"""One write transaction: committed whole, or rolled back with the error that says what went wrong."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from common.sqlite_transaction import immediate_transaction


def database(tmp_path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    connection.execute("CREATE TABLE t (n INTEGER)")
    return connection


def test_a_transaction_that_ends_well_is_committed(tmp_path: Path) -> None:
    connection = database(tmp_path)
    with immediate_transaction(connection, threading.Lock()):
        connection.execute("INSERT INTO t VALUES (1)")
    assert connection.execute("SELECT n FROM t").fetchall() == [(1,)] and not connection.in_transaction


def test_a_failure_rolls_it_all_back_and_is_raised_as_it_was(tmp_path: Path) -> None:
    connection = database(tmp_path)
    with pytest.raises(ValueError, match="half done"), immediate_transaction(connection, threading.Lock()):
        connection.execute("INSERT INTO t VALUES (1)")
        raise ValueError("half done")
    assert connection.execute("SELECT n FROM t").fetchall() == [] and not connection.in_transaction


def test_a_transaction_sqlite_already_rolled_back_still_raises_the_first_error(tmp_path: Path) -> None:
    """As after 'database or disk is full': a second ROLLBACK would say 'no transaction is active'."""
    connection = database(tmp_path)
    full = pytest.raises(sqlite3.OperationalError, match="disk is full")
    with full, immediate_transaction(connection, threading.Lock()):
        connection.execute("ROLLBACK")
        raise sqlite3.OperationalError("database or disk is full")
