"""Trending in its own process: a worker with NEWS_ENRICHER_TRENDING_IN_WORKER=false and one
`news-enricher trending` process on the real broker.

- the worker still publishes one entities.mentions record per entity per article;
- the trending process counts them into entities.trending, and the newest count per
  (entity, window) equals the mention records in that window;
- it reads the worker's per-second counts (`<mentions topic>.counts`), each on the partition
  of its entity's mention records;
- it uses its own consumer group and changelog (`<group>-trending-...`), the worker none;
- its /metrics answers on its HTTP port.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timezone

import orjson

from service.mention_counts import parse_counts
from tests.conftest import ROOT

from . import kafka_utils
from .test_prometheus_worker import build_articles, free_port, http_get, wait_for

PARTITIONS = 2
WINDOW_S = 60


def _service_env(bootstrap: str, topics: dict, prefix: str, **extra: str) -> dict:
    """The environment of a worker or trending process on this test's own topics and group."""
    return dict(
        os.environ,
        NEWS_ENRICHER_BOOTSTRAP_SERVERS=bootstrap,
        NEWS_ENRICHER_RAW_TOPIC=topics["raw"], NEWS_ENRICHER_ENRICHED_TOPIC=topics["enriched"],
        NEWS_ENRICHER_DLQ_TOPIC=topics["dlq"], NEWS_ENRICHER_MENTIONS_TOPIC=topics["mentions"],
        NEWS_ENRICHER_TRENDING_TOPIC=topics["trending"], NEWS_ENRICHER_CONSUMER_GROUP=prefix,
        NEWS_ENRICHER_TOPIC_PARTITIONS=str(PARTITIONS), NEWS_ENRICHER_TRENDING_WINDOW_SECONDS=str(WINDOW_S),
        NEWS_ENRICHER_HTTP_HOST="127.0.0.1",
        **extra,
    )


def _stop(procs) -> None:
    """Terminate the processes (SIGTERM: they drain and commit), killing any that hang."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def _delete_topics(bootstrap: str, prefix: str) -> None:
    """The test's topics and the changelogs faust created for its consumer groups."""
    kafka_utils.run(kafka_utils.delete_topics_with_prefix(bootstrap, prefix))
    changelogs = [t for t in kafka_utils.run(kafka_utils.list_topics(bootstrap)) if t.startswith(prefix + "-")]
    kafka_utils.run(kafka_utils.delete_topics(bootstrap, changelogs))


def test_trending_process_counts_what_the_worker_mentions(kafka_bootstrap, tmp_path):
    prefix = kafka_utils.unique_prefix()
    topics = {name: f"{prefix}.{name}" for name in ("raw", "enriched", "dlq", "mentions", "trending")}
    kafka_utils.run(kafka_utils.create_topics(kafka_bootstrap, {t: PARTITIONS for t in topics.values()}))
    metrics_port = free_port()
    env = _service_env(kafka_bootstrap, topics, prefix, NEWS_ENRICHER_TRENDING_IN_WORKER="false")
    procs = []
    try:
        for command, port in (("worker", free_port()), ("trending", metrics_port)):
            log = (tmp_path / f"{command}.log").open("wb")
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "service.cli", command], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                env=dict(env, NEWS_ENRICHER_HTTP_PORT=str(port), NEWS_ENRICHER_DATA_DIR=str(tmp_path / command)),
            ))
        wait_for(lambda: http_get(f"http://127.0.0.1:{metrics_port}/metrics")[0] == 200, 60, "trending /metrics")
        articles = build_articles(30)
        kafka_utils.run(kafka_utils.produce(kafka_bootstrap, topics["raw"], articles))

        enriched = kafka_utils.run(kafka_utils.consume_all(kafka_bootstrap, topics["enriched"], n=len(articles), timeout=120))
        assert len(enriched) == len(articles)
        want = sum(len(orjson.loads(r.value)["entities"]) for r in enriched)
        assert want > 0
        mentions = kafka_utils.run(kafka_utils.consume_all(kafka_bootstrap, topics["mentions"], n=want, timeout=60))
        assert len(mentions) == want
        expected = defaultdict(int)
        for record in mentions:
            start = (record.timestamp // 1000) // WINDOW_S * WINDOW_S
            expected[(orjson.loads(record.value)["id"], start)] += 1

        def latest_counts():
            counts = {}
            for record in kafka_utils.run(kafka_utils.consume_all(kafka_bootstrap, topics["trending"], timeout=10)):
                value = orjson.loads(record.value)
                start = datetime.fromisoformat(value["window"]["start"]).replace(tzinfo=timezone.utc).timestamp()
                key = (value["id"], int(start))
                counts[key] = max(counts.get(key, 0), value["count"])
            return counts if counts == dict(expected) else None

        wait_for(latest_counts, 90, "trending counts to equal the mention records per window", interval=2.0)
        # What the trending table reads: the worker's per-second counts, not the mention records.
        # Every row is on the partition of its entity's mention records, and the rows add up to
        # the mention records per entity and second.
        mention_partition = {orjson.loads(r.value)["id"]: r.partition for r in mentions}
        per_second = defaultdict(int)
        for record in mentions:
            per_second[(orjson.loads(record.value)["id"], record.timestamp // 1000)] += 1
        rows = defaultdict(int)
        for record in kafka_utils.run(kafka_utils.consume_all(kafka_bootstrap, topics["mentions"] + ".counts")):
            for entity_id, second, count, _type, _name in parse_counts(record.value):
                assert record.partition == mention_partition[entity_id], entity_id
                rows[(entity_id, second)] += count
        assert rows == per_second
        names = kafka_utils.run(kafka_utils.list_topics(kafka_bootstrap))
        assert f"{prefix}-trending-entity-mention-counts-changelog" in names
        assert f"{prefix}-entity-mention-counts-changelog" not in names  # the worker keeps no table
        status, body = http_get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert status == 200
        published = re.search(rb'news_enricher_records_published_total\{output="trending"\} (\S+)', body)
        assert published and float(published.group(1)) >= len(expected)  # each flushed record counted
    finally:
        _stop(procs)
        _delete_topics(kafka_bootstrap, prefix)


def test_the_counts_topic_exists_before_the_consumer_subscribes(kafka_bootstrap, topic_prefix, tmp_path, monkeypatch):
    """faust would declare it only just before subscribing, too late for the group's first
    assignment (its partitions came minutes later, at a metadata refresh): the app creates it
    when it first starts, with the configured partition count, and waits until it is there."""
    monkeypatch.setenv("NEWS_ENRICHER_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("NEWS_ENRICHER_MENTIONS_TOPIC", f"{topic_prefix}.mentions")
    monkeypatch.setenv("NEWS_ENRICHER_TOPIC_PARTITIONS", "3")
    monkeypatch.setenv("NEWS_ENRICHER_DATA_DIR", str(tmp_path))
    from service.app import create_trending_app

    app = create_trending_app()
    assert app.topics_to_create == {f"{topic_prefix}.mentions.counts": 3}
    kafka_utils.run(app.on_first_start())
    assert len(kafka_utils.run(kafka_utils.partitions_of(kafka_bootstrap, f"{topic_prefix}.mentions.counts", 0))) == 3
    kafka_utils.run(app.on_first_start())  # already there: nothing to do, no error


def _latest_trending(bootstrap: str, topic: str) -> dict:
    counts = {}
    for record in kafka_utils.run(kafka_utils.consume_all(bootstrap, topic, timeout=10)):
        value = orjson.loads(record.value)
        start = datetime.fromisoformat(value["window"]["start"]).replace(tzinfo=timezone.utc).timestamp()
        key = (value["id"], int(start))
        counts[key] = max(counts.get(key, 0), value["count"])
    return counts


def _enriched_ids(bootstrap: str, topic: str) -> set[bytes]:
    return {record.key for record in kafka_utils.run(kafka_utils.consume_all(bootstrap, topic, timeout=10))}


def _mentions_per_window(bootstrap: str, topic: str, n: int | None = None) -> dict:
    """Mention records per (entity id, window): `n` of them (waiting for them), or all there are."""
    mentions = kafka_utils.run(kafka_utils.consume_all(bootstrap, topic, n=n, timeout=60 if n else 10))
    assert n is None or len(mentions) >= n
    expected = defaultdict(int)
    for record in mentions:
        expected[(orjson.loads(record.value)["id"], (record.timestamp // 1000) // WINDOW_S * WINDOW_S)] += 1
    return dict(expected)


def test_two_workers_then_a_restart_count_every_mention_once(kafka_bootstrap, tmp_path):
    """Trending in the workers (the default): two workers send counts for the entities of the
    articles they enrich, each count goes to the worker owning the entity's partition; after both
    stop, one worker recovers the table from its changelog and goes on counting."""
    prefix = kafka_utils.unique_prefix()
    topics = {name: f"{prefix}.{name}" for name in ("raw", "enriched", "dlq", "mentions", "trending")}
    kafka_utils.run(kafka_utils.create_topics(kafka_bootstrap, {t: PARTITIONS for t in topics.values()}))
    env = _service_env(kafka_bootstrap, topics, prefix)

    def start(name: str) -> tuple[subprocess.Popen, int]:
        port = free_port()
        log = (tmp_path / f"{name}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT,
                                env=dict(env, NEWS_ENRICHER_HTTP_PORT=str(port),
                                         NEWS_ENRICHER_DATA_DIR=str(tmp_path / name)))
        return proc, port

    articles = build_articles(40)
    procs = []
    try:
        procs = [start("worker-a"), start("worker-b")]
        for _, port in procs:
            wait_for(lambda: http_get(f"http://127.0.0.1:{port}/readyz")[0] == 200, 90, "worker /readyz")
        kafka_utils.run(kafka_utils.produce(kafka_bootstrap, topics["raw"], articles[:20]))
        wait_for(lambda: len(_enriched_ids(kafka_bootstrap, topics["enriched"])) == 20, 120,
                 "the first 20 articles enriched", interval=1.0)
        wait_for(lambda: _latest_trending(kafka_bootstrap, topics["trending"])
                 == _mentions_per_window(kafka_bootstrap, topics["mentions"]), 90,
                 "two workers' trending counts to equal the mention records per window", interval=2.0)
        _stop([p for p, _ in procs])
        procs = [start("worker-c")]  # a fresh data dir: the table comes back from the changelog
        wait_for(lambda: http_get(f"http://127.0.0.1:{procs[0][1]}/readyz")[0] == 200, 90, "worker /readyz")
        kafka_utils.run(kafka_utils.produce(kafka_bootstrap, topics["raw"], articles[20:]))
        # Counted by distinct article: stopping two members at once may leave messages to be
        # read again (at least once), and their duplicate records must not end the wait early.
        wait_for(lambda: len(_enriched_ids(kafka_bootstrap, topics["enriched"])) == 40, 120,
                 "all 40 articles enriched", interval=1.0)
        # Both sides read afresh each time: a re-read article adds mention records and counts alike.
        wait_for(lambda: _latest_trending(kafka_bootstrap, topics["trending"])
                 == _mentions_per_window(kafka_bootstrap, topics["mentions"]), 90,
                 "counts after the restart to equal all mention records per window", interval=2.0)
    finally:
        _stop([p for p, _ in procs])
        _delete_topics(kafka_bootstrap, prefix)
