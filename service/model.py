"""Typed records passed between the decoder, the pipeline and the Kafka shell."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_ENRICHED = "enriched-article/1"
SCHEMA_DEAD_LETTER = "dead-letter/1"


@dataclass(slots=True)
class RawArticle:
    """One article as decoded from the wire, before any analysis.

    `body` is the text exactly as received (after UTF-8 decoding); every span the pipeline
    reports points into it (or into `title` when a mention says `"field": "title"`).
    For plain-text input `body` is the whole document and `title_span` marks its first line.
    """

    body: str
    title: str | None = None
    title_span: tuple[int, int] | None = None  # title inside body (plain-text input)
    article_id: str | None = None  # as given by the producer
    url: str | None = None
    published_at: str | None = None  # raw value from metadata, parsed by the source stage
    publisher: str | None = None  # raw publisher name or domain from metadata
    language: str | None = None  # producer's hint
    authors: list[str] = field(default_factory=list)
    format: str = "application/json"  # application/json | text/plain
    shape: str = "generic"  # which JSON field-alias family matched
    footer: tuple[int, int] | None = None  # publisher footer line inside body (plain text)
    extra: dict[str, Any] = field(default_factory=dict)  # unknown input fields, kept verbatim


@dataclass(slots=True)
class InputPosition:
    """Where a message came from; absent for the batch command."""

    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    timestamp_ms: int | None = None


class EnrichmentError(Exception):
    """An article that cannot be enriched; `stage` names the pipeline step that failed."""

    def __init__(self, message: str, stage: str, reason: str = "invalid_input") -> None:
        super().__init__(message)
        self.stage = stage
        self.reason = reason
