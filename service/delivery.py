"""Delivery bookkeeping for at-least-once: which input messages may be committed, and when.

`DeliveryWindow` acks a raw message only after the broker acknowledged every record produced
for it; `GuardedConsumer` makes sure faust commits nothing else (faust acks messages it skipped
while pausing, and lets a commit pass a one-message hole).  app.py wires these into faust.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

import faust
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import IllegalStateError, KafkaError, KafkaTimeoutError
from faust.exceptions import ConsumerNotStarted
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from faust.transport.producer import ProducerBuffer

from .mention_counts import CountsNotDelivered
from .model import InputPosition

log = logging.getLogger("news_enricher")

# Longest a stop or a partition revocation waits for outstanding records (the rebalance itself
# allows about the session timeout); what is not settled by then is not acked, so it is read
# again after the restart: duplicates, never loss.
DRAIN_TIMEOUT_S = 20.0
# A partition re-read from a skipped message is not re-read again for the same hole sooner than
# this: the fetch after a seek needs a moment, and the hole is only closed once it is processed.
# A partition that waits this long for the record it was sought to is sought there again.
REWIND_RETRY_S = 10.0
# Longer than the producer's own retries over a broker restart (seconds): a message whose records
# have waited this long means the producer is stuck, and /healthz says so.
STUCK_DELIVERY_S = 180.0
# Backoff for buffered (changelog) sends while the broker is away.
BUFFER_RETRY_FIRST_S = 0.5
BUFFER_RETRY_MAX_S = 5.0
# How long a starting app waits for a topic it created to appear in the broker's metadata.
TOPIC_WAIT_S = 10.0


class RetryingProducerBuffer(ProducerBuffer):
    """faust's buffer for records sent without awaiting (table changelogs, `send_soon`).

    faust's version sends them from one background task that dies on the first send error (a
    send can fail while the broker is away), after which the buffer only grows ("producer buffer
    full") and every commit, which flushes the producer first, waits forever.  Here a send that
    fails for a broker or network condition is retried with backoff, and any other failure is
    reported on the record's own future; the task keeps going."""

    @ProducerBuffer.task  # replaces the base class's task of the same name
    async def _handle_pending(self) -> None:
        get_pending = self.pending.get
        while not self.should_stop:
            fut = await get_pending()
            try:
                await retry_transient(lambda: self._send_pending(fut), "buffered send", lambda: self.should_stop)
            except Exception as exc:
                log.error("dropping a buffered record for %s: %r", fut.message.channel, exc)
                if not fut.done():
                    fut.set_exception(exc)
            self.message_sent.set()


async def retry_transient(send, what: str, stopping=lambda: False):
    """`await send()` and return its result; a failure for a broker or network condition is
    retried with backoff (BUFFER_RETRY_FIRST_S doubling to BUFFER_RETRY_MAX_S) until it succeeds
    or `stopping()` turns true (then None, nothing sent); any other failure is raised."""
    delay = BUFFER_RETRY_FIRST_S
    while not stopping():
        try:
            return await send()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not _transient(exc.__cause__ or exc) and not _transient(exc):
                raise
            log.warning("%s failed (%r); retrying in %.1f s", what, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, BUFFER_RETRY_MAX_S)
    return None


class IdempotentProducer(faust_aiokafka.Producer):
    """faust enables idempotence only for exactly-once; we want it for at-least-once too, so
    broker-side retries never write a record twice.  Its buffer retries (RetryingProducerBuffer)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.buffer = RetryingProducerBuffer(loop=self.loop, beacon=self.beacon)
        self.buffer.app = self.app

    def _settings_extra(self):
        return {"acks": "all", "enable_idempotence": True}

    async def on_start(self) -> None:
        await super().on_start()
        # aiokafka's client asks for the metadata of *every* topic while its tracked-topic set is
        # empty, and the first send that finds its topic missing from the metadata (a broker
        # restarting answers with part of them) narrows that set to this one topic.  Metadata for
        # the others then vanishes, their queued batches wait for a leader forever, and a full
        # DeliveryWindow sends nothing that would add them back: the producer stalled after 3 of
        # 15 broker restarts.  With the set never empty, a topic is only ever added.  (Set once
        # the client is bootstrapped, before any send: earlier it has no broker to ask.)
        if self._producer is not None:
            self.track_output_topics(self._producer)

    def track_output_topics(self, producer) -> None:
        topics = getattr(self.app, "output_topics", None)
        if topics:
            producer.client.set_topics(sorted(topics))


# faust's consumer asks the broker to hold an empty fetch for up to 1.5 s.  aiokafka keeps one
# fetch in flight per broker, built from the partitions that had nothing buffered, so a record
# arriving on another partition waits until that fetch returns: up to 1.5 s of end-to-end
# latency at low rates.  Fetches of an idle worker are cheap; latency is not.
FETCH_MAX_WAIT_MS = 100


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport):
        consumer = super()._create_worker_consumer(transport)
        # read when the consumer starts
        consumer._fetch_max_wait_ms = getattr(self.app, "fetch_max_wait_ms", FETCH_MAX_WAIT_MS)
        consumer._fetch_min_bytes = getattr(self.app, "fetch_min_bytes", 1)
        return consumer

    async def _fetch_records(self, consumer, active_partitions, timeout=None, max_records=None):
        records = await super()._fetch_records(consumer, active_partitions, timeout=timeout,
                                               max_records=max_records)
        # Taken from aiokafka's buffers just now, on this thread, after the seeks counted so far
        # (GuardedConsumer._seek counts them here too): which reading the batch belongs to.
        guarded = self.consumer
        if isinstance(guarded, GuardedConsumer):
            guarded.fetched_after(getattr(guarded, "_seeks", 0))
        return records


class GuardedConsumer(faust_aiokafka.Consumer):
    """Only offsets our DeliveryWindow settled become committable on the raw topic.

    faust acks an event it *skips* (fetched, but flow control was paused for a stop or a
    rebalance) so that lag does not grow; with our manual acks that would commit a message that
    was never enriched.  Measured: 2 of 2,000 articles lost across a SIGTERM before this guard."""

    def _new_consumer_thread(self):
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def on_partitions_revoked(self, revoked) -> None:
        """faust forgets the committed offsets, acks and offset gaps of revoked partitions
        *before* it calls the app's handlers, and one of those (app.py) drains the DeliveryWindow
        and commits.  Without a committed offset the hole check in `_new_offset` is off, so that
        commit went past a message skipped earlier and not yet re-read (its acks were forgotten
        too, so the commit started at the first message the drain acked): articles were lost
        when a group member left.  Here the handlers run with the bookkeeping in place, and the
        revoked partitions are forgotten after them, ours (holes, rewinds) included."""
        kept = {}
        for tp in revoked:
            kept[tp] = (self._committed_offset.get(tp), self._acked.get(tp), self._acked_index.get(tp),
                        self._gap.get(tp))
        handlers = self._on_partitions_revoked

        async def with_bookkeeping(revoked_) -> None:
            for tp, (committed, acked, acked_index, gap) in kept.items():
                if committed is not None:
                    self._committed_offset[tp] = committed
                if acked is not None:
                    self._acked[tp] = acked
                    self._acked_index[tp] = acked_index if acked_index is not None else set(acked)
                if gap is not None:
                    self._gap[tp] = gap
            await handlers(revoked_)

        self._on_partitions_revoked = with_bookkeeping
        try:
            await super().on_partitions_revoked(revoked)
        finally:
            self._on_partitions_revoked = handlers
            self.forget_partitions(revoked)

    def forget_partitions(self, tps) -> None:
        """Drop the offset bookkeeping of partitions this member no longer reads."""
        _ = self.holes  # creates the rewind bookkeeping on first use
        for tp in tps:
            for table in (self._gap, self._acked, self._acked_index, self._read_offset, self._committed_offset,
                          self._holes, self._rewound, self._rewinding, self._sought):
                table.pop(tp, None)

    async def _seek(self, partition, offset: int) -> None:
        # aiokafka's consumer lives on faust's consumer thread, and faust's plain seek calls it
        # from this one, racing that thread's fetch: once the fetcher crashed on it (KeyError in
        # aiokafka's Fetcher.fetched_records right after a rebalance's seeks, member-leaves
        # scenario in a CI run) and the worker exited.  Seek on the consumer's own thread, as
        # faust does for seek_to_committed and commits.
        _ = self.holes  # creates the rewind bookkeeping on first use
        thread = self._thread
        await thread.call_thread(self._seek_on_thread, thread._ensure_consumer(), partition, offset)

    def _seek_on_thread(self, consumer, partition, offset: int) -> None:
        consumer.seek(partition, offset)
        # Counted on the consumer's thread, in order with what the fetch takes from aiokafka's
        # buffers (ConsumerThread._fetch_records): records taken from now on are read from
        # `offset` (see getmany).  A fetch may have begun before the seek and still return them.
        self._seeks += 1
        self._sought[partition] = self._seeks

    def fetched_after(self, seeks: int) -> None:
        """The batch getmany hands out next was taken from aiokafka after `seeks` seeks."""
        self._batch_after = seeks

    async def _getmany(self, active_partitions, timeout):
        _ = self.holes  # creates the rewind bookkeeping on first use
        records = await super()._getmany(active_partitions, timeout)
        if records and not self.flow_active:
            # A fetch that began before a rebalance stopped the flow waits in aiokafka until the
            # new assignment is in place and then returns records of it: for a table recovery,
            # records of the changelog partitions it has just sought.  faust drops a batch that
            # comes back while its flow is stopped and seeks only to the group's committed
            # offsets, which changelog partitions do not have: those records were gone, the
            # recovery waited for them for good and no partition was read again (issue 8: the
            # remaining worker stalled after the other left, "No event received for active tp
            # ... since recovery start").  Put every partition of the batch back to its first
            # record.
            await self._unfetch(records)
            return {}
        return records

    async def _unfetch(self, records) -> None:
        assignment = self.assignment()
        for tp, batch in records.items():
            if batch and tp in assignment:
                try:
                    await self._seek(tp, batch[0].offset)
                except IllegalStateError:  # unassigned meanwhile
                    pass

    def ack(self, message) -> bool:
        window = getattr(self.app, "delivery_window", None)
        if window is not None and message.topic == window.topic and not window.take_settled(message):
            # not enriched here: leave the gap, the message is read again
            log.info("not committing %s offset %d: skipped by faust, not enriched", message.tp, message.offset)
            return False
        return super().ack(message)

    def _new_offset(self, tp):
        # faust lets a commit pass a one-message hole right after the committed offset (its check
        # is `min(acked) - committed > 1`, but `committed` is already the next offset to read).
        # A message faust skipped while pausing for a stop makes exactly such a hole: 3 of 2,000
        # articles were lost across a SIGTERM that way.  Holes that are offset gaps the fetcher
        # saw (transaction markers, compaction) stay committable.
        acked = self._acked[tp]
        committed = self._committed_offset[tp]
        if acked and committed is not None:
            first = min(acked)
            if first > committed and not self._gap_covers(tp, committed, first):
                # Acks are in input order, so the hole is a message the agent never saw: read
                # the partition again from there (the messages after it come out twice).
                self.holes[tp] = committed
                return None
        return super()._new_offset(tp)

    async def perform_seek(self) -> None:
        """faust seeks every partition back to its committed offset after each rebalance (and
        when it fetches while paused).  Two things go wrong around it on the input topic:

        - A partition with no committed offset yet is left where the fetcher happened to be and
          gets no committed position, so no hole check applies: a message skipped during the
          first rebalance was lost that way (3 of 2,000 when a member left).  Such partitions
          are sought to their first offset, which becomes their committed position.
        - faust's fetch loop keeps handing out records while the seek is under way (at start-up
          its flow is already running for the table recovery), with no committed position yet,
          and afterwards it hands out the rest of the batch fetched before the seek.  Its read
          offset and offset-gap bookkeeping then describe the old reading, not the new one: 3 of
          2,000 articles were lost across a SIGTERM restart that way.  So records of the input
          topic are held back during the seek, the bookkeeping of the old reading is dropped,
          and every partition waits for the record at its committed offset, like a rewind;
          once the hold ends, each is sought there again (what was held back is fetched again)."""
        window = getattr(self.app, "delivery_window", None)
        targets: dict = {}
        self._seeking = True
        try:
            await super().perform_seek()
            if window is not None and self.app.conf.consumer_auto_offset_reset == "earliest":
                await self._seek_fresh_partitions(window.topic)
            if window is not None:
                now = asyncio.get_running_loop().time()
                _ = self.holes  # creates the rewind bookkeeping on first use
                for tp in self.assignment():
                    committed = self._committed_offset.get(tp)
                    if tp.topic != window.topic or committed is None:
                        continue
                    # Acks and gaps of what the old reading handed out; what was really
                    # enriched and not committed is read and enriched again (duplicates, never
                    # loss).
                    self._acked[tp].clear()
                    self._acked_index[tp].clear()
                    self._gap.pop(tp, None)
                    self._holes.pop(tp, None)  # superseded by this seek
                    self._rewound[tp] = (committed, now)
                    self._rewind_to(tp, committed, now)
                    targets[tp] = committed
        finally:
            self._seeking = False
        # Records fetched while the seek was under way were passed over, and the fetch position
        # moved past them; when they were the rest of the partition, the record each partition
        # waits for never came again and the partition stalled (two of the four scenarios in
        # one run under load: partitions taken over after a SIGKILL or a member leaving).  Seek
        # once more.
        for tp, committed in targets.items():
            await self.seek(tp, committed)

    async def _seek_fresh_partitions(self, topic: str) -> None:
        fresh = [tp for tp in self.assignment()
                 if tp.topic == topic and self._committed_offset.get(tp) is None]
        if not fresh:
            return
        earliest = await self.earliest_offsets(*fresh)
        for tp in fresh:
            offset = earliest.get(tp)
            if offset is not None:
                await self.seek(tp, offset)
                self._committed_offset[tp] = offset

    @property
    def holes(self) -> dict:
        try:
            return self._holes
        except AttributeError:
            self._holes: dict = {}
            self._rewound: dict = {}  # tp -> (hole offset, loop time of the last seek to it)
            self._rewinding: dict = {}  # tp -> (offset it waits for, loop time to seek there again)
            self._seeks = 0  # seeks done so far (counter)
            self._sought: dict = {}  # tp -> the number of its last seek, once it is done
            self._batch_after = 0  # the batch being handed out was fetched after this many seeks
            return self._holes

    def _rewind_to(self, tp, offset: int, now: float) -> None:
        """Wait for the record at `offset` of `tp`; the caller seeks there."""
        _ = self.holes  # creates the rewind bookkeeping on first use
        self._rewinding[tp] = (offset, now + REWIND_RETRY_S)
        self._sought.pop(tp, None)  # records count as re-read only once that seek is done

    async def retry_rewinds(self, now: float) -> None:
        """Seek again each partition that waited REWIND_RETRY_S for the record it was sought to.

        getmany passes over a partition's records until the one at its target comes back, which
        takes a seek that holds: if something moves the fetch position past the target instead
        (what a fetch brought while a seek was under way, a second seek to the committed offsets
        racing the first), the record never comes back.  The wait used to end after
        REWIND_RETRY_S by taking whatever record came next: that skipped the target (a hole, so
        the commit stopped there until a later rewind), and when no record came at all, because
        everything up to the end of the partition had been passed over, the partition could stay
        at its committed offset for good.  Now the partition is sought there again (in the
        member-leaves loop, taken-over partitions waited the full 10 s in about one run in
        five before the seeks and fetches were ordered on the consumer thread)."""
        if not self.holes and not self._rewinding:
            return
        due = [tp for tp, (_, retry_at) in self._rewinding.items() if now >= retry_at]
        if not due or getattr(self, "_seeking", False) or getattr(self.app, "rebalancing", False):
            return  # a rebalance seeks every partition to its committed offset anyway
        try:
            assignment = self.assignment()
        except ConsumerNotStarted:
            return
        for tp in due:
            pending = self._rewinding.get(tp)
            if pending is None or tp not in assignment:
                self._rewinding.pop(tp, None)
                continue
            target = pending[0]
            try:
                highwater = self.highwater(tp)
            except IllegalStateError:  # unassigned meanwhile
                continue
            if highwater is None or highwater <= target:
                # nothing at or after the target yet: the next record is the target itself
                self._rewinding[tp] = (target, now + REWIND_RETRY_S)
                continue
            log.warning("%s: the record at offset %d did not come back within %.0f s of the seek there; "
                        "seeking again", tp, target, REWIND_RETRY_S)
            self._rewind_to(tp, target, now)
            await self.seek(tp, target)

    async def rewind_holes(self, now: float) -> None:
        """Seek each partition with a skipped message back to it, at most once per hole per
        REWIND_RETRY_S (the re-read takes a moment to arrive).  Not while a rebalance or its
        seek to the committed offsets is under way: two seeks of one partition from two tasks
        could let records of the first reading through after the second (see getmany)."""
        if getattr(self, "_seeking", False) or getattr(self.app, "rebalancing", False):
            return
        while self.holes:
            tp, offset = self.holes.popitem()
            if tp not in self.assignment():
                continue
            last = self._rewound.get(tp)
            if last is not None and last[0] == offset and now - last[1] < REWIND_RETRY_S:
                continue
            self._rewound[tp] = (offset, now)
            self._rewind_to(tp, offset, now)
            log.warning("re-reading %s from offset %d: a message there was skipped during a pause", tp, offset)
            await self.seek(tp, offset)

    async def getmany(self, timeout: float):
        """faust's fetch loop, made to honour seeks on the input topic.

        Records fetched before a seek are still handed out after it, and each one moves faust's
        read offset past the seek target again, so faust then drops the re-read as already seen
        (a rewind to a hole failed most of the time).  So a partition sought to a target (after
        a rebalance, or back to a hole) has its records passed over until a batch fetched after
        that seek was done: it starts at the target, and its first record is the re-read even
        when its offset is higher (the offsets between hold no message, e.g. a transaction
        marker).  During a seek to the committed offsets all records of the input topic are
        passed over.  A partition whose target does not come is sought again (retry_rewinds).

        The record *at* the target is not taken from a batch fetched before the seek either: in
        a rebalance with table recovery, records handed out while perform_seek re-seeks the
        partitions went into the agent's queue, which faust's flow-control resume right after
        the seek clears, so they were never processed; then the re-seek set faust's read offset
        back to the target while that old batch went on, faust took the jump for an offset gap
        (like a transaction marker's) and the commit went past the dropped message: articles
        lost when a group member left (issue 8)."""
        _ = self.holes  # creates the rewind bookkeeping on first use
        rewinding = self._rewinding
        window = getattr(self.app, "delivery_window", None)
        input_topic = window.topic if window is not None else None
        async for tp, message in super().getmany(timeout):
            if tp.topic == input_topic and getattr(self, "_seeking", False):
                continue
            pending = rewinding.get(tp)
            if pending is not None:
                target = pending[0]
                sought = self._sought.get(tp)
                fetched_after_seek = sought is not None and self._batch_after >= sought
                if not fetched_after_seek or message.offset < target:
                    continue
                del rewinding[tp]
                self._read_offset[tp] = message.offset  # accept the re-read
            yield tp, message

    def _gap_covers(self, tp, start: int, end: int) -> bool:
        """True if every offset in [start, end) is a known gap in the partition's offsets."""
        position = start
        for interval in sorted(self._gap[tp].overlap(start, end), key=lambda i: i.begin):
            if interval.begin > position:
                return False
            position = max(position, interval.end)
        return position >= end


class Transport(faust_aiokafka.Transport):
    Producer = IdempotentProducer
    Consumer = GuardedConsumer


class EnricherApp(faust.App):
    """A faust App whose producer is idempotent and tracks the metadata of `output_topics` (the
    topics it writes; table changelogs are added on their first send)."""

    output_topics: set[str]
    # How the consumer fetches: answer as soon as one record is there, or after this wait.
    fetch_min_bytes: int = 1
    fetch_max_wait_ms: int = FETCH_MAX_WAIT_MS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.output_topics = set()
        # Topics this app consumes but may have to create itself (name -> partitions): created
        # before faust's consumer starts (see create_topics_first).
        self.topics_to_create: dict[str, int] = {}

    async def on_first_start(self) -> None:
        await super().on_first_start()
        if self.topics_to_create:
            await self.create_topics_first(self.topics_to_create)

    async def create_topics_first(self, topics: dict[str, int], wait_s: float = TOPIC_WAIT_S) -> None:
        """Create `topics` if missing and wait until the broker's metadata shows them.

        faust declares an internal topic just before its consumer subscribes; a topic created
        then is often not yet in the metadata the group's assignment is computed from, and its
        partitions are only assigned at the next metadata refresh, minutes later (seen with the
        mention-counts topic: a benchmark run counted nothing).  A failure here is logged: faust's
        own declaration remains."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=[f"{url.host}:{url.port or 9092}" for url in self.conf.broker],
            client_id=self.conf.broker_client_id,
            **credentials_to_aiokafka_auth(self.conf.broker_credentials),
        )
        try:
            await admin.start()
            await admin.create_topics([NewTopic(name, partitions, self.conf.topic_replication_factor or 1)
                                       for name, partitions in topics.items()])
            deadline = time.monotonic() + wait_s
            while True:
                described = await admin.describe_topics(list(topics))
                if all(t["error_code"] == 0 and t["partitions"] for t in described):
                    return
                if time.monotonic() > deadline:
                    log.warning("topics %s not in the broker's metadata after %.0f s", sorted(topics), wait_s)
                    return
                await asyncio.sleep(0.2)
        except Exception as exc:
            log.warning("could not create %s before starting (%r); faust declares them", sorted(topics), exc)
        finally:
            await admin.close()

    def _new_transport(self):
        return Transport(self.conf.broker_consumer, self)


class DeliveryWindow:
    """FIFO of messages whose output records are on their way to the broker.

    A message is acked in input order once all its records are acknowledged.  A record the
    broker refuses is replaced by a dead-letter record for its message; if even that fails the
    worker stops without acking, so the message is read again after a restart.
    """

    def __init__(self, max_in_flight: int, on_fatal=None, topic: str | None = None) -> None:
        self.max_in_flight = max_in_flight
        self.topic = topic  # the input topic whose acks GuardedConsumer checks
        self.settled: set[tuple[int, int]] = set()  # (partition, offset) acked by us, not yet seen by the consumer
        self.pending: deque = deque()
        self.stream = None
        self.on_fatal = on_fatal  # called (app.crash) when a message can be neither sent nor dead-lettered
        # The worker's MentionCounter: a message waited on by settle_oldest (window full, drain)
        # may be in its open batch, which is then flushed at once instead of at the next timer.
        self.counter = None
        self._lock = asyncio.Lock()
        self._idle = asyncio.Event()
        self._idle.set()

    def take_settled(self, message) -> bool:
        """True (once) if this window acked the message itself."""
        key = (message.partition, message.offset)
        if key in self.settled:
            self.settled.discard(key)
            return True
        return False

    def busy(self) -> None:
        self._idle.clear()

    def idle(self) -> None:
        self._idle.set()

    async def drain_all(self) -> None:
        """Let the agent finish its current message, then settle everything outstanding."""
        await self._idle.wait()
        await self.drain()

    def __len__(self) -> int:
        return len(self.pending)

    def oldest_pending_s(self) -> float:
        """How long the oldest message has waited for the broker to acknowledge its records
        (0 when none waits).  /healthz fails past STUCK_DELIVERY_S: a producer that stopped
        sending (seen once after a broker restart) needs a restart, and nothing is lost by one."""
        return time.monotonic() - self.pending[0][5] if self.pending else 0.0

    async def add(self, event, outcome, futures, send, handler) -> None:
        self.pending.append((event, outcome, futures, send, handler, time.monotonic()))
        await self.settle_ready()
        while len(self.pending) > self.max_in_flight:
            await self.settle_oldest()

    async def settle_ready(self) -> None:
        async with self._lock:
            while self.pending and all(f.done() for f in self.pending[0][2]):
                await self._settle(self.pending.popleft())

    async def settle_oldest(self) -> None:
        async with self._lock:
            if self.pending:
                if self.counter is not None and self.counter.pending(self.pending[0][2]):
                    await self.counter.flush()
                await self._settle(self.pending.popleft())

    async def drain(self) -> None:
        while self.pending:
            await self.settle_oldest()

    async def _settle(self, item) -> None:
        event, outcome, futures, send, handler, _added = item
        try:
            for future in futures:  # in order, as gather reports the first failure
                if not future.done() or future.cancelled() or future.exception() is not None:
                    await asyncio.gather(*futures)
                    break
        except Exception as exc:
            if outcome.status == "dead_letter" or _transient(exc) or isinstance(exc, CountsNotDelivered):
                # The dead-letter topic itself is unwritable, the broker is unreachable beyond
                # the producer's own retries, or the batch of mention counts this message is in
                # was not delivered: stop without acking, so this message (and everything after
                # it) is read again after the restart.
                log.error("cannot deliver the records of %s: %r; stopping without ack",
                          position_of(event.message), exc)
                if self.on_fatal is not None:
                    await self.on_fatal(exc)
                raise
            # The broker refused this record (e.g. too large): dead-letter the message.
            log.warning("publishing the enriched event failed (%r); dead-lettering the message", exc)
            message = event.message
            fallback = handler.dead_letter(
                message.value, message.key, list(message.headers or ()), position_of(message),
                exc, "publish", "publish_failed",
            )
            for record in fallback.records:
                await (await send(record))
        message = event.message
        self.settled.add((message.partition, message.offset))
        await self.stream.ack(event)
        self.settled.discard((message.partition, message.offset))  # normally taken by the ack already


def position_of(message) -> InputPosition:
    timestamp_ms = int(message.timestamp * 1000) if message.timestamp else None
    return InputPosition(message.topic, message.partition, message.offset, timestamp_ms)


def _transient(exc: BaseException) -> bool:
    """A broker-side or network condition, not something wrong with this record."""
    return isinstance(exc, KafkaTimeoutError) or (isinstance(exc, KafkaError) and exc.retriable)
