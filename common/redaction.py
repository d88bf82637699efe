"""Cutting known values out of text that others wrote: a server's or a proxy's error may echo the
records it was sent, and what the device keeps of it (logs, its database) must not name a customer."""

from __future__ import annotations

from collections.abc import Iterable


def redact(text: str, values: Iterable[object], mark: str) -> str:
    """`text` with every occurrence of each textual value replaced by `mark`; the longest first, so
    that a value containing another (CUST-10 and CUST-1) goes whole."""
    for value in sorted(
        {value for value in values if isinstance(value, str) and value}, key=len, reverse=True
    ):
        text = text.replace(value, mark)
    return text
