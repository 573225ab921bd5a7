"""The pure enrichment function: RawArticle -> enriched event (a dict ready for orjson).

No I/O and no global mutable state: the same call runs in the faust agent, the batch command
and the benchmarks.  Stages run in order over one shared `Doc`; each one is a small callable
with one job, timed individually.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from . import __version__
from .dates import extract_dates
from .document import Doc, build_doc
from .entities import extract_entities
from .model import SCHEMA_ENRICHED, EnrichmentError, InputPosition, RawArticle
from .sources import extract_source
from .text.language import identify
from .text.normalize import joined_utf8


@dataclass(slots=True)
class Context:
    """What the caller knows about the message that is not in the article itself."""

    received_at: datetime
    position: InputPosition | None = None
    date_conventions: str = "news"  # Settings.date_conventions: how the dates stage reads conflicting expressions

    @classmethod
    def now(cls, position: InputPosition | None = None, date_conventions: str = "news") -> "Context":
        return cls(received_at=datetime.now(timezone.utc), position=position, date_conventions=date_conventions)


def content_hash(doc: Doc) -> str:
    """sha256 over the normalized, whitespace-collapsed visible text: equal for re-sends of the
    same story whatever its markup, diacritics or digit forms."""
    # normalize_key(doc.clean), without normalizing again: doc.norm_folded is normalize(clean)
    # case-folded, so collapsing its whitespace gives the same key.
    return "sha256:" + hashlib.sha256(joined_utf8(doc.norm_folded)).hexdigest()


def article_id_for(raw: RawArticle, doc: Doc) -> str:
    """The producer's id, else a stable hash of the canonical URL, else of the content."""
    if raw.article_id:
        return raw.article_id
    if raw.url:
        from .sources.urls import canonical_url

        return "url:" + hashlib.sha256(canonical_url(raw.url).encode()).hexdigest()[:32]
    return "content:" + content_hash(doc)[7:39]


def _language(doc: Doc) -> None:
    doc.language, doc.language_confidence = identify(doc.clean, doc.raw.language)


def enrich(raw: RawArticle, context: Context) -> dict[str, Any]:
    """Enrich one article.  Raises EnrichmentError (with the failing stage) on bad input."""
    timings: dict[str, float] = {}
    clock = time.perf_counter

    t0 = clock()
    if not raw.body or not raw.body.strip():
        raise EnrichmentError("article body is empty", stage="decode", reason="empty_body")
    doc = build_doc(raw)
    doc.received_at = context.received_at
    t1 = clock()
    timings["normalize"] = t1 - t0

    stage = "language"
    try:
        _language(doc)
        t2 = clock()
        timings["language"] = t2 - t1
        stage = "source"
        source = extract_source(doc)
        t3 = clock()
        timings["source"] = t3 - t2
        stage = "dates"
        dates = extract_dates(doc, conventions=context.date_conventions)
        t4 = clock()
        timings["dates"] = t4 - t3
        stage = "entities"
        entities = extract_entities(doc)
        timings["entities"] = clock() - t4
    except EnrichmentError:
        raise
    except Exception as exc:  # a bug in a stage must not lose the article: report the stage
        raise EnrichmentError(f"{type(exc).__name__}: {exc}", stage=stage, reason="stage_error") from exc

    position = context.position
    published = doc.published_at or context.received_at
    event: dict[str, Any] = {
        "schema": SCHEMA_ENRICHED,
        "article_id": article_id_for(raw, doc),
        "content_hash": content_hash(doc),
        "received_at": _iso(context.received_at),
        "processed_at": _iso(datetime.now(timezone.utc)),
        "input": {
            "topic": position.topic if position else None,
            "partition": position.partition if position else None,
            "offset": position.offset if position else None,
            "format": raw.format,
            "shape": raw.shape,
        },
        "language": {"code": doc.language, "confidence": doc.language_confidence},
        "title": _title(raw),
        "text": raw.body,
        "url": raw.url,
        "authors": raw.authors,
        "published_at": {"value": _iso(published), "from": doc.published_from},
        "source": source,
        "entities": entities,
        "dates": dates,
        "warnings": doc.notes.get("warnings", []),
        "extra": raw.extra,
        "pipeline": {
            "version": __version__,
            "date_conventions": context.date_conventions,  # which reading produced `dates`
            "timings_ms": {k: round(v * 1000, 3) for k, v in timings.items()},
        },
    }
    return event


def _title(raw: RawArticle) -> str | None:
    if raw.title_span is not None:
        return raw.body[raw.title_span[0]:raw.title_span[1]].strip() or None
    return raw.title.strip() if raw.title else None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")
