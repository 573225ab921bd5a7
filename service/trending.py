"""entities.trending: mention counts per entity per tumbling window, from entities.mentions.

A faust windowed table (changelog-backed, so counts survive restarts and rebalances) counts
mention records per entity id in tumbling windows of `settings.trending_window_s`, using each
record's Kafka timestamp (the time the worker published it).  The mentions topic is keyed by
entity id, so every count lives on the partition that owns the entity.

Instead of one output record per mention, windows that changed are flushed every
FLUSH_INTERVAL_S: the trending topic carries the running count of each (entity, window), the
last record for a window is its final count.  Consumers keep the newest record per
(id, window.start).  Delivery is at-least-once upstream, so a redelivered article can count twice.
"""

from __future__ import annotations

import logging
import math
import operator
import weakref
from datetime import datetime, timezone

import orjson
from faust.streams import _current_event

log = logging.getLogger(__name__)

TRENDING_SCHEMA = "entity-trending/1"
TRENDING_HEADERS = [("content-type", b"application/json"), ("schema", b"entity-trending/1")]
TABLE_NAME = "entity-mention-counts"
# Flushing at most every 2 s keeps the trending topic small (one record per busy entity per
# flush) while a dashboard still sees counts move.  Shorter for short (test) windows.
FLUSH_INTERVAL_S = 2.0
# Mention records are counted in batches of up to TAKE_MAX, or what arrived within TAKE_WITHIN_S.
TAKE_MAX = 1000
TAKE_WITHIN_S = 0.5
# Keep each names entry only while it is useful; ids repeat, the cap bounds memory.
_NAMES_CAP = 50_000


def window_bounds(timestamp: float, size: float) -> tuple[float, float]:
    """The tumbling window [start, end) holding `timestamp` (epoch seconds)."""
    start = math.floor(timestamp / size) * size
    return start, start + size


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat().replace("+00:00", "Z")


def trending_record(entity_id: str, info: dict, start: float, end: float, count: int) -> bytes:
    return orjson.dumps({
        "schema": TRENDING_SCHEMA,
        "id": entity_id,
        "type": info.get("type"),
        "name": info.get("name"),
        "window": {"start": _iso(start), "end": _iso(end), "size_seconds": end - start},
        "count": count,
        "updated_at": _iso(datetime.now(timezone.utc).timestamp()),
    })


def install_trending(app, settings, mentions_topic) -> None:
    # faust computes window ranges in whole seconds.
    size = float(max(1, round(settings.trending_window_s))) if settings.trending_window_s > 0 else 0.0
    if size <= 0:
        log.info("trending disabled (window %s s)", size)
        return
    trending_topic = app.topic(
        settings.trending_topic,
        key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
        partitions=settings.topic_partitions,
    )
    app.output_topics.add(settings.trending_topic)
    # Old windows leave the table (and its changelog) after two window lengths.
    counts = app.Table(
        TABLE_NAME, default=int, partitions=settings.topic_partitions,
        key_type=str, value_type=int, help="Entity mention counts per tumbling window.",
    ).tumbling(size, expires=2 * size).relative_to_stream()
    names: dict[str, dict] = {}  # entity id -> {"type", "name"}, from the latest mention
    dirty: dict[tuple[str, float], tuple[float, int]] = {}  # (id, start) -> (end, count)

    @app.agent(mentions_topic, name="count-entity-mentions")
    async def count_mentions(stream):
        # In batches: one table update (and changelog record) per entity and window per batch,
        # not per mention.  faust acks a batch's records after this body has handled it.
        async for events in stream.take_events(TAKE_MAX, within=TAKE_WITHIN_S):
            batch: dict[tuple[str, float], list] = {}  # (id, window start) -> [count, last event, end]
            for event in events:
                key = event.key.decode("utf-8", "replace") if event.key else None
                if not key:
                    continue
                try:
                    mention = orjson.loads(event.value)
                except orjson.JSONDecodeError:
                    log.warning("skipping a mention record that is not JSON at %s", event.message.tp)
                    continue
                if len(names) >= _NAMES_CAP and key not in names:
                    names.pop(next(iter(names)))
                names[key] = {"type": mention.get("type"), "name": mention.get("name")}
                start, end = window_bounds(event.message.timestamp, size)
                group = batch.get((key, start))
                if group is None:
                    batch[(key, start)] = [1, event, end]
                else:
                    group[0] += 1
                    group[1] = event
            try:
                for (key, start), (count, event, end) in batch.items():
                    # faust writes a table change to the changelog partition of the *current*
                    # event (the mention's own partition), which take_events leaves unset.
                    token = _current_event.set(weakref.ref(event))
                    try:
                        window = counts[key]
                        window.apply(operator.add, count, event)  # the window of this event's timestamp
                        dirty[(key, start)] = (end, window.current(event))
                    finally:
                        _current_event.reset(token)
            except Exception:
                # A misconfiguration (faust refuses a mentions topic whose partition count differs
                # from the changelog's) would otherwise crash the agent; a crash while the worker
                # stops, when a batch is flushed, left it hanging.  Say so loudly and go on.
                log.exception("could not count a batch of %d mention records", len(events))

    @app.timer(interval=min(FLUSH_INTERVAL_S, max(0.2, size / 5)))
    async def flush_trending() -> None:
        if not dirty:
            return
        batch = list(dirty.items())
        dirty.clear()
        for (entity_id, start), (end, count) in batch:
            await trending_topic.send(
                key=entity_id.encode(),
                value=trending_record(entity_id, names.get(entity_id, {}), start, end, count),
                headers=list(TRENDING_HEADERS),
            )
