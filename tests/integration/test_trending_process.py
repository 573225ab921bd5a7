"""Trending in its own process: a worker with NEWS_ENRICHER_TRENDING_IN_WORKER=false and one
`news-enricher trending` process on the real broker.

- the worker still publishes one entities.mentions record per entity per article;
- the trending process counts them into entities.trending, and the newest count per
  (entity, window) equals the mention records in that window;
- it uses its own consumer group and changelog (`<group>-trending-...`), the worker none;
- its /metrics answers on its HTTP port.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timezone

import orjson

from tests.conftest import ROOT

from . import kafka_utils
from .test_prometheus_worker import build_articles, free_port, http_get, wait_for

PARTITIONS = 2
WINDOW_S = 60


def test_trending_process_counts_what_the_worker_mentions(kafka_bootstrap, tmp_path):
    prefix = kafka_utils.unique_prefix()
    topics = {name: f"{prefix}.{name}" for name in ("raw", "enriched", "dlq", "mentions", "trending")}
    kafka_utils.run(kafka_utils.create_topics(kafka_bootstrap, {t: PARTITIONS for t in topics.values()}))
    metrics_port = free_port()
    env = dict(os.environ)
    env.update({
        "NEWS_ENRICHER_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "NEWS_ENRICHER_RAW_TOPIC": topics["raw"], "NEWS_ENRICHER_ENRICHED_TOPIC": topics["enriched"],
        "NEWS_ENRICHER_DLQ_TOPIC": topics["dlq"], "NEWS_ENRICHER_MENTIONS_TOPIC": topics["mentions"],
        "NEWS_ENRICHER_TRENDING_TOPIC": topics["trending"], "NEWS_ENRICHER_CONSUMER_GROUP": prefix,
        "NEWS_ENRICHER_TOPIC_PARTITIONS": str(PARTITIONS), "NEWS_ENRICHER_TRENDING_WINDOW_SECONDS": str(WINDOW_S),
        "NEWS_ENRICHER_TRENDING_IN_WORKER": "false", "NEWS_ENRICHER_HTTP_HOST": "127.0.0.1",
    })
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
        names = kafka_utils.run(kafka_utils.list_topics(kafka_bootstrap))
        assert f"{prefix}-trending-entity-mention-counts-changelog" in names
        assert f"{prefix}-entity-mention-counts-changelog" not in names  # the worker keeps no table
        status, body = http_get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert status == 200 and b'news_enricher_records_published_total{output="trending"}' in body
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        kafka_utils.run(kafka_utils.delete_topics_with_prefix(kafka_bootstrap, prefix))
        changelogs = [t for t in kafka_utils.run(kafka_utils.list_topics(kafka_bootstrap)) if t.startswith(prefix + "-")]
        kafka_utils.run(kafka_utils.delete_topics(kafka_bootstrap, changelogs))
