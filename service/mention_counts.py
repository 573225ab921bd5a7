"""Mention counts for the trending table, pre-aggregated by the worker that found the mentions.

Before, the trending table consumed `entities.mentions` itself: ~10 records per article read back
through faust (fetch, an Event each, acks), most of the worker's cost beyond enrichment.  Now the
worker also adds each article's entities to a `MentionCounter` and every FLUSH_INTERVAL_S sends
one record per partition of the internal counts topic (`NEWS_ENRICHER_MENTION_COUNTS_TOPIC`)
holding `[entity id, second, count, type, name]` rows: how often the entity was mentioned in
articles published in that whole second (epoch).  Every row goes to the partition the entity's
mention records go to (the producer's default partitioner over the entity id, murmur2, with the
counts topic's partition count, which equals the mentions topic's), so each count still lives on
the partition that owns the entity, with one worker or many.  Trending windows are whole seconds
long and aligned to whole seconds, so a per-second row falls into exactly one window: counts stay
exact per window whatever window size the trending table uses.

At least once: an article's records include the future of the counts batch it was added to,
so the article is acked (and its offset committed) only after its counts records were
acknowledged too; an article read again after a crash is counted again, as a redelivered
mention record was before.  A counts record that cannot be delivered stops the worker without
acking (`CountsNotDelivered`): losing counts silently would make every window wrong.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

import orjson
from aiokafka.partitioner import murmur2

log = logging.getLogger(__name__)

COUNTS_SCHEMA = "entity-mention-counts/1"
COUNTS_HEADERS = [("content-type", b"application/json"), ("schema", COUNTS_SCHEMA.encode())]
# How long an article's counts may wait for the next counts record; its input offset is
# committed only after that, which the commit interval (1 s) hides.
FLUSH_INTERVAL_S = 0.5
# A batch is flushed early when it holds this many articles (or max_in_flight, if smaller).
MAX_ARTICLES_PER_BATCH = 250


class CountsNotDelivered(Exception):
    """A counts record was refused or timed out: stop without acking (see module docstring)."""


# aiokafka's murmur2 is pure Python (~15 us per id) and ran for every mention record, trending
# record and counts row; entity ids repeat, so their hashes are kept (reset when this many).
_HASHES: dict[bytes, int] = {}
_HASHES_CAP = 100_000


def key_hash(key: bytes) -> int:
    """murmur2(key) & 0x7fffffff, as aiokafka's DefaultPartitioner computes it, cached."""
    value = _HASHES.get(key)
    if value is None:
        if len(_HASHES) >= _HASHES_CAP:
            _HASHES.clear()
        value = _HASHES[key] = murmur2(key) & 0x7FFFFFFF
    return value


def partition_for(entity_id: str, partitions: int) -> int:
    """The partition aiokafka's default partitioner picks for a record keyed by `entity_id`."""
    return key_hash(entity_id.encode()) % partitions


def key_partition(producer, topic: str, key: bytes) -> int | None:
    """The partition aiokafka's default partitioner would pick for `key` on `topic` (Kafka
    partitions are numbered 0..n-1, the partitioner takes index hash % n of them); None while
    the producer has no metadata for the topic (it then picks the partition itself)."""
    partitions = producer.client.cluster.partitions_for_topic(topic)
    if not partitions:
        return None
    return key_hash(key) % len(partitions)


def counts_value(rows: list[list]) -> bytes:
    return orjson.dumps({"schema": COUNTS_SCHEMA, "counts": rows})


def parse_counts(value: bytes) -> list[tuple[str, int, int, str | None, str | None]]:
    """Rows of a counts record; raises ValueError for a record that is not one."""
    try:
        record = orjson.loads(value)
        rows = record["counts"]
        return [(str(r[0]), int(r[1]), int(r[2]), r[3], r[4]) for r in rows]
    except (orjson.JSONDecodeError, KeyError, TypeError, IndexError, ValueError) as exc:
        raise ValueError(f"not a mention-counts record: {exc!r}") from None


class MentionCounter:
    """Counts the entities of enriched articles per (entity id, second) until the next flush.

    `send(topic, partition, value)` hands one record to the producer and returns the future of
    its acknowledgement; `partitions()` returns the counts topic's partition count."""

    def __init__(self, topic: str, send: Callable[[str, int, bytes], Awaitable[asyncio.Future]],
                 partitions: Callable[[], Awaitable[int]], max_articles: int = MAX_ARTICLES_PER_BATCH) -> None:
        self.topic = topic
        self.send = send
        self.partitions = partitions
        self.max_articles = max(1, max_articles)
        self.counts: dict[tuple[str, int], list] = {}  # (id, second) -> [count, type, name]
        self.articles = 0
        self.future: asyncio.Future | None = None  # resolved when this batch is acknowledged
        self._lock = asyncio.Lock()

    @property
    def full(self) -> bool:
        return self.articles >= self.max_articles

    def add(self, event: dict, published_ms: int) -> asyncio.Future | None:
        """Count the entities of one enriched event whose mention records carry the timestamp
        `published_ms` (epoch milliseconds); the future resolves once they are in acknowledged
        counts records (None: nothing to count)."""
        entities = event.get("entities")
        if not entities:
            return None
        second = published_ms // 1000
        counts = self.counts
        for entity in entities:
            key = (entity["id"], second)
            row = counts.get(key)
            if row is None:
                counts[key] = [1, entity.get("type"), entity.get("name")]
            else:
                row[0] += 1
                row[1], row[2] = entity.get("type"), entity.get("name")  # the latest, as before
        self.articles += 1
        if self.future is None:
            self.future = asyncio.get_running_loop().create_future()
        return self.future

    def pending(self, futures) -> bool:
        """True if one of `futures` is the batch not yet flushed."""
        return self.future is not None and any(f is self.future for f in futures)

    async def flush(self) -> None:
        """Send the batch: one record per partition that has rows."""
        async with self._lock:
            if self.future is None:
                return
            counts, done = self.counts, self.future
            self.counts, self.future, self.articles = {}, None, 0
            try:
                partitions = await self.partitions()
                by_partition: dict[int, list] = {}
                for (entity_id, second), (count, kind, name) in counts.items():
                    by_partition.setdefault(partition_for(entity_id, partitions), []).append(
                        [entity_id, second, count, kind, name])
                futures = [await self.send(self.topic, partition, counts_value(rows))
                           for partition, rows in sorted(by_partition.items())]
            except Exception as exc:  # no producer, no metadata: the articles must not be acked
                done.set_exception(CountsNotDelivered(f"counts not sent: {exc!r}"))
                return
        acknowledged = asyncio.gather(*futures)

        def settle(fut) -> None:
            if done.done():
                return
            if fut.cancelled():
                done.set_exception(CountsNotDelivered("counts record cancelled"))
            elif fut.exception() is not None:
                done.set_exception(CountsNotDelivered(f"counts record not delivered: {fut.exception()!r}"))
            else:
                done.set_result(None)

        acknowledged.add_done_callback(settle)
