"""The harness itself: a real round trip through the local Kafka broker with aiokafka."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from . import kafka_utils as ku

# Invented sample texts (ar, fa, en), nothing copied from any corpus.
TEXTS = [
    "أعلنت وزارة الصحة في عمّان صباح الأحد عن افتتاح مستشفى جديد في إربد",
    "وزیر خارجه در سفر به مسقط با همتای عمانی خود دیدار کرد",
    "The port authority in Aqaba said on Monday that traffic rose by 4%",
]


def _items(n: int):
    items = []
    for i in range(n):
        key = f"article-{i:03d}".encode()
        value = f'{{"seq": {i}, "text": "{TEXTS[i % 3]}"}}'.encode()
        headers = [
            ("content-type", b"application/json"),
            ("seq", str(i).encode()),
            ("lang", ["ar", "fa", "en"][i % 3].encode()),
            ("trace", b""),  # empty header values must survive too
        ]
        items.append((key, value, headers))
    return items


async def test_round_trip_100_records_with_headers(kafka_bootstrap, topic_prefix):
    topic = f"{topic_prefix}.articles.raw"
    await ku.create_topics(kafka_bootstrap, {topic: 3})
    items = _items(100)

    metadata = await ku.produce(kafka_bootstrap, topic, items)
    assert len(metadata) == 100
    assert {m.partition for m in metadata} == {0, 1, 2}  # keys spread over all partitions

    records = await ku.consume_all(kafka_bootstrap, topic, n=100, timeout=20)
    sent = Counter((k, v, tuple(h)) for k, v, h in items)
    got = Counter((r.key, r.value, r.headers) for r in records)
    assert got == sent

    # Nothing beyond the 100: reading to the end offsets gives the same set.
    assert len(await ku.consume_all(kafka_bootstrap, topic, n=None, timeout=20)) == 100
    assert sum((await ku.end_offsets(kafka_bootstrap, topic)).values()) == 100

    # Where each record landed is what the producer was told, and order holds per partition.
    acked = {(m.partition, m.offset) for m in metadata}
    assert {(r.partition, r.offset) for r in records} == acked
    by_partition = defaultdict(list)
    for r in records:
        by_partition[r.partition].append(int(dict(r.headers)["seq"]))
    for seqs in by_partition.values():
        assert seqs == sorted(seqs)


async def test_same_key_goes_to_one_partition(kafka_bootstrap, topic_prefix):
    topic = f"{topic_prefix}.entities.mentions"
    await ku.create_topics(kafka_bootstrap, {topic: 4})
    items = [(b"Q23792", f"mention {i}".encode()) for i in range(20)]
    metadata = await ku.produce(kafka_bootstrap, topic, items)
    assert len({m.partition for m in metadata}) == 1
    records = await ku.consume_all(kafka_bootstrap, topic, n=20)
    assert [r.value for r in records] == [v for _, v in items]


async def test_consumer_group_commits_and_resumes(kafka_bootstrap, topic_prefix):
    # What the faust worker relies on: a group coordinator, commits, resuming after them.
    topic = f"{topic_prefix}.articles.enriched"
    group = f"{topic_prefix}.group"
    await ku.create_topics(kafka_bootstrap, {topic: 2})
    await ku.produce(kafka_bootstrap, topic, [(f"k{i}", f"v{i}") for i in range(10)])

    async def read(n: int) -> list[bytes]:
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=kafka_bootstrap, group_id=group,
            enable_auto_commit=False, auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            values = []
            for _ in range(100):
                if len(values) >= n:
                    break
                batch = await consumer.getmany(timeout_ms=200)
                values += [m.value for msgs in batch.values() for m in msgs]
            await consumer.commit()
            return values
        finally:
            await consumer.stop()

    first = await read(10)
    assert sorted(first) == sorted(f"v{i}".encode() for i in range(10))
    await ku.produce(kafka_bootstrap, topic, [("k-late", "late")])
    assert await read(1) == [b"late"]  # only what came after the commit


async def test_delete_topics_with_prefix(kafka_bootstrap):
    prefix = ku.unique_prefix()
    names = [f"{prefix}.a", f"{prefix}.b"]
    other = f"{ku.unique_prefix()}.a"
    await ku.create_topics(kafka_bootstrap, names + [other], partitions=1)
    try:
        assert sorted(await ku.delete_topics_with_prefix(kafka_bootstrap, prefix)) == names
        remaining = await ku.list_topics(kafka_bootstrap)
        assert other in remaining and not set(names) & set(remaining)
    finally:
        await ku.delete_topics(kafka_bootstrap, [other])


def test_status_and_probe(kafka_broker):
    status = kafka_broker.script("status", timeout=30)
    assert status.returncode == 0, status.stdout
    assert f"bootstrap {kafka_broker.bootstrap}" in status.stdout
    probe = subprocess.run(
        [sys.executable, str(ku.KAFKA_SH.parent / "probe.py"), kafka_broker.bootstrap],
        capture_output=True, text=True, timeout=30,
    )
    assert probe.returncode == 0, probe.stderr
    assert "brokers=1" in probe.stdout


# --- the SASL listener and restarts (a broker of their own) -----------------------------------


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"])
async def test_sasl_round_trip(sasl_broker, mechanism):
    auth = sasl_broker.sasl_client_config(mechanism)
    topic = f"{ku.unique_prefix()}.articles.raw"
    await ku.create_topics(sasl_broker.sasl_bootstrap, {topic: 2}, **auth)
    await ku.produce(sasl_broker.sasl_bootstrap, topic, _items(10), **auth)
    records = await ku.consume_all(sasl_broker.sasl_bootstrap, topic, n=10, **auth)
    assert sorted(r.key for r in records) == sorted(k for k, _, _ in _items(10))
    await ku.delete_topics(sasl_broker.sasl_bootstrap, [topic], **auth)


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "PLAIN"])
async def test_sasl_wrong_password_is_refused(sasl_broker, mechanism):
    producer = AIOKafkaProducer(
        bootstrap_servers=sasl_broker.sasl_bootstrap, request_timeout_ms=5000,
        **sasl_broker.sasl_client_config(mechanism, password="not-the-password"),
    )
    with pytest.raises(KafkaError):
        await producer.start()
    await producer.stop()


async def test_sasl_listener_refuses_plaintext_clients(sasl_broker):
    # A client speaking PLAINTEXT to the SASL port must not get metadata.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=sasl_broker.sasl_bootstrap, request_timeout_ms=3000,
        metadata_max_age_ms=1000, connections_max_idle_ms=5000,
    )
    with pytest.raises(KafkaError):
        await consumer.start()
    await consumer.stop()


async def test_data_survives_a_restart(sasl_broker):
    topic = f"{ku.unique_prefix()}.articles.raw"
    await ku.create_topics(sasl_broker.bootstrap, {topic: 3})
    await ku.produce(sasl_broker.bootstrap, topic, _items(30))
    sasl_broker.stop()
    assert not sasl_broker.is_running()
    sasl_broker.start()
    assert sasl_broker.is_running()
    records = await ku.consume_all(sasl_broker.bootstrap, topic, n=30, timeout=30)
    assert Counter((r.key, r.value, r.headers) for r in records) == Counter(
        (k, v, tuple(h)) for k, v, h in _items(30)
    )
    # Offsets continue after the restart instead of starting over.
    metadata = await ku.produce(sasl_broker.bootstrap, topic, [(b"article-000", b"again")])
    assert metadata[0].offset > 0
    await ku.delete_topics(sasl_broker.bootstrap, [topic])


def test_start_is_idempotent(kafka_broker):
    first = kafka_broker.script("start")
    assert first.returncode == 0 and "already running" in first.stdout, first.stdout

