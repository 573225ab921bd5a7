"""The trending table's changelog, sent by the counting agent: the same records faust would send,
in order, on the counts record's partition; broker errors retried; nothing held in faust's
producer buffer (whose fill level holds back every consumed message, articles included)."""

from __future__ import annotations

import asyncio
import operator
import weakref
from types import SimpleNamespace

import pytest
from aiokafka.errors import KafkaTimeoutError
from faust.streams import _current_event

from service import delivery, trending
from service.settings import Settings


@pytest.fixture()
def app_and_table(monkeypatch, tmp_path):
    from service.app import create_app

    monkeypatch.setenv("NEWS_ENRICHER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEWS_ENRICHER_CONSUMER_GROUP", "u-group")
    monkeypatch.setenv("NEWS_ENRICHER_TRENDING_WINDOW_SECONDS", "60")
    app = create_app(Settings.from_env())
    [table] = [t for t in app.tables.values() if t.name == trending.TABLE_NAME]
    assert isinstance(table, trending.CountsTable)
    return app, table


class _Event:  # faust keeps the current event by weak reference
    def __init__(self, partition: int) -> None:
        self.message = SimpleNamespace(partition=partition, topic="u.mentions.counts")


def test_a_batch_collects_the_records_faust_would_send(app_and_table):
    app, table = app_and_table
    table._verify_source_topic_partitions = lambda topic: None
    event = _Event(3)
    table.collected = []
    token = _current_event.set(weakref.ref(event))
    try:
        table._apply_window_op(operator.add, "Q1", 2, 1764403200.0)
        table._apply_window_op(operator.add, "Q1", 3, 1764403200.0)
        table._apply_window_op(operator.add, "Q2", 1, 1764403260.0)
    finally:
        _current_event.reset(token)
    collected, table.collected = table.collected, None
    assert [(p, v) for p, _, v, _ in collected] == [(3, b"2"), (3, b"5"), (3, b"1")]
    # byte for byte what faust's own send_changelog would have handed to its producer
    window = (1764403200.0, 1764403259.9)
    expected = table.changelog_topic.as_future_message(
        key=("Q1", window), value=5, partition=3, key_serializer=table.key_serializer,
        value_serializer=table.value_serializer).message
    assert collected[1][1] == expected.key and collected[1][2] == expected.value
    assert table[("Q1", window)] == 5  # the table itself is updated as before


async def test_collected_records_go_to_the_producer_in_order_with_broker_errors_retried(
        app_and_table, monkeypatch):
    app, table = app_and_table
    monkeypatch.setattr(delivery, "BUFFER_RETRY_FIRST_S", 0.01)  # retry_transient's first backoff
    sent, attempts = [], []
    loop = asyncio.get_running_loop()

    class Producer:
        async def send(self, topic, value, key=None, partition=None, headers=None):
            attempts.append(key)
            if key == b"k1" and attempts.count(b"k1") < 3:
                raise KafkaTimeoutError()
            sent.append((topic, key, value, partition))
            future = loop.create_future()
            future.set_result(SimpleNamespace(offset=len(sent)))
            return future

    async def maybe_start_producer():
        return SimpleNamespace(_ensure_producer=lambda: Producer())

    monkeypatch.setattr(app, "maybe_start_producer", maybe_start_producer)
    records = [(2, f"k{i}".encode(), str(i).encode(), {}) for i in range(250)]
    await table.send_collected(records)
    await asyncio.sleep(0)
    assert [(k, p) for _, k, _, p in sent] == [(k, p) for p, k, _, _ in records]
    assert {t for t, *_ in sent} == {table.changelog_topic.get_topic_name()}
    assert attempts.count(b"k1") == 3
    assert app.producer.buffer.size == 0  # nothing went through faust's buffer


async def test_a_stop_while_a_batch_is_counted_finishes_the_batch_first(app_and_table, monkeypatch):
    """faust acks a batch's records as the agent stops; the batch's changelog records must be
    with the producer by then, so a cancellation waits for the batch."""
    import orjson

    app, table = app_and_table
    [agent] = [a for a in app.agents.values() if a.name.endswith("count-entity-mentions")]
    table._verify_source_topic_partitions = lambda topic: None
    sent: list = []
    started = asyncio.Event()

    async def send_collected(records):
        started.set()
        await asyncio.sleep(0.05)  # the stop arrives while the records are being sent
        sent.extend(records)

    monkeypatch.setattr(table, "send_collected", send_collected)

    class _CountsEvent(_Event):
        def __init__(self, partition, rows):
            super().__init__(partition)
            self.value = orjson.dumps({"schema": "entity-mention-counts/1", "counts": rows})

    events = [_CountsEvent(1, [["Q1", 1764403200, 2, "LOC", "Paris"], ["Q2", 1764403201, 1, "PER", "Ann"]])]
    after_batch: list = []

    class Stream:
        async def take_events(self, n, within):
            yield events
            after_batch.append("next batch asked for")  # faust acks the batch here
            await asyncio.sleep(10)

    task = asyncio.ensure_future(agent.fun(Stream()))
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [p for p, *_ in sent] == [1, 1] and after_batch == []
