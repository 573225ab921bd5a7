"""Baseline worker: the real worker with `enrich()` replaced by a lookup of its result.

Before it starts consuming, it enriches the articles bench_e2e produces for its run (the same
corpus, limit and ids: NEWS_ENRICHER_REPLAY_CORPUS, NEWS_ENRICHER_REPLAY_LIMIT, and the run's
consumer group as the id prefix) and keeps the events.  While consuming, everything else is the
worker's own code: decoding, serializing the event, the mention records, the counts, the sends,
the acks, the metrics.  So its CPU time per article is what the Kafka shell costs for the records
this product really publishes (about 11 per article): a worker costs about enrichment alone plus
this, whatever enrich() costs.  python -m bench.replay_worker  (same settings as a worker).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone

from bench.bench_e2e import enrichable, with_ids
from bench.corpus import load_corpus
from service import worker
from service.cli import main
from service.decode import decode
from service.pipeline import Context, _iso, enrich


def replay_env(corpus: str | None, limit: int) -> dict[str, str]:
    """The environment that tells a replay worker which articles the benchmark produces."""
    return {"NEWS_ENRICHER_REPLAY_CORPUS": corpus or "", "NEWS_ENRICHER_REPLAY_LIMIT": str(limit)}


def install() -> None:
    """Replace the worker's enrich() by the lookup, the events computed now."""
    worker.enrich = replaying(enriched_events())


def enriched_events() -> dict[str, dict]:
    """article id -> its enriched event, for the records bench_e2e produces in this run."""
    articles, _ = load_corpus(os.environ.get("NEWS_ENRICHER_REPLAY_CORPUS") or None,
                              int(os.environ.get("NEWS_ENRICHER_REPLAY_LIMIT", "3000")))
    events = {}
    for _, value in with_ids(enrichable(articles), os.environ["NEWS_ENRICHER_CONSUMER_GROUP"]):
        raw = decode(value)
        events[raw.article_id] = enrich(raw, Context.now())
    return events


def replaying(events: dict[str, dict]):
    def looked_up(raw, context):
        event = events.get(raw.article_id)
        if event is None:  # not precomputed: the real thing
            return enrich(raw, context)
        # this message's times and position, as enrich() would give them (trace_latency reads them)
        position = context.position
        return dict(event, received_at=_iso(context.received_at), processed_at=_iso(datetime.now(timezone.utc)),
                    input=dict(event["input"], topic=position.topic if position else None,
                               partition=position.partition if position else None,
                               offset=position.offset if position else None))

    return looked_up


if __name__ == "__main__":
    install()
    sys.exit(main(["worker"]))
