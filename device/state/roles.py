"""Who each enrolled person is at the door: a customer (greeted, checked in, counted as a visit) or a
member of staff (recognised only to be left alone). The role is a column of `customers`, so forgetting
the person forgets it; a database from before roles gets the column at its next start, and its rows
(NULL) read as customers, which is what everyone was then."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from device.domain import Role
from device.state.part import StorePart


class Roles(StorePart):
    ADDED_COLUMNS: ClassVar[Mapping[str, Mapping[str, type]]] = {"customers": {"role": str}}

    def set(self, customer_ref: str, role: Role) -> None:
        """Inside the caller's transaction, after the customer's row is written."""
        self._db.execute("UPDATE customers SET role = ? WHERE customer_ref = ?", [role, customer_ref])

    def of(self, customer_ref: str) -> Role | None:
        """None when nobody is held under that reference."""
        with self._lock:
            row = self._db.execute(
                "SELECT role FROM customers WHERE customer_ref = ?", [customer_ref]
            ).fetchone()
        if row is None:
            return None
        return "staff" if row[0] == "staff" else "customer"

    def staff(self) -> frozenset[str]:
        """The references of everyone enrolled as staff."""
        with self._lock:
            rows = self._db.execute("SELECT customer_ref FROM customers WHERE role = 'staff'").fetchall()
        return frozenset(row[0] for row in rows)
