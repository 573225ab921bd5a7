"""The worker on the real local broker: every article in, exactly one enriched event out.

Runs `news-enricher worker` as a subprocess (the same entry point the container uses) against
topics unique to this test, feeds 240 articles in three languages and two formats plus
malformed messages, and reconciles the output topics against the input.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from service.decode import decode
from service.dlq import headers_as_dict
from service.pipeline import Context, enrich
from tests.conftest import ROOT, assert_valid

PARTITIONS = 3
TEMPLATES = {
    "ar": "أعلن وزير الخارجية في مؤتمر صحفي عقده في بيروت اليوم أن الجولة رقم {n} من المحادثات ستعقد الأسبوع المقبل.",
    "fa": "به گزارش خبرگزاری ایسنا، نشست شماره {n} کمیسیون اقتصادی روز یکشنبه در تهران برگزار شد.",
    "en": "LONDON (Reuters) - Talks round number {n} between the two delegations ended on Friday without a deal.",
}


def build_inputs(count: int) -> tuple[list[tuple[bytes, bytes, list]], dict[bytes, str]]:
    """Messages to send and, for each message key, the article_id the output must carry."""
    messages, expected = [], {}
    langs = list(TEMPLATES)
    for n in range(count):
        lang = langs[n % 3]
        key = f"in-{n}".encode()
        body = TEMPLATES[lang].format(n=n)
        if n % 2 == 0:  # JSON article with an id
            value = orjson.dumps({"id": f"art-{n}", "title": f"Title {n}", "body": body, "language": lang})
            headers = [("content-type", b"application/json")]
            expected[key] = f"art-{n}"
        else:  # plain text: the id is derived from the content by the same pure enrich()
            value = f"عنوان {n}\n{body}\n".encode() if lang != "en" else f"Headline {n}\n{body}\n".encode()
            headers = [("content-type", b"text/plain")]
            expected[key] = enrich(decode(value, headers), Context.now())["article_id"]
        messages.append((key, value, headers))
    return messages, expected


MALFORMED = {
    b"bad-utf8": (b"\xc3\x28 invalid \xff bytes", "invalid_utf8"),
    b"bad-json": (b'{"id": "broken", "body": "no end', "invalid_json"),
    b"bad-empty": (b'{"id": "empty", "body": "   "}', "empty_body"),
    b"bad-type": (b'{"id": "typed", "body": 12345}', "wrong_type"),
}


async def create_topics(bootstrap: str, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, PARTITIONS, 1) for n in names])
    finally:
        await admin.close()


async def produce(bootstrap: str, topic: str, messages) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        futures = [await producer.send(topic, value=v, key=k, headers=h) for k, v, h in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str, want: int, timeout: float, settle: float = 3.0) -> list:
    """Read from the start until `want` records arrived (plus `settle` seconds to catch extras)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    records, deadline, settle_until = [], time.monotonic() + timeout, None
    try:
        while time.monotonic() < (settle_until or deadline):
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
            if settle_until is None and len(records) >= want:
                settle_until = time.monotonic() + settle
    finally:
        await consumer.stop()
    return records


@pytest.fixture()
def topics():
    prefix = f"e2e-{uuid.uuid4().hex[:8]}"
    return {name: f"{prefix}.{name}" for name in ("raw", "enriched", "dlq", "mentions", "trending")} | {"group": prefix}


def worker_env(bootstrap: str, topics: dict, tmp_path) -> dict:
    env = dict(os.environ)
    env.update({
        "NEWS_ENRICHER_BOOTSTRAP_SERVERS": bootstrap,
        "NEWS_ENRICHER_RAW_TOPIC": topics["raw"],
        "NEWS_ENRICHER_ENRICHED_TOPIC": topics["enriched"],
        "NEWS_ENRICHER_DLQ_TOPIC": topics["dlq"],
        "NEWS_ENRICHER_MENTIONS_TOPIC": topics["mentions"],
        "NEWS_ENRICHER_TRENDING_TOPIC": topics["trending"],
        "NEWS_ENRICHER_CONSUMER_GROUP": topics["group"],
        "NEWS_ENRICHER_TOPIC_PARTITIONS": str(PARTITIONS),
        "NEWS_ENRICHER_DATA_DIR": str(tmp_path / "data"),
        "NEWS_ENRICHER_HTTP_PORT": "0",
    })
    return env


def test_every_article_yields_exactly_one_enriched_event(kafka_bootstrap, topics, tmp_path,
                                                         enriched_validator, dead_letter_validator):
    messages, expected = build_inputs(240)
    malformed = [(k, v, [("content-type", b"application/json")]) for k, (v, _) in MALFORMED.items()]
    # Malformed messages sit between good ones: the worker must keep going after each.
    feed = messages[:100] + malformed[:2] + messages[100:200] + malformed[2:] + messages[200:]
    asyncio.run(create_topics(kafka_bootstrap, [topics["raw"], topics["enriched"], topics["dlq"]]))
    asyncio.run(produce(kafka_bootstrap, topics["raw"], feed))

    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], cwd=ROOT,
                                  env=worker_env(kafka_bootstrap, topics, tmp_path),
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            enriched = asyncio.run(read_all(kafka_bootstrap, topics["enriched"], len(messages), timeout=150))
            dead = asyncio.run(read_all(kafka_bootstrap, topics["dlq"], len(MALFORMED), timeout=30, settle=0.5))
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                exit_code = worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                raise AssertionError("worker did not stop within 60 s of SIGTERM")
    worker_log = log_path.read_text(errors="replace")

    ids = [r.key.decode() for r in enriched]
    assert len(enriched) == len(messages), f"{len(enriched)} enriched events for {len(messages)} articles\n{worker_log[-3000:]}"
    assert sorted(ids) == sorted(expected.values()), "enriched ids differ from the input ids"
    assert len(set(ids)) == len(ids), "duplicate enriched events"
    by_id = {}
    for record in enriched:
        event = orjson.loads(record.value)
        assert_valid(enriched_validator, event)
        assert record.key.decode() == event["article_id"], "record key must be the article_id"
        assert event["input"]["topic"] == topics["raw"]
        by_id[event["article_id"]] = event
    langs = {event["language"]["code"] for event in by_id.values()}
    assert langs == {"ar", "fa", "en"}

    assert len(dead) == len(MALFORMED), worker_log[-3000:]
    for record in dead:
        original, reason = MALFORMED[record.key]
        headers = headers_as_dict(record.headers)
        assert record.value == original, "dead letter must carry the original bytes untouched"
        assert headers["news-enricher.error.reason"] == reason
        assert headers["news-enricher.error.topic"] == topics["raw"]
        assert_valid(dead_letter_validator, {"headers": headers, "value_bytes": len(record.value)})
    assert exit_code == 0, f"worker exited with {exit_code}\n{worker_log[-3000:]}"
    # At the default log level (info) nothing logs once per article: a line repeated for every
    # article would be millions of lines a day in production.  Lines compared without their
    # timestamps, process ids and numbers.
    repeated = Counter(re.sub(r"\d+", "#", line) for line in worker_log.splitlines() if line.strip())
    line, count = repeated.most_common(1)[0]
    assert count < len(messages) // 2, f"the worker logged {count} times for {len(messages)} articles: {line}"
