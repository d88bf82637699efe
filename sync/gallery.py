"""Reading a gallery page item by item: one bad item is refused and reported, never the whole page.

Pure: the device client applies what is accepted and uploads an audit record for each refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from sync.models import REQUIRED_SCOPE, GalleryDelete, GalleryItem, GalleryUpsert

_ITEM: TypeAdapter[GalleryUpsert | GalleryDelete] = TypeAdapter(GalleryItem)


@dataclass(frozen=True, slots=True)
class Refused:
    """An item the device must not apply. `customer_ref` when it could be read, for the audit record."""

    index: int
    customer_ref: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class ReadPage:
    items: list[GalleryUpsert | GalleryDelete]
    refused: list[Refused]
    next_cursor: str
    more: bool


class PageError(ValueError):
    """The page itself (not one item) is unreadable: keep the old cursor and retry later."""


def read_page(raw: Any) -> ReadPage:
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise PageError("a gallery page is an object with an `items` list")
    next_cursor, more = raw.get("next_cursor"), raw.get("more")
    exact = set(raw) == {"items", "next_cursor", "more"}
    if not (exact and isinstance(next_cursor, str) and isinstance(more, bool)):
        raise PageError("a gallery page has exactly `items`, `next_cursor` (text) and `more` (bool)")
    items: list[GalleryUpsert | GalleryDelete] = []
    refused: list[Refused] = []
    for index, entry in enumerate(raw["items"]):
        ref = entry.get("customer_ref") if isinstance(entry, dict) else None
        ref = ref if isinstance(ref, str) else None
        try:
            item = _ITEM.validate_python(entry)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            refused.append(Refused(index, ref, f"invalid item: {where}: {first['msg']}"))
            continue
        if isinstance(item, GalleryUpsert) and not item.consent_covers_devices:
            refused.append(Refused(index, ref, f"consent scope does not include {REQUIRED_SCOPE!r}"))
            continue
        items.append(item)
    return ReadPage(items, refused, next_cursor, more)
