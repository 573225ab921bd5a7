"""Source metadata stage: publisher, agency attributions, dateline, publication time."""

from __future__ import annotations

from datetime import datetime, timezone

from ..document import Doc
from .urls import domain_of


def _parse_published(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def extract_source(doc: Doc) -> dict:
    """Fill doc.published_at (the anchor later stages use) and describe the article's source."""
    raw = doc.raw
    published = _parse_published(raw.published_at)
    if published is not None:
        doc.published_at, doc.published_from = published, "metadata"
    else:
        doc.published_at, doc.published_from = doc.received_at, "received"
    publisher = None
    if raw.publisher:
        publisher = {"id": None, "name": raw.publisher, "from": "metadata"}
    return {
        "publisher": publisher,
        "attributions": [],
        "dateline": None,
        "translated": None,
        "url": raw.url,
        "domain": domain_of(raw.url),
    }
