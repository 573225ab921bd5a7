"""Operations on the real broker: a real Prometheus server scraping a running worker.

One worker subprocess (`news-enricher worker`, as the container runs it) and one Prometheus
server (Debian's `prometheus` binary) are shared by every test in this module:
- the article counters, read back through Prometheus's HTTP API, rose by exactly the number of
  articles produced (and the failure/dead-letter counters by the malformed ones);
- /healthz, /readyz and /metrics answer, and nothing else is served;
- entities.mentions and entities.trending records match their schemas, and the trending counts
  equal the mention records per entity per window;
- every PromQL expression of the Grafana dashboard and every alert rule is accepted by the
  server's query API.

Without the `prometheus` binary the module skips, except under CI=true where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest

from tests.conftest import ROOT, assert_valid, load_validator

from . import kafka_utils

PARTITIONS = 2
WINDOW_S = 60
ARTICLES = {
    "ar": "التقى الرئيس الفرنسي إيمانويل ماكرون في باريس يوم الاثنين وزير الخارجية الأردني في الجولة {n} من المشاورات.",
    "fa": "به گزارش ایرنا، وزیر امور خارجه ایران در تهران با همتای روسی خود در دور {n} گفتگوها دیدار کرد.",
    "en": "WASHINGTON (AP) - The United Nations said on Tuesday that round {n} of talks in Geneva would resume next week.",
}
MALFORMED = [b"\xff\xfe not utf-8", b'{"id": "x", "body": ']


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"`{name}` not found: install it with `bash .ci/install-ops.sh` (Debian package prometheus)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for(predicate, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except (OSError, ValueError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def build_articles(count: int) -> list[tuple[bytes, bytes, list]]:
    langs = list(ARTICLES)
    out = []
    for n in range(count):
        lang = langs[n % 3]
        value = orjson.dumps({"id": f"ops-{n}", "title": f"Title {n}", "body": ARTICLES[lang].format(n=n), "language": lang})
        out.append((f"ops-{n}".encode(), value, [("content-type", b"application/json")]))
    return out


@pytest.fixture(scope="module")
def stack(kafka_bootstrap, tmp_path_factory):
    """Topics, one worker subprocess and one Prometheus server scraping it."""
    prometheus = _tool("prometheus")
    tmp = tmp_path_factory.mktemp("ops")
    prefix = kafka_utils.unique_prefix()
    topics = {name: f"{prefix}.{name}" for name in ("raw", "enriched", "dlq", "mentions", "trending")}
    kafka_utils.run(kafka_utils.create_topics(kafka_bootstrap, {t: PARTITIONS for t in topics.values()}))
    worker_port, prom_port = free_port(), free_port()
    env = dict(os.environ)
    env.update({
        "NEWS_ENRICHER_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "NEWS_ENRICHER_RAW_TOPIC": topics["raw"],
        "NEWS_ENRICHER_ENRICHED_TOPIC": topics["enriched"],
        "NEWS_ENRICHER_DLQ_TOPIC": topics["dlq"],
        "NEWS_ENRICHER_MENTIONS_TOPIC": topics["mentions"],
        "NEWS_ENRICHER_TRENDING_TOPIC": topics["trending"],
        "NEWS_ENRICHER_CONSUMER_GROUP": prefix,
        "NEWS_ENRICHER_TOPIC_PARTITIONS": str(PARTITIONS),
        "NEWS_ENRICHER_DATA_DIR": str(tmp / "data"),
        "NEWS_ENRICHER_HTTP_HOST": "127.0.0.1",
        "NEWS_ENRICHER_HTTP_PORT": str(worker_port),
        "NEWS_ENRICHER_TRENDING_WINDOW_SECONDS": str(WINDOW_S),
    })
    config = tmp / "prometheus.yml"
    config.write_text(json.dumps({  # JSON is YAML
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{"job_name": "news-enricher",
                            "static_configs": [{"targets": [f"127.0.0.1:{worker_port}"]}]}],
    }))
    worker_log, prom_log = (tmp / "worker.log").open("wb"), (tmp / "prometheus.log").open("wb")
    worker = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], cwd=ROOT, env=env,
                              stdout=worker_log, stderr=subprocess.STDOUT)
    prom = subprocess.Popen([prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{prom_port}"],
                            cwd=tmp, stdout=prom_log, stderr=subprocess.STDOUT)
    state = {"topics": topics, "worker_url": f"http://127.0.0.1:{worker_port}",
             "prom_url": f"http://127.0.0.1:{prom_port}", "bootstrap": kafka_bootstrap,
             "worker_log": tmp / "worker.log", "worker": worker}
    try:
        wait_for(lambda: http_get(state["worker_url"] + "/readyz")[0] == 200, 90, "worker /readyz 200")
        wait_for(lambda: http_get(state["prom_url"] + "/-/ready")[0] == 200, 30, "prometheus ready")
        yield state
    finally:
        for proc in (worker, prom):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (worker, prom):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        worker_log.close()
        prom_log.close()
        kafka_utils.run(kafka_utils.delete_topics_with_prefix(kafka_bootstrap, prefix))


def prom_query(stack, expr: str) -> dict:
    status, body = http_get(stack["prom_url"] + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    data = json.loads(body)
    assert status == 200 and data["status"] == "success", f"{expr!r}: {status} {data.get('error')}"
    return data["data"]


def prom_value(stack, expr: str) -> float | None:
    result = prom_query(stack, expr)["result"]
    return float(result[0]["value"][1]) if result else None


def scraped_at_least_once_since(stack, since: float) -> bool:
    result = prom_query(stack, 'up{job="news-enricher"}')["result"]
    return bool(result) and result[0]["value"][1] == "1" and float(result[0]["value"][0]) > since


@pytest.fixture(scope="module")
def produced(stack):
    """Produce the articles once (after a first scrape recorded the counters' baseline)."""
    wait_for(lambda: prom_value(stack, 'news_enricher_articles_consumed_total{job="news-enricher"}') is not None,
             30, "a first scrape of the worker")
    baseline = {name: prom_value(stack, f'sum(news_enricher_{name}_total{{job="news-enricher"}})') or 0.0
                for name in ("articles_consumed", "articles_enriched", "articles_failed", "articles_dead_lettered")}
    articles = build_articles(60)
    bad = [(f"bad-{i}".encode(), value, [("content-type", b"application/json")]) for i, value in enumerate(MALFORMED)]
    kafka_utils.run(kafka_utils.produce(stack["bootstrap"], stack["topics"]["raw"], articles[:30] + bad + articles[30:]))
    return {"baseline": baseline, "articles": len(articles), "malformed": len(bad)}


def test_prometheus_sees_counters_rise_by_articles_produced(stack, produced):
    base, good, bad = produced["baseline"], produced["articles"], produced["malformed"]
    expected = {
        "articles_consumed": base["articles_consumed"] + good + bad,
        "articles_enriched": base["articles_enriched"] + good,
        "articles_failed": base["articles_failed"] + bad,
        "articles_dead_lettered": base["articles_dead_lettered"] + bad,
    }

    def all_reached():
        seen = {name: prom_value(stack, f'sum(news_enricher_{name}_total{{job="news-enricher"}})')
                for name in expected}
        return seen if seen == expected else None

    try:
        wait_for(all_reached, 90, f"Prometheus to see {expected}", interval=1.0)
    except AssertionError:
        log = stack["worker_log"].read_text(errors="replace")[-3000:]
        seen = {name: prom_value(stack, f'sum(news_enricher_{name}_total{{job="news-enricher"}})') for name in expected}
        raise AssertionError(f"expected {expected}, Prometheus has {seen}\n{log}") from None
    # Every good article was published: one enriched record each, end-to-end latency per article.
    wait_for(lambda: prom_value(stack, 'news_enricher_records_published_total{output="enriched"}') == good, 30,
             "records_published{output=enriched}")
    assert prom_value(stack, "news_enricher_end_to_end_latency_seconds_count") == good
    assert prom_value(stack, "sum(news_enricher_articles_by_language_total)") == good
    assert prom_value(stack, 'news_enricher_articles_by_language_total{language="ar"}') == good / 3
    assert prom_value(stack, 'news_enricher_stage_duration_seconds_count{stage="entities"}') == good
    assert prom_value(stack, "sum(news_enricher_producer_send_errors_total)") in (None, 0.0)
    assert prom_value(stack, 'news_enricher_build_info{version!=""}') == 1
    # Lag per partition of the raw topic is exported and drains to zero.
    raw = stack["topics"]["raw"]
    wait_for(lambda: prom_value(stack, f'sum(news_enricher_consumer_lag_records{{topic="{raw}"}})') == 0, 30,
             "consumer lag 0")
    assert len(prom_query(stack, f'news_enricher_consumer_lag_records{{topic="{raw}"}}')["result"]) == PARTITIONS


def test_health_endpoints_and_nothing_else(stack):
    url = stack["worker_url"]
    status, body = http_get(url + "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, body = http_get(url + "/readyz")
    ready = json.loads(body)
    assert status == 200, ready
    assert ready["ready"] and ready["models_loaded"] and ready["broker_reachable"]
    assert ready["partitions_assigned"] >= PARTITIONS
    status, body = http_get(url + "/metrics")
    text = body.decode()
    assert status == 200 and "news_enricher_articles_consumed_total" in text
    for name in ("news_enricher_event_loop_lag_seconds_count", "news_enricher_in_flight_articles",
                 "news_enricher_assigned_partitions", "news_enricher_build_info"):
        assert name in text, name
    for path in ("/", "/stats/", "/router/", "/table/", "/metrics/extra"):
        assert http_get(url + path)[0] == 404, path


def test_mentions_and_trending_records(stack, produced):
    mention_v = load_validator("entity-mention.v1.schema.json")
    trending_v = load_validator("entity-trending.v1.schema.json")
    topics, bootstrap = stack["topics"], stack["bootstrap"]
    # The enriched events say how many mention records to expect: one per entity per article.
    enriched = kafka_utils.run(kafka_utils.consume_all(bootstrap, topics["enriched"], n=produced["articles"], timeout=60))
    want = sum(len(orjson.loads(r.value)["entities"]) for r in enriched)
    assert want > 0, "the fixture articles should mention entities"
    mentions = kafka_utils.run(kafka_utils.consume_all(bootstrap, topics["mentions"], n=want, timeout=60))
    assert len(mentions) == want
    expected = defaultdict(int)
    for record in mentions:
        value = orjson.loads(record.value)
        assert_valid(mention_v, value)
        assert record.key.decode() == value["id"]
        start = (record.timestamp // 1000) // WINDOW_S * WINDOW_S
        expected[(value["id"], start)] += 1

    def latest_counts():
        records = kafka_utils.run(kafka_utils.consume_all(bootstrap, topics["trending"], timeout=10))
        counts = {}
        for record in records:
            value = orjson.loads(record.value)
            assert_valid(trending_v, value)
            assert record.key.decode() == value["id"]
            start = datetime.fromisoformat(value["window"]["start"]).replace(tzinfo=timezone.utc).timestamp()
            key = (value["id"], int(start))
            counts[key] = max(counts.get(key, 0), value["count"])
        return counts if counts == dict(expected) else None

    try:
        wait_for(latest_counts, 60, "trending counts to equal the mention records per window", interval=2.0)
    except AssertionError:
        got = kafka_utils.run(kafka_utils.consume_all(bootstrap, topics["trending"], timeout=10))
        raise AssertionError(f"expected {dict(expected)}\n got {[orjson.loads(r.value) for r in got][:20]}") from None


def test_dashboard_and_alert_expressions_are_valid_promql(stack):
    exprs = dashboard_expressions() + alert_expressions()
    assert len(exprs) >= 10
    for where, expr in exprs:
        # Grafana variables: substitute the values a dashboard would.
        concrete = expr.replace("$__rate_interval", "1m").replace("$__range", "1h").replace("$job", "news-enricher")
        status, body = http_get(stack["prom_url"] + "/api/v1/query?" + urllib.parse.urlencode({"query": concrete}))
        data = json.loads(body)
        assert status == 200 and data["status"] == "success", f"{where}: {concrete!r}: {data.get('error')}"


def dashboard_expressions() -> list[tuple[str, str]]:
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "dashboards" / "news-enricher.json").read_text())
    out = []
    for panel in dashboard["panels"]:
        if panel["datasource"]["type"] != "prometheus":
            continue  # the Kafka data source panel (top entities) has no PromQL
        for target in panel["targets"]:
            out.append((f"panel {panel['title']!r}", target["expr"]))
    return out


def alert_expressions() -> list[tuple[str, str]]:
    import yaml

    rules = yaml.safe_load(Path(ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    return [(f"rule {r.get('alert') or r.get('record')}", r["expr"])
            for group in rules["groups"] for r in group["rules"]]
