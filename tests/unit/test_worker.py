"""The Kafka shell's per-message logic, without Kafka: records out, never an exception."""

from __future__ import annotations

import orjson
import pytest

from service.dlq import headers_as_dict
from service.model import InputPosition
from service.settings import Settings
from service.worker import ArticleHandler
from tests.conftest import FIXTURES, assert_valid


@pytest.fixture()
def handler(monkeypatch) -> ArticleHandler:
    monkeypatch.setenv("NEWS_ENRICHER_MAX_MESSAGE_BYTES", "50000")
    return ArticleHandler(Settings.from_env())


POS = InputPosition("articles.raw", 2, 41, 1732867200000)


def test_article_becomes_one_enriched_record_keyed_by_article_id(handler, enriched_validator):
    outcome = handler.handle(b'{"id": "n-1", "body": "Text of the article."}', b"n-1", [], POS)
    assert outcome.status == "enriched"
    [record] = outcome.records
    assert record.topic == "articles.enriched" and record.key == b"n-1"
    event = orjson.loads(record.value)
    assert_valid(enriched_validator, event)
    assert event["input"] == {"topic": "articles.raw", "partition": 2, "offset": 41,
                              "format": "application/json", "shape": "generic"}


@pytest.mark.parametrize("value,reason", [
    (b"\xff\xfe\xfa not utf-8", "invalid_utf8"),
    (b'{"id": "x", "body": "unterminated', "invalid_json"),
    (b'["a", "list"]', "not_an_object"),
    (b'{"id": "x", "body": ""}', "empty_body"),
    (b"   \n\t ", "empty_body"),
    (b'{"id": "x", "body": 42}', "wrong_type"),
    (b'{"id": "x", "body": "' + b"a" * 60000 + b'"}', "too_large"),
    (None, "empty_message"),
])
def test_bad_input_becomes_a_dead_letter_with_original_bytes(handler, dead_letter_validator, value, reason):
    original_headers = [("trace-id", b"abc")]
    outcome = handler.handle(value, b"k", original_headers, POS)
    assert outcome.status == "dead_letter" and outcome.reason == reason
    [record] = outcome.records
    assert record.topic == "articles.dlq"
    assert record.value == (value or b"") and record.key == b"k"
    headers = headers_as_dict(record.headers)
    assert headers["news-enricher.error.reason"] == reason
    assert headers["news-enricher.error.topic"] == "articles.raw"
    assert headers["news-enricher.error.partition"] == "2"
    assert headers["news-enricher.error.offset"] == "41"
    assert headers["trace-id"] == "abc"
    assert_valid(dead_letter_validator, {"headers": headers, "value_bytes": len(record.value)})


def test_a_defect_in_a_stage_is_dead_lettered_not_raised(handler, monkeypatch):
    import service.pipeline as pipeline

    def broken(doc):
        raise KeyError("boom")

    monkeypatch.setattr(pipeline, "extract_dates", broken)
    outcome = handler.handle((FIXTURES / "fa_irna_report.txt").read_bytes(), None, [], POS)
    assert outcome.status == "dead_letter"
    headers = headers_as_dict(outcome.records[0].headers)
    assert headers["news-enricher.error.stage"] == "dates"
    assert headers["news-enricher.error.reason"] == "stage_error"


def test_settings_never_print_the_password(monkeypatch):
    monkeypatch.setenv("NEWS_ENRICHER_SASL_PASSWORD", "s3cret-value")
    settings = Settings.from_env()
    assert "s3cret-value" not in repr(settings)
    assert "s3cret-value" not in str(settings.masked())


def _agent_names(app) -> set[str]:
    return {agent.name.rsplit(".", 1)[-1] for agent in app.agents.values()}


def test_trending_runs_in_the_worker_or_in_its_own_process(monkeypatch, tmp_path):
    from service.app import create_app, create_trending_app

    monkeypatch.setenv("NEWS_ENRICHER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEWS_ENRICHER_CONSUMER_GROUP", "u-group")
    in_worker = create_app(Settings.from_env())
    assert {"enrich-articles", "count-entity-mentions"} <= _agent_names(in_worker)

    monkeypatch.setenv("NEWS_ENRICHER_TRENDING_IN_WORKER", "false")
    settings = Settings.from_env()
    assert settings.trending_in_worker is False
    worker_only = create_app(settings)
    assert "count-entity-mentions" not in _agent_names(worker_only)
    assert "enrich-articles" in _agent_names(worker_only)
    trending = create_trending_app(settings)
    assert _agent_names(trending) == {"count-entity-mentions"}
    # Its own consumer group, so it never joins the enrichment workers' group.
    assert trending.conf.id == "u-group-trending" and worker_only.conf.id == "u-group"
    assert trending.conf.producer_linger == worker_only.conf.producer_linger == settings.producer_linger_ms / 1000


@pytest.mark.parametrize("raw, expected", [("false", False), ("0", False), ("TRUE", True), ("yes", True)])
def test_boolean_settings(monkeypatch, raw, expected):
    monkeypatch.setenv("NEWS_ENRICHER_TRENDING_IN_WORKER", raw)
    assert Settings.from_env().trending_in_worker is expected


def test_bad_boolean_and_linger_settings_are_refused(monkeypatch):
    monkeypatch.setenv("NEWS_ENRICHER_TRENDING_IN_WORKER", "maybe")
    with pytest.raises(SystemExit, match="TRENDING_IN_WORKER"):
        Settings.from_env()
    monkeypatch.delenv("NEWS_ENRICHER_TRENDING_IN_WORKER")
    monkeypatch.setenv("NEWS_ENRICHER_PRODUCER_LINGER_MS", "soon")
    with pytest.raises(SystemExit, match="PRODUCER_LINGER_MS"):
        Settings.from_env()
