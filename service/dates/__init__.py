"""Temporal expressions stage: dates, times, intervals and relative expressions, resolved against
the article's publication time (see docs/dates.md for the output contract)."""

from __future__ import annotations

from ..document import Doc
from .extract import extract


def extract_dates(doc: Doc, conventions: str = "news") -> list[dict]:
    """Date mentions of `doc` (JSON-ready dicts, in text order).

    `conventions` picks how readings that differ between Arabic news and the Recognizers-Text specs
    are resolved ("news", the default, or "recognizers"; see docs/dates.md)."""
    return extract(doc, conventions)


__all__ = ["extract_dates"]
