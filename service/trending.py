"""entities.trending: mention counts per entity per tumbling window.

A faust windowed table (changelog-backed, so counts survive restarts and rebalances) counts
mentions per entity id in tumbling windows of `settings.trending_window_s`.  It reads the
workers' pre-aggregated counts (service/mention_counts.py: per entity and second of publication,
one record per partition per flush), not the ~10 `entities.mentions` records per article: each
count is sent to the partition of the entity's mention records, so every count lives on the
partition that owns the entity, and a second falls into exactly one window.

Instead of one output record per mention, windows that changed are flushed every
FLUSH_INTERVAL_S: the trending topic carries the running count of each (entity, window), the
last record for a window is its final count.  Consumers keep the newest record per
(id, window.start).  Delivery is at-least-once upstream, so a redelivered article can count twice.
"""

from __future__ import annotations

import asyncio
import logging
import math
import operator
import weakref
from datetime import datetime, timezone

import faust
import orjson
from faust.streams import _current_event
from faust.types import TP

from . import metrics
from .delivery import retry_transient
from .mention_counts import key_partition, parse_counts
from .worker import OutRecord

log = logging.getLogger(__name__)

TRENDING_SCHEMA = "entity-trending/1"
TRENDING_HEADERS = [("content-type", b"application/json"), ("schema", b"entity-trending/1")]
TABLE_NAME = "entity-mention-counts"
# Flushing at most every 2 s keeps the trending topic small (one record per busy entity per
# flush) while a dashboard still sees counts move.  Shorter for short (test) windows.
FLUSH_INTERVAL_S = 2.0
# Counts records are added to the table in batches of up to TAKE_MAX records, or what arrived
# within TAKE_WITHIN_S: one table update (and changelog record) per entity and window per batch.
# As long as the flush interval (was 0.5 s): fewer changelog records; with the workers' 0.5 s
# batches a count reaches entities.trending up to ~2 s later than before (at most ~4.5 s).
TAKE_MAX = 1000
TAKE_WITHIN_S = FLUSH_INTERVAL_S
# Keep each names entry only while it is useful; ids repeat, the cap bounds memory.
_NAMES_CAP = 50_000
# A batch's table changes and changelog sends give the event loop back this often, so the
# enrichment agent's articles are not held up behind a whole batch (~1 change per mention).
YIELD_EVERY = 100


class _Collected:
    """What faust's table code reads from a changelog send: `.message.partition`."""

    __slots__ = ("partition",)

    def __init__(self, partition: int) -> None:
        self.partition = partition

    @property
    def message(self) -> "_Collected":
        return self


class CountsTable(faust.Table):
    """The trending table, whose changelog records are sent by the counting agent itself.

    faust hands each table change to its producer buffer one FutureMessage at a time (~1 change
    per mention: most entities are mentioned once per batch), and, while that buffer holds more
    than 100 records, holds back *every* message the worker consumes, articles included, until
    it has drained.  In the worker that was the end-to-end latency tail: every batch of counts
    stopped the articles for 100-400 ms (bench.trace_latency with bench.traced_worker).  Here
    the changes of a batch are collected, serialized exactly as faust serializes them, and sent
    by the agent straight to the producer before the batch is acked, so faust's commit (which
    flushes the producer first) still covers them; nothing else changes in the changelog."""

    collected: list | None = None  # [(partition, key bytes, value bytes)] while a batch is applied

    def send_changelog(self, partition, key, value, key_serializer=None, value_serializer=None):
        if self.collected is None or partition is None:
            return super().send_changelog(partition, key, value, key_serializer, value_serializer)
        topic = self.changelog_topic
        headers = topic.prepare_headers(None)
        key_bytes, headers = topic.prepare_key(key, key_serializer or self.key_serializer, None, headers)
        value_bytes, headers = topic.prepare_value(value, value_serializer or self.value_serializer, None,
                                                   headers)
        self.collected.append((partition, key_bytes, value_bytes, headers))
        return _Collected(partition)

    async def send_collected(self, records: list) -> None:
        """Hand the collected changelog records to the producer, in order.  A send that fails
        for a broker or network condition is retried with backoff (as the producer buffer does);
        a record the producer refuses is logged and dropped, as faust's buffer drops it."""
        producer = (await self.app.maybe_start_producer())._ensure_producer()
        topic = self.changelog_topic.get_topic_name()
        data = self.data
        for n, (partition, key, value, headers) in enumerate(records, 1):
            try:
                future = await retry_transient(
                    lambda: producer.send(topic, value, key=key, partition=partition,
                                          headers=list(headers.items()) if headers else None),
                    "changelog send")
            except Exception as exc:
                log.error("dropping a changelog record for %s: %r", topic, exc)
                future = None
            if future is not None:
                future.add_done_callback(lambda f, tp=TP(topic, partition): _changelog_sent(data, tp, f))
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)


def _changelog_sent(data, tp, future) -> None:
    """What faust's Table._on_changelog_sent does (at-least-once: the store keeps the offset),
    and what its sensors counted (news_enricher_records_published_total, output "other")."""
    if future.cancelled() or future.exception() is not None:
        metrics.count_published("other", ok=False)
        if not future.cancelled():
            log.error("a changelog record for %s was not delivered: %r", tp, future.exception())
        return
    metrics.count_published("other", ok=True)
    data.set_persisted_offset(tp, future.result().offset)


def window_bounds(timestamp: float, size: float) -> tuple[float, float]:
    """The tumbling window [start, end) holding `timestamp` (epoch seconds)."""
    start = math.floor(timestamp / size) * size
    return start, start + size


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat().replace("+00:00", "Z")


def trending_record(entity_id: str, info: dict, start: float, end: float, count: int,
                    updated_at: str | None = None, window: dict | None = None) -> bytes:
    """One entities.trending record; a flush passes the `updated_at` and `window` it shares."""
    return orjson.dumps({
        "schema": TRENDING_SCHEMA,
        "id": entity_id,
        "type": info.get("type"),
        "name": info.get("name"),
        "window": window or {"start": _iso(start), "end": _iso(end), "size_seconds": end - start},
        "count": count,
        "updated_at": updated_at or _iso(datetime.now(timezone.utc).timestamp()),
    })


def window_size(settings) -> float:
    """The trending window in whole seconds (faust computes window ranges in whole seconds; the
    per-second counts need it too); 0: trending is off."""
    return float(max(1, round(settings.trending_window_s))) if settings.trending_window_s > 0 else 0.0


def trending_enabled(settings) -> bool:
    return window_size(settings) > 0


def install_trending(app, settings, counts_topic) -> None:
    size = window_size(settings)
    if size <= 0:
        log.info("trending disabled (window %s s)", size)
        return
    app.output_topics.add(settings.trending_topic)
    # Old windows leave the table (and its changelog) after two window lengths.
    counts = app.tables.add(CountsTable(
        app, name=TABLE_NAME, default=int, beacon=app.tables.beacon, partitions=settings.topic_partitions,
        key_type=str, value_type=int, help="Entity mention counts per tumbling window.",
    )).tumbling(size, expires=2 * size).relative_to_stream()
    names: dict[str, dict] = {}  # entity id -> {"type", "name"}, from the latest mention
    dirty: dict[tuple[str, float], tuple[float, int]] = {}  # (id, start) -> (end, count)

    table = counts.table

    async def count_batch(events) -> None:
        batch: dict[tuple[str, float], list] = {}  # (id, window start) -> [count, last event, end]
        for event in events:
            try:
                rows = parse_counts(event.value)
            except ValueError as exc:
                log.warning("skipping a record at %s: %s", event.message.tp, exc)
                continue
            for key, second, count, kind, name in rows:
                if len(names) >= _NAMES_CAP and key not in names:
                    names.pop(next(iter(names)))
                names[key] = {"type": kind, "name": name}
                start, end = window_bounds(second, size)
                group = batch.get((key, start))
                if group is None:
                    batch[(key, start)] = [count, event, end]
                else:
                    group[0] += count
                    group[1] = event
        changelog = table.collected = []
        try:
            for n, ((key, start), (count, event, end)) in enumerate(batch.items(), 1):
                # faust writes a table change to the changelog partition of the *current*
                # event (the counts record's own partition, the entity's), which take_events
                # leaves unset.
                token = _current_event.set(weakref.ref(event))
                try:
                    table._apply_window_op(operator.add, key, count, start)  # the window from `start`
                    dirty[(key, start)] = (end, table._windowed_timestamp(key, start))
                finally:
                    _current_event.reset(token)
                if n % YIELD_EVERY == 0:
                    # ~20 us per change: a batch of ~1,000 held the articles up for 20-70 ms.
                    # Only this agent writes the table; a flush in between sends the counts
                    # so far and the rest at its next run.
                    await asyncio.sleep(0)
        except Exception:
            # A misconfiguration (faust refuses a counts topic whose partition count differs
            # from the changelog's) would otherwise crash the agent; a crash while the worker
            # stops, when a batch is flushed, left it hanging.  Say so loudly and go on.
            log.exception("could not count a batch of %d counts records", len(events))
        finally:
            table.collected = None
        # Before faust acks this batch's records: the commit of their offsets flushes the
        # producer, these changelog records included.
        await table.send_collected(changelog)

    @app.agent(counts_topic, name="count-entity-mentions")
    async def count_mentions(stream):
        # In batches: one table update (and changelog record) per entity and window per batch.
        # faust acks a batch's records after this body has handled it.
        async for events in stream.take_events(TAKE_MAX, within=TAKE_WITHIN_S):
            counting = asyncio.ensure_future(count_batch(events))
            try:
                await asyncio.shield(counting)
            except asyncio.CancelledError:
                # Stopped while a batch is counted (it gives the loop back as it goes): finish
                # it first.  faust acks the batch's records as the agent stops, and the final
                # commit must not pass records whose changes never reached the changelog.
                await asyncio.wait([counting])
                raise

    @app.timer(interval=min(FLUSH_INTERVAL_S, max(0.2, size / 5)))
    async def flush_trending() -> None:
        if not dirty:
            return
        batch = list(dirty.items())
        dirty.clear()
        # Straight to the producer, as the worker sends its records (faust's Topic.send costs
        # ~60 us per record); metrics.watch_record counts them.  The timestamps are formatted
        # once per flush, not per record.
        producer = (await app.maybe_start_producer())._ensure_producer()
        updated_at = _iso(datetime.now(timezone.utc).timestamp())
        windows: dict[float, dict] = {}
        stopped = False
        for n, ((entity_id, start), (end, count)) in enumerate(batch, 1):
            if n % YIELD_EVERY == 0 and not stopped:
                # ~1,000 records a flush at 90 articles/s: not all in one step of the event loop
                # (the counts taken meanwhile go to the next flush, after this one).  A stop
                # meanwhile lets this flush finish, as it did when it never gave the loop back.
                try:
                    await asyncio.sleep(0)
                except asyncio.CancelledError:
                    stopped = True
            window = windows.get(start)
            if window is None:
                window = windows[start] = {"start": _iso(start), "end": _iso(end), "size_seconds": end - start}
            record = OutRecord(settings.trending_topic, entity_id.encode(),
                               trending_record(entity_id, names.get(entity_id, {}), start, end, count,
                                               updated_at, window),
                               list(TRENDING_HEADERS), "trending")
            future = await producer.send(record.topic, record.value, key=record.key, headers=record.headers,
                                         partition=key_partition(producer, record.topic, record.key))
            metrics.watch_record(record, future)
        if stopped:
            raise asyncio.CancelledError()
