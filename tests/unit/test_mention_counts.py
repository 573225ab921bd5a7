"""MentionCounter without Kafka: per-second counts per entity, one record per partition per flush,
placed like the mention records; an article's future resolves only once its counts are
acknowledged; undelivered counts stop the worker instead of dead-lettering the articles."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import orjson
import pytest
from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.partitioner import DefaultPartitioner

from service.delivery import DeliveryWindow
from service.mention_counts import CountsNotDelivered, MentionCounter, key_partition, parse_counts, partition_for
from service.worker import Outcome, OutRecord

from ..conftest import load_validator
from .test_delivery_window import Event, Message, Stream, never_send

PARTITIONS = 4


def article(*ids: str) -> dict:
    return {"entities": [{"id": i, "type": "LOC", "name": i.upper()} for i in ids]}


class Sent:
    """A fake producer: records what was sent, acknowledges when told."""

    def __init__(self) -> None:
        self.records: list[tuple[str, int, bytes]] = []
        self.futures: list[asyncio.Future] = []

    async def send(self, topic: str, partition: int, value: bytes) -> asyncio.Future:
        self.records.append((topic, partition, value))
        future = asyncio.get_running_loop().create_future()
        self.futures.append(future)
        return future

    def ack_all(self) -> None:
        for future in self.futures:
            if not future.done():
                future.set_result(None)


async def partitions() -> int:
    return PARTITIONS


def counter_with(sent: Sent, **kwargs) -> MentionCounter:
    return MentionCounter("entities.mentions.counts", sent.send, partitions, **kwargs)


@pytest.mark.parametrize("entity_id", ["geonames:130758", "Q1065", "local:org:agency-irna", "", "إيران"])
@pytest.mark.parametrize("partitions", [1, 2, 4, 7])
def test_partition_is_the_one_the_producer_picks_for_the_mention_record(entity_id, partitions):
    every = list(range(partitions))
    assert partition_for(entity_id, partitions) == DefaultPartitioner()(entity_id.encode(), every, every)


async def test_counts_per_entity_and_second_one_record_per_partition():
    sent = Sent()
    counter = counter_with(sent)
    t = 1_764_403_200_000  # ms, a whole second
    first = counter.add(article("a", "b", "a"), t + 100)
    second = counter.add(article("a", "c"), t + 999)
    third = counter.add(article("a"), t + 1000)  # the next second
    assert counter.add({"entities": []}, t) is None  # nothing to count, nothing to wait for
    assert first is second is third and not first.done()
    await counter.flush()
    rows = {}
    validator = load_validator("entity-mention-counts.v1.schema.json")
    for topic, partition, value in sent.records:
        assert topic == "entities.mentions.counts"
        validator.validate(orjson.loads(value))
        for entity_id, second_, count, kind, name in parse_counts(value):
            assert partition == partition_for(entity_id, PARTITIONS)
            assert (kind, name) == ("LOC", entity_id.upper())
            rows[(entity_id, second_)] = count
    assert rows == {("a", t // 1000): 3, ("b", t // 1000): 1, ("c", t // 1000): 1, ("a", t // 1000 + 1): 1}
    assert len(sent.records) == len({partition_for(i, PARTITIONS) for i in "abc"})  # one per partition
    await asyncio.sleep(0)
    assert not first.done()  # sent, not yet acknowledged
    sent.ack_all()
    await asyncio.sleep(0.01)
    assert first.done() and first.exception() is None
    # the next article starts a new batch
    fourth = counter.add(article("d"), t)
    assert fourth is not first and not fourth.done()
    await counter.flush()
    await counter.flush()  # nothing open: sends nothing
    assert len(sent.records) == len({partition_for(i, PARTITIONS) for i in "abc"}) + 1


async def test_full_after_max_articles():
    counter = counter_with(Sent(), max_articles=2)
    counter.add(article("a"), 0)
    assert not counter.full
    counter.add(article("a"), 0)
    assert counter.full
    await counter.flush()
    assert not counter.full


async def test_a_refused_counts_record_fails_the_batch():
    sent = Sent()
    counter = counter_with(sent)
    future = counter.add(article("a", "b", "c", "d", "e"), 0)
    await counter.flush()
    sent.futures[0].set_exception(MessageSizeTooLargeError())
    sent.ack_all()
    await asyncio.sleep(0.01)
    with pytest.raises(CountsNotDelivered):
        future.result()


async def test_no_producer_fails_the_batch():
    async def no_partitions() -> int:
        raise RuntimeError("producer not started")

    counter = MentionCounter("t", Sent().send, no_partitions)
    future = counter.add(article("a"), 0)
    await counter.flush()
    with pytest.raises(CountsNotDelivered):
        future.result()


def test_parse_counts_rejects_other_records():
    for value in (b"not json", b"{}", b'{"counts": [["a"]]}', b'{"counts": 3}'):
        with pytest.raises(ValueError):
            parse_counts(value)


async def test_window_full_flushes_the_open_batch_instead_of_waiting_for_the_timer():
    sent = Sent()
    counter = counter_with(sent)
    window = DeliveryWindow(max_in_flight=1)
    window.stream = Stream()
    window.counter = counter
    delivered = asyncio.get_running_loop().create_future()
    delivered.set_result(None)
    for offset in (0, 1):
        counted = counter.add(article("a"), 0)
        outcome = Outcome("enriched", [OutRecord("articles.enriched", b"a", b"{}")])
        task = asyncio.create_task(window.add(Event(Message(offset)), outcome, [delivered, counted],
                                              never_send, None))
        await asyncio.sleep(0.01)
    # the second add found the window over max_in_flight: the open batch was flushed at once
    assert sent.records and not task.done()
    sent.ack_all()
    await asyncio.wait_for(task, 1)
    assert window.stream.acked == [0]
    await asyncio.wait_for(window.drain(), 1)  # the second article was in the same batch
    assert window.stream.acked == [0, 1]
    # a drain flushes an open batch too (stop, revocation): it does not wait for the timer
    counted = counter.add(article("b"), 0)
    await window.add(Event(Message(2)), Outcome("enriched", []), [delivered, counted], never_send, None)
    drain = asyncio.create_task(window.drain())
    await asyncio.sleep(0.01)
    assert len(sent.records) == 2 and not drain.done()
    sent.ack_all()
    await asyncio.wait_for(drain, 1)
    assert window.stream.acked == [0, 1, 2]


async def test_undelivered_counts_stop_the_worker_without_ack():
    sent = Sent()
    counter = counter_with(sent)
    stopped = []

    async def on_fatal(exc):
        stopped.append(exc)

    window = DeliveryWindow(max_in_flight=10, on_fatal=on_fatal)
    window.stream = Stream()
    window.counter = counter
    delivered = asyncio.get_running_loop().create_future()
    delivered.set_result(None)
    counted = counter.add(article("a"), 0)
    outcome = Outcome("enriched", [OutRecord("articles.enriched", b"a", b"{}")])
    await window.add(Event(Message(0)), outcome, [delivered, counted], never_send, None)
    await counter.flush()
    sent.futures[0].set_exception(MessageSizeTooLargeError())
    await asyncio.sleep(0)
    with pytest.raises(CountsNotDelivered):
        await window.drain()
    assert window.stream.acked == [] and len(stopped) == 1  # not dead-lettered (never_send), not acked


class FakeCluster:
    def __init__(self, partitions):
        self.partitions = partitions

    def partitions_for_topic(self, topic):
        return self.partitions


@pytest.mark.parametrize("partitions", [{0}, {0, 1}, {0, 1, 2, 3}, set(range(12))])
def test_key_partition_is_the_default_partitioners_with_the_hash_cached(partitions):
    producer = SimpleNamespace(client=SimpleNamespace(cluster=FakeCluster(partitions)))
    every = list(partitions)  # what aiokafka passes its partitioner
    for key in (b"geonames:130758", b"Q1065", b"Q1065", "إيران".encode()):
        assert key_partition(producer, "t", key) == DefaultPartitioner()(key, every, every)
    assert key_partition(SimpleNamespace(client=SimpleNamespace(cluster=FakeCluster(None))), "t", b"a") is None
