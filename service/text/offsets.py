"""Offset maps: every derived string remembers where each of its characters came from.

A derived text `t` built from a source `s` carries `origin`, a sequence of len(t) + 1 integers:
`origin[i]` is the index in `s` of the character that produced `t[i]`, and `origin[len(t)]`
is the end of the source region the last character came from.  A span [a, b) of `t` maps
back to [origin[a], end_of(b)) in `s`, so spans reported by any stage can always point into
the text as received.

An origin map is a list, or a `range` when nothing changed, or an int64 `array` when characters
were only deleted from a long text: a list of an article's ~3,000 offsets costs ~50 us to build
(one Python int each), the other two almost nothing.  All index, slice, iterate and bisect alike.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

import numpy as np


class TextBuilder:
    """Builds a derived string and its origin map piece by piece."""

    __slots__ = ("_parts", "_origin", "_source_len")

    def __init__(self, source_len: int) -> None:
        self._parts: list[str] = []
        self._origin: list[int] = []
        self._source_len = source_len

    def copy(self, source: str, start: int, end: int) -> None:
        """Append source[start:end] unchanged."""
        if end <= start:
            return
        self._parts.append(source[start:end])
        self._origin.extend(range(start, end))

    def emit(self, text: str, source_start: int, source_end: int) -> None:
        """Append `text` as a replacement for source[source_start:source_end]."""
        if not text:
            return
        self._parts.append(text)
        # Every replacement character points at the start of the replaced region, except that
        # one-for-one replacements keep exact positions.
        if len(text) == source_end - source_start:
            self._origin.extend(range(source_start, source_end))
        else:
            self._origin.extend([source_start] * len(text))

    def build(self) -> tuple[str, list[int]]:
        text = "".join(self._parts)
        origin = self._origin + [self._source_len]
        return text, origin


def map_span(origin: Sequence[int], start: int, end: int) -> tuple[int, int]:
    """Map [start, end) of a derived text back to its source."""
    if end <= start:
        pos = origin[start]
        return pos, pos
    return origin[start], origin[end - 1] + 1


def compose(outer: Sequence[int], inner: Sequence[int]) -> list[int]:
    """Given outer: derived2 -> derived1 and inner: derived1 -> source, return derived2 -> source.

    The last entry (the end sentinel) maps the end of `outer`'s source region.
    """
    last = len(inner) - 1
    return [inner[i] if i < last else inner[last] for i in outer]


def identity(length: int) -> range:
    """The origin map of an unchanged text of `length` characters."""
    return range(length + 1)


def after_deletions(source_len: int, deleted: list[int]) -> Sequence[int]:
    """The origin map of the text left when the characters at `deleted` (ascending) are removed
    from a source of `source_len` characters."""
    if not deleted:
        return identity(source_len)
    if source_len < _SHORT:
        origin = list(range(source_len + 1))
        for i in reversed(deleted):
            del origin[i]
        return origin
    kept = np.delete(np.arange(source_len + 1, dtype=np.int64), deleted)
    return array("q", kept.tobytes())


# Below this many characters a list is cheaper to make than an array (numpy's calls cost ~7 us).
_SHORT = 256
