"""Where in a config file's text a key is set, read from the text itself (tomllib gives no lines)."""

from __future__ import annotations

import re

Loc = tuple[str | int, ...]

# The deepest a setting nests is 2 (a zone's polygon); tomllib recurses once per level and would
# die of a RecursionError a few hundred levels down.
MAX_NESTING = 16


_HEADER = re.compile(r"^\s*\[(?P<array>\[)?\s*(?P<name>[^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*(?P<key>[A-Za-z0-9_\-.\"' ]+?)\s*=")


def _split_key(raw: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in raw.split("."))


def find_line(text: str, loc: Loc) -> int | None:
    """The line where `loc` is set, or failing that the line of its closest enclosing table."""
    target = tuple(loc)
    array_index: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    best: tuple[int, int] | None = None  # (matched length, line)

    def consider(candidate: tuple[str | int, ...], lineno: int) -> None:
        # A line setting a.b.c also creates table a.b: it is where a.b is, if nothing closer is.
        nonlocal best
        n = min(len(candidate), len(target))
        if candidate[:n] == target[:n] and (best is None or n > best[0]):
            best = (n, lineno)

    for lineno, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            names: tuple[str | int, ...] = _split_key(header.group("name"))
            if header.group("array"):
                consider(names, lineno)  # the array itself is where its first table is
                index = array_index.get(names, -1) + 1
                array_index[names] = index
                names = (*names, index)
            table = names
            consider(table, lineno)
            continue
        key = _KEY.match(line)
        if key:
            consider((*table, *_split_key(key.group("key"))), lineno)
    return best[1] if best else None


def nesting_too_deep(text: str) -> int | None:
    """The line where arrays and inline tables nest deeper than MAX_NESTING, or None. Strings and
    comments are skipped, so brackets inside them do not count."""
    depth, line, i = 0, 1, 0
    while i < len(text):
        char = text[i]
        if char == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        if char in "\"'":
            quote = char * 3 if text.startswith(char * 3, i) else char
            end = _string_end(text, i + len(quote), quote)
            line += text.count("\n", i, end)
            i = end
            continue
        if char == "\n":
            line += 1
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return line
        elif char in "]}":
            depth = max(0, depth - 1)
        i += 1
    return None


def _string_end(text: str, start: int, quote: str) -> int:
    """Just past the string that opened before `start`; single-line strings end at the line's end."""
    i = start
    while True:
        end = text.find(quote, i)
        if len(quote) == 1:
            newline = text.find("\n", i)
            if newline >= 0 and (end < 0 or newline < end):
                return newline
        if end < 0:
            return len(text)
        backslashes = len(text[i:end]) - len(text[i:end].rstrip("\\"))
        if quote[0] == '"' and backslashes % 2 == 1:  # an escaped quote: the string goes on
            i = end + 1
            continue
        return end + len(quote)
