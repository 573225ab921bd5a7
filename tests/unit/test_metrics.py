"""Metrics, mention/trending records and readiness logic, without Kafka."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import NamedTuple

import orjson
import pytest
from aiokafka.errors import KafkaConnectionError
from aiokafka.protocol.metadata import MetadataRequest_v1
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client import generate_latest

from service import metrics
from service.http import Readiness, partitions_state, probe_broker, warm_up
from service.mentions import mention_records
from service.model import RawArticle
from service.pipeline import Context, enrich
from service.settings import Settings
from service.worker import OutRecord
from service.trending import trending_record, window_bounds
from tests.conftest import assert_valid, load_validator

ARTICLE = RawArticle(
    body="أعلن وزير الخارجية الفرنسي في باريس يوم الخميس 9 أيار/مايو 2024 أن الأمم المتحدة ستعقد اجتماعا في جنيف.",
    article_id="unit-metrics-1", language="ar",
)


def value(name: str, labels: dict | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


@pytest.fixture(scope="module")
def event() -> dict:
    return enrich(ARTICLE, Context(received_at=datetime(2024, 5, 9, 8, 0, tzinfo=timezone.utc)))


@pytest.fixture
def settings(monkeypatch) -> Settings:
    for name, topic in {"ENRICHED_TOPIC": "u.enriched", "DLQ_TOPIC": "u.dlq",
                        "MENTIONS_TOPIC": "u.mentions", "TRENDING_TOPIC": "u.trending"}.items():
        monkeypatch.setenv("NEWS_ENRICHER_" + name, topic)
    return Settings.from_env()


def test_observe_enriched_counts_article_stages_entities_dates(event):
    assert event["entities"] and event["dates"], "the fixture article should have entities and dates"
    before = {
        "enriched": value("news_enricher_articles_enriched_total"),
        "ar": value("news_enricher_articles_by_language_total", {"language": "ar"}),
        "entities": value("news_enricher_stage_duration_seconds_count", {"stage": "entities"}),
        "all": value("news_enricher_enrich_duration_seconds_count"),
    }
    types = {}
    for entity in event["entities"]:
        types[entity["type"]] = types.get(entity["type"], 0) + 1
    calendars = {}
    for date in event["dates"]:
        calendars[date["calendar"]] = calendars.get(date["calendar"], 0) + 1
    found_before = {t: value("news_enricher_entities_found_total", {"type": t}) for t in types}
    dates_before = {c: value("news_enricher_dates_found_total", {"calendar": c}) for c in calendars}

    metrics.observe_enriched(event)

    assert value("news_enricher_articles_enriched_total") == before["enriched"] + 1
    assert value("news_enricher_articles_by_language_total", {"language": "ar"}) == before["ar"] + 1
    assert value("news_enricher_stage_duration_seconds_count", {"stage": "entities"}) == before["entities"] + 1
    assert value("news_enricher_enrich_duration_seconds_count") == before["all"] + 1
    for t, n in types.items():
        assert value("news_enricher_entities_found_total", {"type": t}) == found_before[t] + n
    for c, n in calendars.items():
        assert value("news_enricher_dates_found_total", {"calendar": c}) == dates_before[c] + n


def test_unknown_language_and_type_fold_into_other(event):
    odd = dict(event, language={"code": "xx", "confidence": 0.5}, article_id="unit-odd",
               entities=[dict(event["entities"][0], type="WEIRD")], dates=[])
    lang_before = value("news_enricher_articles_by_language_total", {"language": "other"})
    type_before = value("news_enricher_entities_found_total", {"type": "other"})
    metrics.observe_enriched(odd)
    assert value("news_enricher_articles_by_language_total", {"language": "other"}) == lang_before + 1
    assert value("news_enricher_entities_found_total", {"type": "other"}) == type_before + 1
    assert value("news_enricher_articles_by_language_total", {"language": "xx"}) == 0


def _record(output, received_at=None, headers=None):
    return OutRecord("any.topic", b"k", b"{}", headers or [], output, received_at)


def _settle(record, exc=None) -> None:
    """Hand `record` to metrics.watch_record with a future, then settle the future."""
    import asyncio

    async def run():
        future = asyncio.get_running_loop().create_future()
        metrics.watch_record(record, future)
        if exc is None:
            future.set_result(None)
        else:
            future.set_exception(exc)
        await asyncio.sleep(0)  # done-callbacks run on the next loop iteration
        if exc is not None:
            future.exception()  # retrieved, as DeliveryWindow does

    asyncio.run(run())


def test_failure_is_counted_at_once_dead_letter_only_when_acknowledged():
    labels = {"stage": "decode", "reason": "invalid_json"}
    failed, dead = value("news_enricher_articles_failed_total", labels), value("news_enricher_articles_dead_lettered_total", labels)
    metrics.observe_dead_letter("decode", "invalid_json")
    assert value("news_enricher_articles_failed_total", labels) == failed + 1
    assert value("news_enricher_articles_dead_lettered_total", labels) == dead

    headers = [("news-enricher.error.stage", b"decode"), ("news-enricher.error.reason", b"invalid_json")]
    published = value("news_enricher_records_published_total", {"output": "dead_letter"})
    _settle(_record("dead_letter", headers=headers))
    assert value("news_enricher_articles_dead_lettered_total", labels) == dead + 1
    assert value("news_enricher_records_published_total", {"output": "dead_letter"}) == published + 1


def test_end_to_end_latency_from_receive_to_acknowledgement():
    count = value("news_enricher_end_to_end_latency_seconds_count")
    total = value("news_enricher_end_to_end_latency_seconds_sum")
    published = value("news_enricher_records_published_total", {"output": "enriched"})
    _settle(_record("enriched", received_at=time.time() - 0.25))
    assert value("news_enricher_end_to_end_latency_seconds_count") == count + 1
    assert 0.25 <= value("news_enricher_end_to_end_latency_seconds_sum") - total < 5.0
    assert value("news_enricher_records_published_total", {"output": "enriched"}) == published + 1


def test_send_errors_by_output():
    before = value("news_enricher_producer_send_errors_total", {"output": "mentions"})
    published = value("news_enricher_records_published_total", {"output": "mentions"})
    _settle(_record("mentions"), exc=RuntimeError("broker says no"))
    assert value("news_enricher_producer_send_errors_total", {"output": "mentions"}) == before + 1
    assert value("news_enricher_records_published_total", {"output": "mentions"}) == published


def test_records_faust_sends_itself_are_counted_by_the_sensor(settings):
    sensor = metrics.PublishSensor(settings)
    trending = value("news_enricher_records_published_total", {"output": "trending"})
    sensor.on_send_completed(None, sensor.on_send_initiated(None, "u.trending", SimpleNamespace(key=b"Q1", headers=None), 2, 10), None)
    assert value("news_enricher_records_published_total", {"output": "trending"}) == trending + 1
    other = value("news_enricher_producer_send_errors_total", {"output": "other"})
    sensor.on_send_error(None, RuntimeError("x"), sensor.on_send_initiated(None, "who.knows", SimpleNamespace(key=None, headers=None), 0, 0))
    assert value("news_enricher_producer_send_errors_total", {"output": "other"}) == other + 1


class TP(NamedTuple):
    topic: str
    partition: int


class FakeConsumer:
    def __init__(self, assigned, highwaters, committed, read):
        self._assigned, self._high = assigned, highwaters
        self._committed_offset, self._read_offset = committed, read

    def assignment(self):
        return set(self._assigned)

    def highwater(self, tp):
        return self._high.get(tp)


def test_scrape_time_gauges_lag_assignment_in_flight(monkeypatch):
    t0, t1, t2 = TP("u.raw", 0), TP("u.raw", 1), TP("u.raw", 2)
    consumer = FakeConsumer([t0, t1, t2], {t0: 120, t1: 50, t2: None}, {t0: 100}, {t1: 9})
    app = SimpleNamespace(consumer=consumer, delivery_window=[1, 2, 3])
    monkeypatch.setattr(metrics._COLLECTOR, "app", app)
    assert metrics.consumer_lag(app) == {t0: 20, t1: 40}  # t1: next offset after read 9 is 10
    assert value("news_enricher_consumer_lag_records", {"topic": "u.raw", "partition": "0"}) == 20
    assert value("news_enricher_consumer_lag_records", {"topic": "u.raw", "partition": "1"}) == 40
    assert REGISTRY.get_sample_value("news_enricher_consumer_lag_records", {"topic": "u.raw", "partition": "2"}) is None
    assert value("news_enricher_assigned_partitions") == 3
    assert value("news_enricher_in_flight_articles") == 3


def test_metric_names_follow_conventions():
    families = {f.name: f for f in text_string_to_metric_families(generate_latest(REGISTRY).decode())
                if f.name.startswith("news_enricher")}
    expected = {
        "news_enricher_articles_consumed", "news_enricher_articles_enriched", "news_enricher_articles_failed",
        "news_enricher_articles_dead_lettered", "news_enricher_stage_duration_seconds",
        "news_enricher_enrich_duration_seconds", "news_enricher_end_to_end_latency_seconds",
        "news_enricher_entities_found", "news_enricher_dates_found", "news_enricher_articles_by_language",
        "news_enricher_records_published", "news_enricher_producer_send_errors",
        "news_enricher_event_loop_lag_seconds", "news_enricher_build_info", "news_enricher_consumer_lag_records",
        "news_enricher_assigned_partitions", "news_enricher_in_flight_articles",
        "news_enricher_gc_pause_seconds",
    }
    assert expected <= set(families), expected - set(families)
    bounded_labels = {"stage", "reason", "language", "type", "calendar", "output", "topic", "partition", "version",
                      "generation"}
    for name, family in families.items():
        assert re.fullmatch(r"news_enricher_[a-z_]+", name), name
        if family.type == "histogram":
            assert name.endswith("_seconds"), f"{name}: durations in seconds"
        for sample in family.samples:
            assert set(sample.labels) - {"le"} <= bounded_labels, (name, sample.labels)
            if family.type == "counter" and not sample.name.endswith("_created"):
                assert sample.name.endswith("_total"), sample.name


def test_mention_records_match_schema(event):
    validator = load_validator("entity-mention.v1.schema.json")
    records = mention_records(event)
    assert len(records) == len(event["entities"])
    for (key, raw), entity in zip(records, event["entities"]):
        value_ = orjson.loads(raw)
        assert_valid(validator, value_)
        assert key == entity["id"].encode() == value_["id"].encode()
        assert value_["article_id"] == event["article_id"]


def test_trending_windows_and_record_schema():
    assert window_bounds(1_715_241_599.9, 300) == (1_715_241_300, 1_715_241_600)
    assert window_bounds(1_715_241_600.0, 300) == (1_715_241_600, 1_715_241_900)
    validator = load_validator("entity-trending.v1.schema.json")
    record = orjson.loads(trending_record("Q90", {"type": "LOC", "name": "Paris"}, 1_715_241_600, 1_715_241_900, 7))
    assert_valid(validator, record)
    assert record["window"] == {"start": "2024-05-09T08:00:00Z", "end": "2024-05-09T08:05:00Z", "size_seconds": 300}
    assert record["count"] == 7
    unnamed = orjson.loads(trending_record("local:x", {}, 0, 60, 1))
    assert_valid(validator, unnamed)


def test_readiness_rules():
    ready = Readiness()
    assert not ready.broker_reachable()
    ready.broker_ok_at = time.monotonic()
    assert ready.broker_reachable()
    ready.broker_ok_at = time.monotonic() - 3600
    assert not ready.broker_reachable()

    class NotStarted:
        @property
        def consumer(self):
            raise RuntimeError("no consumer yet")

    assert partitions_state(NotStarted(), ready) == (False, 0)
    idle = SimpleNamespace(consumer=FakeConsumer([], {}, {}, {}))
    assert partitions_state(idle, ready) == (False, 0)
    ready.assignment_done = True  # a rebalance finished and left this worker no partition
    assert partitions_state(idle, ready) == (True, 0)
    busy = SimpleNamespace(consumer=FakeConsumer([TP("t", 0)], {}, {}, {}))
    assert partitions_state(busy, Readiness()) == (True, 1)


class FakeMetadataClient:
    """Known brokers `nodes`; the ones in `down` refuse; the others answer with `brokers`."""

    def __init__(self, nodes=(1,), down=(), brokers=("broker",)):
        self.cluster = SimpleNamespace(brokers=lambda: [SimpleNamespace(nodeId=n) for n in nodes])
        self.down, self.brokers, self.sent = set(down), list(brokers), []

    async def send(self, node, request):
        self.sent.append((node, request))
        if node in self.down:
            raise KafkaConnectionError(f"connection to {node} refused")
        return SimpleNamespace(brokers=self.brokers, topics=[])


def app_with(client):
    return SimpleNamespace(producer=SimpleNamespace(started=True, _ensure_producer=lambda: SimpleNamespace(client=client)))


async def test_broker_probe_asks_for_no_topics():
    # A request for every topic's metadata costs the worker's event loop ~0.05 ms per topic of
    # the cluster, every check; the broker list answers "reachable" just as well.
    client = FakeMetadataClient()
    ready = Readiness()
    await probe_broker(app_with(client), ready)
    assert ready.broker_reachable() and ready.broker_error is None
    [(node, request)] = client.sent
    assert node == 1
    assert request.build(MetadataRequest_v1).topics == []  # an empty array: no topics (null: all)


async def test_broker_probe_is_answered_by_any_broker_and_fails_without_one():
    one_down = FakeMetadataClient(nodes=(1, 2, 3), down=(1, 2))
    ready = Readiness()
    await probe_broker(app_with(one_down), ready)
    assert ready.broker_reachable()  # broker 3 answered, whatever order they were asked in
    for client in (FakeMetadataClient(nodes=()), FakeMetadataClient(nodes=(1, 2), down=(1, 2)),
                   FakeMetadataClient(brokers=())):
        ready = Readiness()
        await probe_broker(app_with(client), ready)
        assert not ready.broker_reachable()
        assert "KafkaConnectionError" in ready.broker_error


def test_warm_up_enriches_every_language():
    warm_up()  # raises if any language fails


def test_garbage_collections_are_timed_by_generation():
    import gc

    from service.metrics import install_gc_metrics

    install_gc_metrics()
    install_gc_metrics()  # idempotent: one callback, not two
    from service.metrics import _observe_gc

    assert gc.callbacks.count(_observe_gc) == 1
    before = value("news_enricher_gc_pause_seconds_count", {"generation": "2"})
    gc.collect()
    assert value("news_enricher_gc_pause_seconds_count", {"generation": "2"}) == before + 1
    assert value("news_enricher_gc_pause_seconds_sum", {"generation": "2"}) > 0


def test_build_info_carries_the_runtime_choices():
    try:
        metrics.describe_runtime(event_loop="uvloop", date_conventions="news")
        labels = REGISTRY.get_sample_value("news_enricher_build_info", {
            "version": metrics.__version__, "event_loop": "uvloop", "date_conventions": "news"})
        assert labels == 1.0
    finally:
        metrics.BUILD_INFO.info({"version": metrics.__version__})
