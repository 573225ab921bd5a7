"""Temporal expressions stage (filled in by the dates work): returns no mentions yet."""

from __future__ import annotations

from ..document import Doc


def extract_dates(doc: Doc) -> list[dict]:
    return []
