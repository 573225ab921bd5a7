"""What the Kafka shell does with one message, without any Kafka: bytes in, records out.

`ArticleHandler.handle()` decodes, calls the pure `enrich()` and returns the records to send:
the enriched event (keyed by article_id), or one dead-letter record carrying the original
bytes.  It never raises for a bad message; the faust agent in app.py only sends what it gets.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

import orjson

from . import metrics
from .decode import decode
from .dlq import dead_letter_headers
from .mentions import mention_records
from .model import EnrichmentError, InputPosition
from .pipeline import Context, enrich
from .settings import Settings

log = logging.getLogger(__name__)

ENRICHED_HEADERS = [("content-type", b"application/json"), ("schema", b"enriched-article/1")]
MENTION_HEADERS = [("content-type", b"application/json"), ("schema", b"entity-mention/1")]


@dataclass(slots=True)
class OutRecord:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    output: str = "other"  # the record's role, for metrics: enriched | dead_letter | mentions
    received_at: float | None = None  # epoch seconds the input was received (enriched record)
    partition: int | None = None  # None: the producer's partitioner picks it from the key
    timestamp_ms: int | None = None  # None: the producer's clock when it takes the record


@dataclass(slots=True)
class Outcome:
    status: str  # "enriched" | "dead_letter"
    records: list[OutRecord]
    article_id: str | None = None
    reason: str | None = None
    event: dict | None = None  # the enriched event, for metrics and derived topics


class ArticleHandler:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def handle(
        self,
        value: bytes | None,
        key: bytes | None,
        headers: list[tuple[str, bytes]] | None,
        position: InputPosition,
    ) -> Outcome:
        received_at = datetime.now(timezone.utc)
        metrics.ARTICLES_CONSUMED.inc()
        stage = "decode"
        try:
            raw = decode(value, headers, max_bytes=self.settings.max_message_bytes)
            stage = "enrich"
            event = enrich(raw, Context(received_at=received_at, position=position,
                                        date_conventions=self.settings.date_conventions))
            stage = "serialize"
            payload = orjson.dumps(event)
            if len(payload) > self.settings.max_output_bytes:
                raise EnrichmentError(
                    f"enriched event is {len(payload)} bytes, limit is {self.settings.max_output_bytes}",
                    stage="serialize", reason="output_too_large",
                )
        except EnrichmentError as exc:
            return self.dead_letter(value, key, headers, position, exc, exc.stage, exc.reason)
        except Exception as exc:  # a defect, not bad input: still never lose the message
            log.exception("unexpected error in stage %s at %s", stage, position)
            return self.dead_letter(value, key, headers, position, exc, stage, "internal_error")
        article_id = event["article_id"]
        metrics.observe_enriched(event)
        out = [OutRecord(self.settings.enriched_topic, article_id.encode(), payload, list(ENRICHED_HEADERS),
                         "enriched", received_at.timestamp())]
        out.extend(OutRecord(self.settings.mentions_topic, key, value, list(MENTION_HEADERS), "mentions")
                   for key, value in mention_records(event))
        return Outcome("enriched", out, article_id=article_id, event=event)

    def dead_letter(self, value, key, headers, position, error, stage, reason) -> Outcome:
        metrics.observe_dead_letter(stage, reason)
        dlq_headers = dead_letter_headers(
            error, stage=stage, reason=reason, position=position, original_headers=list(headers or [])
        )
        record = OutRecord(self.settings.dlq_topic, key, value if value is not None else b"", dlq_headers,
                           "dead_letter")
        return Outcome("dead_letter", [record], reason=reason)

