"""DeliveryWindow without Kafka: acks in input order, only after delivery; backpressure; publish
failures become dead letters or stop the worker without an ack; drains wait for the agent."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from aiokafka.errors import KafkaTimeoutError, MessageSizeTooLargeError

from service.delivery import DeliveryWindow
from service.dlq import headers_as_dict
from service.settings import Settings
from service.worker import ArticleHandler, Outcome, OutRecord


@dataclass
class Message:
    offset: int
    value: bytes = b'{"id": "a", "body": "text"}'
    key: bytes = b"a"
    topic: str = "articles.raw"
    partition: int = 0
    timestamp: float = 1764403200.0
    headers: list = field(default_factory=list)


@dataclass
class Event:
    message: Message


class Stream:
    def __init__(self) -> None:
        self.acked: list[int] = []

    async def ack(self, event) -> None:
        self.acked.append(event.message.offset)


def outcome(status: str = "enriched") -> Outcome:
    return Outcome(status, [OutRecord("articles.enriched", b"a", b"{}")])


@pytest.fixture
def window():
    w = DeliveryWindow(max_in_flight=2)
    w.stream = Stream()
    return w


async def never_send(record):
    raise AssertionError("no fallback send expected")


async def test_acks_in_input_order_only_after_delivery(window):
    loop = asyncio.get_running_loop()
    first, second = loop.create_future(), loop.create_future()
    await window.add(Event(Message(0)), outcome(), [first], never_send, None)
    second.set_result("ok")
    await window.add(Event(Message(1)), outcome(), [second], never_send, None)
    await window.settle_ready()
    assert window.stream.acked == [], "message 1 is delivered but 0 is not: nothing may be acked"
    first.set_result("ok")
    await window.settle_ready()
    assert window.stream.acked == [0, 1]
    assert len(window) == 0


async def test_a_full_window_waits_for_the_oldest(window):
    loop = asyncio.get_running_loop()
    futures = [loop.create_future() for _ in range(3)]
    await window.add(Event(Message(0)), outcome(), [futures[0]], never_send, None)
    await window.add(Event(Message(1)), outcome(), [futures[1]], never_send, None)
    third = asyncio.create_task(window.add(Event(Message(2)), outcome(), [futures[2]], never_send, None))
    await asyncio.sleep(0.01)
    assert not third.done(), "the third message must wait: max_in_flight is 2"
    futures[0].set_result("ok")
    await asyncio.wait_for(third, 1)
    assert window.stream.acked == [0] and len(window) == 2


async def test_a_refused_record_becomes_a_dead_letter_then_acks(window, monkeypatch):
    handler = ArticleHandler(Settings.from_env())
    sent: list[OutRecord] = []

    async def send(record):
        sent.append(record)
        done = asyncio.get_running_loop().create_future()
        done.set_result("ok")
        return done

    failed = asyncio.get_running_loop().create_future()
    failed.set_exception(MessageSizeTooLargeError())
    message = Message(7, value=b"original bytes", key=b"k7")
    await window.add(Event(message), outcome(), [failed], send, handler)
    await window.drain()
    [record] = sent
    assert record.topic == handler.settings.dlq_topic and record.value == b"original bytes"
    headers = headers_as_dict(record.headers)
    assert headers["news-enricher.error.reason"] == "publish_failed"
    assert headers["news-enricher.error.stage"] == "publish"
    assert headers["news-enricher.error.offset"] == "7"
    assert headers["news-enricher.error.timestamp"] == "1764403200000"
    assert window.stream.acked == [7]


@pytest.mark.parametrize("status,error", [("enriched", KafkaTimeoutError()),
                                          ("dead_letter", MessageSizeTooLargeError())])
async def test_undeliverable_stops_without_ack(status, error):
    fatal: list[BaseException] = []

    async def on_fatal(exc):
        fatal.append(exc)

    window = DeliveryWindow(max_in_flight=5, on_fatal=on_fatal)
    window.stream = Stream()
    failed = asyncio.get_running_loop().create_future()
    failed.set_exception(error)
    with pytest.raises(type(error)):
        await window.add(Event(Message(3)), outcome(status), [failed], never_send, None)
        await window.drain()
    assert fatal and window.stream.acked == [], "an undeliverable message must not be acked"


async def test_drain_waits_for_the_message_being_enriched(window):
    loop = asyncio.get_running_loop()
    window.busy()
    drained = asyncio.create_task(window.drain_all())
    await asyncio.sleep(0.01)
    assert not drained.done()
    future = loop.create_future()
    await window.add(Event(Message(0)), outcome(), [future], never_send, None)
    window.idle()
    await asyncio.sleep(0.01)
    assert not drained.done(), "the drain also waits for the delivery of that message"
    future.set_result("ok")
    await asyncio.wait_for(drained, 1)
    assert window.stream.acked == [0]


async def test_only_messages_settled_here_count_as_acked():
    """GuardedConsumer asks take_settled() during the ack: true for a message this window
    settled, false for one faust skipped and acked on its own (stop, rebalance)."""
    window = DeliveryWindow(max_in_flight=5, topic="articles.raw")
    seen: list[bool] = []

    class CheckingStream:
        async def ack(self, event):
            seen.append(window.take_settled(event.message))

    window.stream = CheckingStream()
    done = asyncio.get_running_loop().create_future()
    done.set_result("ok")
    await window.add(Event(Message(4)), outcome(), [done], never_send, None)
    assert seen == [True]
    assert not window.take_settled(Message(5)), "a message never settled here is not acked"
    assert not window.settled


def _consumer_with(acked: list[int], committed: int | None, gaps=()):
    """A GuardedConsumer with just the offset bookkeeping faust's _new_offset reads."""
    from collections import defaultdict

    from intervaltree import IntervalTree

    from service.delivery import GuardedConsumer

    consumer = GuardedConsumer.__new__(GuardedConsumer)
    tp = ("articles.raw", 0)
    consumer._acked = defaultdict(list, {tp: list(acked)})
    consumer._acked_index = defaultdict(set, {tp: set(acked)})
    consumer._committed_offset = defaultdict(lambda: None, {tp: committed})
    consumer._gap = defaultdict(IntervalTree)
    for begin, end in gaps:
        consumer._gap[tp].addi(begin, end)
    return consumer, tp


def test_commit_never_passes_a_one_message_hole_after_the_committed_offset():
    # 455 was skipped (never enriched): faust alone would commit 460 here.
    consumer, tp = _consumer_with([456, 457, 458, 459], committed=455)
    assert consumer._new_offset(tp) is None


def test_commit_advances_over_contiguous_acks_and_over_known_offset_gaps():
    consumer, tp = _consumer_with([455, 456, 457], committed=455)
    assert consumer._new_offset(tp) == 458
    # 455-456 are a gap the fetcher saw (e.g. a transaction marker): not a lost message
    consumer, tp = _consumer_with([457, 458], committed=455, gaps=[(455, 457)])
    assert consumer._new_offset(tp) == 459


async def test_after_a_seek_to_committed_input_partitions_restart_cleanly_from_their_committed_offset():
    """After a rebalance faust seeks only partitions that have a committed offset; one without
    is sought to its first offset here, which also becomes its committed position so that a
    message skipped before the first commit is a hole, not a loss.  The acks and offset gaps of
    what the old reading handed out are dropped, and each partition waits for the record at its
    committed offset."""
    from collections import defaultdict
    from types import SimpleNamespace

    from faust.types import TP
    from intervaltree import IntervalTree

    from service.delivery import GuardedConsumer

    committed_tp, fresh_tp, other_topic_tp = TP("articles.raw", 0), TP("articles.raw", 1), TP("entities.mentions", 0)
    consumer = GuardedConsumer.__new__(GuardedConsumer)
    consumer.app = SimpleNamespace(delivery_window=DeliveryWindow(5, topic="articles.raw"),
                                   conf=SimpleNamespace(consumer_auto_offset_reset="earliest"))
    consumer._read_offset = defaultdict(lambda: None)
    consumer._committed_offset = defaultdict(lambda: None)
    # left over from the reading before the seek: an ack past the committed offset, a gap
    consumer._acked = defaultdict(list, {committed_tp: [125], other_topic_tp: [3]})
    consumer._acked_index = defaultdict(set, {committed_tp: {125}, other_topic_tp: {3}})
    consumer._gap = defaultdict(IntervalTree)
    consumer._gap[committed_tp].addi(121, 125)
    consumer.assignment = lambda: {committed_tp, fresh_tp, other_topic_tp}
    sought: dict = {}

    async def seek_to_committed():
        assert consumer._seeking, "input records must be held back during the seek"
        return {committed_tp: 120, fresh_tp: None, other_topic_tp: None}

    async def earliest_offsets(*tps):
        return {tp: 7 for tp in tps}

    async def seek(tp, offset):
        sought.setdefault(tp, []).append((offset, consumer._seeking))

    consumer.seek_to_committed, consumer.earliest_offsets, consumer.seek = seek_to_committed, earliest_offsets, seek
    await consumer.perform_seek()
    assert not consumer._seeking
    # the fresh partition to its first offset during the seek; then every input partition once
    # more to its committed offset, after the hold: what was fetched and passed over during the
    # seek is fetched again (else a partition whose rest came in that fetch stalls)
    assert sought == {fresh_tp: [(7, True), (7, False)], committed_tp: [(120, False)]}
    assert consumer._committed_offset[committed_tp] == 120
    assert consumer._committed_offset[fresh_tp] == 7
    assert consumer._committed_offset[other_topic_tp] is None  # not ours to guard
    assert consumer._acked[committed_tp] == [] and not consumer._gap[committed_tp]
    assert consumer._acked[other_topic_tp] == [3]
    assert {tp: target for tp, (target, _) in consumer._rewinding.items()} == {committed_tp: 120, fresh_tp: 7}
    # a skipped first message (7) now holds the commit back
    consumer._acked[fresh_tp] = [8, 9]
    consumer._acked_index[fresh_tp] = {8, 9}
    assert consumer._new_offset(fresh_tp) is None
    assert consumer.holes == {fresh_tp: 7}


async def test_buffered_sends_are_retried_while_the_broker_is_away(monkeypatch):
    """faust's producer buffer (table changelogs) lost its sending task on the first error and
    then grew forever; ours retries broker errors and keeps the task alive."""
    from types import SimpleNamespace

    from faust.exceptions import ProducerSendError

    from service import delivery

    monkeypatch.setattr(delivery, "BUFFER_RETRY_FIRST_S", 0.01)
    attempts: list[int] = []

    async def publish_message(fut, wait=False):
        attempts.append(1)
        if len(attempts) < 3:
            raise ProducerSendError("broker away") from KafkaTimeoutError()

    buffer = delivery.RetryingProducerBuffer()
    buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))
    fut = SimpleNamespace(message=SimpleNamespace(channel=SimpleNamespace(publish_message=publish_message)),
                          done=lambda: False)
    buffer.pending.put_nowait(fut)
    task = asyncio.ensure_future(delivery.RetryingProducerBuffer._handle_pending.fun(buffer))
    await asyncio.wait_for(buffer.message_sent.wait(), 5)
    assert len(attempts) == 3 and buffer.size == 0
    # a non-broker error fails that record's future and the task goes on with the next one
    failed = asyncio.get_running_loop().create_future()

    async def refuse(fut, wait=False):
        raise ValueError("not serializable")

    failed.message = SimpleNamespace(channel=SimpleNamespace(publish_message=refuse))
    buffer.message_sent.clear()
    buffer.pending.put_nowait(failed)
    await asyncio.wait_for(buffer.message_sent.wait(), 5)
    assert isinstance(failed.exception(), ValueError)
    assert not task.done(), "the sending task must survive a failed record"
    task.cancel()


async def test_a_rewind_to_a_hole_is_not_undone_by_records_fetched_before_it(monkeypatch):
    """After the seek back to a skipped message, records fetched before the seek are still handed
    out; they must not reach faust (each would move its read offset past the hole again, and
    faust would then drop the re-read hole as already seen).  Not even the hole's own record
    from such a batch (see test_records_from_before_the_last_seek_...)."""
    # taken from aiokafka before the seek, handed out after it; then the re-read
    consumer, tp, sought = _rewinding_consumer(monkeypatch, [([400, 130, 131], 0), [130, 131, 132], [133]])
    consumer._read_offset[tp] = 401
    consumer.holes[tp] = 130
    await consumer.rewind_holes(asyncio.get_running_loop().time())
    assert sought == [130]
    assert [m.offset async for _, m in consumer.getmany(1.0)] == []
    assert [m.offset async for _, m in consumer.getmany(1.0)] == [130, 131, 132]
    assert consumer._read_offset[tp] == 130  # faust accepts offsets from the hole on
    # during a seek to the committed offsets no input record is handed out at all
    consumer._seeking = True
    assert [m.offset async for _, m in consumer.getmany(1.0)] == []


def test_healthz_fails_only_when_records_wait_past_the_bound_while_the_broker_answers(monkeypatch):
    from service import delivery
    from service.http import delivery_health

    window = DeliveryWindow(max_in_flight=5)
    assert delivery_health(window, True) == ({"status": "ok"}, 200)
    now = [1000.0]
    monkeypatch.setattr(delivery.time, "monotonic", lambda: now[0])
    window.pending.append((Event(Message(1)), outcome(), [], None, None, now[0]))
    now[0] += delivery.STUCK_DELIVERY_S - 1
    assert delivery_health(window, True)[1] == 200
    now[0] += 2
    status, code = delivery_health(window, True)
    assert code == 503 and status["status"] == "stuck"
    # the broker itself is away: waiting is expected, restarting would not help
    assert delivery_health(window, False)[1] == 200
    assert delivery_health(None, True)[1] == 200


async def test_the_producer_keeps_tracking_every_output_topic_when_one_goes_missing():
    """aiokafka's client fetches metadata for all topics while its tracked set is empty; the
    first send whose topic is missing from the metadata (a restarting broker answers with part
    of them) narrows the set to that one topic, and the others' queued batches then wait for a
    leader forever.  Our producer starts with its output topics tracked, so a topic is only
    ever added."""
    from faust.transport.drivers import aiokafka as faust_aiokafka

    from service.delivery import EnricherApp

    app = EnricherApp("group", broker="kafka://127.0.0.1:9", web_enabled=False)
    app.output_topics.update({"out.enriched", "out.mentions"})
    ours = app.producer._new_producer()
    app.producer.track_output_topics(ours)  # what our producer does once started
    ours.client.add_topic("group-counts-changelog")  # what a send does when its topic is missing
    assert ours.client._topics == {"out.enriched", "out.mentions", "group-counts-changelog"}

    # faust's own producer on the same app: the tracked set collapses to the missing topic.
    plain = faust_aiokafka.Producer(app.transport)._new_producer()
    plain.client.add_topic("group-counts-changelog")
    assert plain.client._topics == {"group-counts-changelog"}


def _revocable_consumer(committed: int, acked: list[int]):
    """A GuardedConsumer with the state faust's on_partitions_revoked touches."""
    import contextlib
    from collections import defaultdict
    from types import SimpleNamespace

    from faust.types import TP
    from intervaltree import IntervalTree

    from service.delivery import GuardedConsumer

    tp = TP("articles.raw", 1)
    consumer = GuardedConsumer.__new__(GuardedConsumer)
    consumer.app = SimpleNamespace(delivery_window=DeliveryWindow(5, topic="articles.raw"),
                                   _start_span_from_rebalancing=lambda name: contextlib.nullcontext())
    consumer.diag = SimpleNamespace(set_flag=lambda flag: None, unset_flag=lambda flag: None)
    consumer._active_partitions, consumer._paused_partitions = {tp}, set()
    consumer._read_offset = defaultdict(lambda: None, {tp: acked[-1]})
    consumer._committed_offset = defaultdict(lambda: None, {tp: committed})
    consumer._acked = defaultdict(list, {tp: list(acked)})
    consumer._acked_index = defaultdict(set, {tp: set(acked)})
    consumer._gap = defaultdict(IntervalTree)
    return consumer, tp


@pytest.mark.parametrize("acked_before, commit", [
    ([101, 102, 103], None),  # 100 was skipped and not yet re-read: the hole holds the commit
    ([100, 101, 102, 103], 105),  # no hole: the drain's commit covers the acks before the revocation
])
async def test_the_drain_on_revocation_commits_with_the_revoked_partitions_bookkeeping(acked_before, commit):
    """faust forgot a revoked partition's committed offset and acks before calling the app's
    handlers; the drain's commit then started at the first message the drain acked and went past
    a skipped message (two articles lost when a group member left)."""
    consumer, tp = _revocable_consumer(committed=100, acked=acked_before)
    consumer.holes[tp] = 100
    consumer._rewinding[tp] = (100, 0.0)
    commits: list = []

    async def drain_and_commit(revoked):
        # the window settles the message in flight (104), then app.py commits
        consumer._acked[tp].append(104)
        consumer._acked_index[tp].add(104)
        commits.append(consumer._new_offset(tp))

    consumer._on_partitions_revoked = drain_and_commit
    await consumer.on_partitions_revoked({tp})
    assert commits == [commit]
    assert consumer._on_partitions_revoked is drain_and_commit
    # afterwards the revoked partition is forgotten, our rewind bookkeeping included: nothing
    # seeks a partition this member no longer owns
    assert tp not in consumer._committed_offset and tp not in consumer._acked
    assert not consumer.holes and not consumer._rewinding


def _rewinding_consumer(monkeypatch, batches):
    """A GuardedConsumer whose fetches return `batches` (lists of offsets of one partition) in
    turn, and whose seeks are recorded."""
    from collections import defaultdict
    from types import SimpleNamespace

    from faust.types import TP

    from service.delivery import GuardedConsumer, faust_aiokafka

    tp = TP("articles.raw", 0)

    async def fake_getmany(self, timeout):
        offsets = await self._getmany(None, timeout)
        for offset in offsets:
            yield tp, SimpleNamespace(offset=offset)

    async def fake_fetch(self, active_partitions, timeout):
        # what ConsumerThread._fetch_records records when it takes a batch from aiokafka; a
        # batch given as (offsets, n) was taken after only the first n seeks
        batch = batches.pop(0) if batches else []
        offsets, seeks = batch if isinstance(batch, tuple) else (batch, self._seeks)
        self.fetched_after(seeks)
        return offsets

    async def call_thread(fun, *args):
        return fun(*args)

    sought: list[int] = []
    monkeypatch.setattr(faust_aiokafka.Consumer, "getmany", fake_getmany)
    monkeypatch.setattr(faust_aiokafka.Consumer, "_getmany", fake_fetch)
    consumer = GuardedConsumer.__new__(GuardedConsumer)
    aiokafka_consumer = SimpleNamespace(seek=lambda partition, offset: sought.append(offset))
    consumer._thread = SimpleNamespace(call_thread=call_thread, _ensure_consumer=lambda: aiokafka_consumer)
    consumer.app = SimpleNamespace(delivery_window=DeliveryWindow(5, topic="articles.raw"))
    consumer.log = SimpleNamespace(dev=lambda *a, **k: None)
    consumer._read_offset = defaultdict(lambda: None)
    consumer.assignment = lambda: {tp}
    return consumer, tp, sought


async def test_a_partition_whose_record_does_not_come_back_after_a_seek_is_sought_again(monkeypatch):
    """Two partitions taken over from a member that left stayed at their committed offset: what
    the fetch brought was passed over while they waited for the record at the committed offset,
    and that record never came again.  The wait used to end after REWIND_RETRY_S by taking
    whatever record came next (a hole; nothing at all when no record came); now the partition is
    sought there again."""
    from service import delivery

    # fetched before the seek (passed over), then nothing, then the re-read after the retry
    consumer, tp, sought = _rewinding_consumer(monkeypatch, [[190, 191, 192], [193], [], [187, 188]])
    consumer._rewind_to(tp, 187, 0.0)
    consumer.highwater = lambda tp_: 468
    assert [m.offset async for _, m in consumer.getmany(1.0)] == []
    await consumer.retry_rewinds(1.0)
    assert sought == [], "not before REWIND_RETRY_S"
    assert [m.offset async for _, m in consumer.getmany(1.0)] == []  # not taken after the wait either
    await consumer.retry_rewinds(delivery.REWIND_RETRY_S + 1)
    assert sought == [187]
    assert [m.offset async for _, m in consumer.getmany(1.0)] == []
    assert [m.offset async for _, m in consumer.getmany(1.0)] == [187, 188]
    assert consumer._read_offset[tp] == 187 and not consumer._rewinding
    # an idle partition (nothing at or past the target yet) just keeps waiting
    consumer._rewind_to(tp, 468, 0.0)
    await consumer.retry_rewinds(delivery.REWIND_RETRY_S + 1)
    assert sought == [187]


async def test_the_first_record_fetched_after_the_seek_is_the_re_read_even_past_the_target(monkeypatch):
    """The offset a partition is sought to may hold no message (a transaction marker): the first
    record of a batch fetched after the seek is the re-read; before the seek is done, only the
    record at the target is."""
    consumer, tp, sought = _rewinding_consumer(monkeypatch, [[300, 301], [121, 122]])
    consumer._rewind_to(tp, 120, 0.0)
    assert [m.offset async for _, m in consumer.getmany(1.0)] == []  # no seek done yet: stale records
    await consumer.seek(tp, 120)
    assert [m.offset async for _, m in consumer.getmany(1.0)] == [121, 122]
    assert consumer._read_offset[tp] == 121  # faust reads on from the re-read


async def test_records_from_before_the_last_seek_are_not_handed_out_even_at_the_target(monkeypatch):
    """Issue 8, loss: after a rebalance with table recovery, perform_seek's re-seek of the
    partitions ran while the fetch loop handed out the rest of a batch fetched before it.  The
    record at the target (151) was taken from that batch, 152 went into the agent's queue and was
    cleared by faust's flow-control resume right after the seek, the re-seek set faust's read
    offset back to 151, and 153 from the old batch made faust record 152 as an offset gap: the
    commit went to 154 and 152 was lost.  Records of a batch fetched before the re-seek are now
    all passed over; the re-read comes from the batch fetched after it."""
    consumer, tp, sought = _rewinding_consumer(monkeypatch, [[151, 152, 153, 154], [151, 152, 153, 154]])
    consumer._rewind_to(tp, 151, 0.0)  # perform_seek: the committed offset of a partition
    stale = [m.offset async for _, m in consumer.getmany(1.0)]
    assert stale == [], "nothing from the batch fetched before the re-seek"
    await consumer.seek(tp, 151)  # perform_seek's re-seek
    assert [m.offset async for _, m in consumer.getmany(1.0)] == [151, 152, 153, 154]
    assert sought == [151] and not consumer._rewinding


async def test_a_batch_that_comes_back_after_the_flow_stopped_is_put_back(monkeypatch):
    """Issue 8, stall: a fetch begun before a rebalance returned, once the new assignment was in
    place, records of the changelog partitions the table recovery had just sought; faust drops
    such a batch (its flow is stopped) and seeks only to the group's committed offsets, so the
    recovery never saw those records and the worker stopped reading for good.  The batch's
    partitions are now put back to their first record."""
    from types import SimpleNamespace

    from faust.types import TP

    from service.delivery import GuardedConsumer, faust_aiokafka

    changelog, raw, gone = TP("group-counts-changelog", 2), TP("articles.raw", 0), TP("articles.raw", 3)
    batch = {changelog: [SimpleNamespace(offset=40), SimpleNamespace(offset=41)],
             raw: [SimpleNamespace(offset=7)], gone: [SimpleNamespace(offset=9)]}

    async def fetch(self, active_partitions, timeout):
        return batch

    async def call_thread(fun, *args):
        return fun(*args)

    monkeypatch.setattr(faust_aiokafka.Consumer, "_getmany", fetch)
    sought: list = []
    consumer = GuardedConsumer.__new__(GuardedConsumer)
    aiokafka_consumer = SimpleNamespace(seek=lambda tp, offset: sought.append((tp, offset)))
    consumer._thread = SimpleNamespace(call_thread=call_thread, _ensure_consumer=lambda: aiokafka_consumer)
    consumer.assignment = lambda: {changelog, raw}
    consumer.flow_active = True
    assert await consumer._getmany({changelog, raw}, 1.0) is batch and sought == []
    consumer.flow_active = False  # stopped by a rebalance while the fetch waited
    assert await consumer._getmany({changelog, raw}, 1.0) == {}
    assert sorted(sought) == sorted([(changelog, 40), (raw, 7)])  # not the unassigned one
