"""Temporal expressions stage: dates, times, intervals and relative expressions, resolved against
the article's publication time (see docs/dates.md for the output contract)."""

from __future__ import annotations

from ..document import Doc
from .extract import extract


def extract_dates(doc: Doc) -> list[dict]:
    """Date mentions of `doc` (JSON-ready dicts, in text order)."""
    return extract(doc)


__all__ = ["extract_dates"]
