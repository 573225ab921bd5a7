"""enrich() end to end on our own fixtures: ids, language, text fields, spans, schema."""

from __future__ import annotations

from datetime import datetime, timezone

import orjson
import pytest

from service.decode import decode, decode_json
from service.model import EnrichmentError, RawArticle
from service.pipeline import Context, enrich
from tests.conftest import FIXTURES, assert_valid

RECEIVED = datetime(2024, 11, 29, 8, 0, tzinfo=timezone.utc)


def run(raw: RawArticle) -> dict:
    return enrich(raw, Context(received_at=RECEIVED))


def fixture_articles():
    yield "ar_txt", decode((FIXTURES / "ar_agency_phone_call.txt").read_bytes(), [("content-type", b"text/plain")])
    yield "fa_txt", decode((FIXTURES / "fa_irna_report.txt").read_bytes())
    for line in (FIXTURES / "en_wire.jsonl").read_bytes().splitlines():
        raw = decode(line)
        yield raw.article_id, raw


@pytest.mark.parametrize("name,raw", list(fixture_articles()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_fixture_enriches_and_validates(name, raw, enriched_validator):
    event = run(raw)
    assert_valid(enriched_validator, orjson.loads(orjson.dumps(event)))
    assert event["text"] == raw.body
    # every span the pipeline reports points at the text it quotes
    for entity in event["entities"]:
        for mention in entity["mentions"] + entity.get("demonym_mentions", []):
            field = event["title"] if mention.get("field") == "title" else event["text"]
            start, end = mention["span"]
            assert field[start:end] == mention["text"]
    for date in event["dates"]:
        field = event["title"] if date.get("field") == "title" else event["text"]
        assert field[date["span"][0]:date["span"][1]] == date["text"]


def test_language_of_each_fixture():
    langs = {name: run(raw)["language"] for name, raw in fixture_articles()}
    assert langs["ar_txt"]["code"] == "ar" and langs["ar_txt"]["confidence"] > 0.9
    assert langs["fa_txt"]["code"] == "fa" and langs["fa_txt"]["confidence"] > 0.9
    assert langs["sample-en-1"]["code"] == "en"
    assert langs["sample-ar-json-1"]["code"] == "ar"


def test_plain_text_title_body_and_publisher_footer():
    raw = decode((FIXTURES / "ar_agency_phone_call.txt").read_bytes())
    event = run(raw)
    assert event["title"].startswith("عراقجي في اتصال مع نظيره التركي")
    assert not event["title"].endswith("|")
    assert event["input"]["format"] == "text/plain"
    assert raw.publisher == "وكالة أنباء تسنيم"


def test_article_id_prefers_given_id_then_url_then_content():
    given = run(decode_json('{"id": "abc", "url": "https://x.example/a", "body": "Some text here."}'))
    assert given["article_id"] == "abc"
    by_url = run(decode_json('{"url": "https://www.x.example/a/?utm_source=t", "body": "Some text here."}'))
    same_url = run(decode_json('{"url": "http://x.example/a", "body": "Other text."}'))
    assert by_url["article_id"] == same_url["article_id"] and by_url["article_id"].startswith("url:")
    by_content = run(decode_json('{"body": "Some text here."}'))
    assert by_content["article_id"].startswith("content:")
    assert by_content["article_id"] == run(decode_json('{"body": "Some text here."}'))["article_id"]


def test_content_hash_ignores_diacritics_markup_and_digit_forms():
    plain = run(decode_json('{"body": "قتل ١٥ شخصا في غزة"}'))
    marked = run(decode_json('{"body": "<p>قُتِلَ 15 شخصاً في غزة</p>"}'))
    other = run(decode_json('{"body": "قتل 16 شخصا في غزة"}'))
    assert plain["content_hash"] == marked["content_hash"] != other["content_hash"]


def test_enrich_is_deterministic_apart_from_processing_time():
    raw = decode((FIXTURES / "fa_irna_report.txt").read_bytes())
    a, b = run(raw), run(raw)
    for event in (a, b):
        event.pop("processed_at")
        event.pop("pipeline")
    assert a == b


def test_empty_body_is_an_enrichment_error():
    with pytest.raises(EnrichmentError) as info:
        run(RawArticle(body="   \n "))
    assert info.value.reason == "empty_body"


def test_a_huge_article_is_analysed_up_to_a_bound_and_says_so():
    from service.document import MAX_ANALYSED_CHARS

    sentence = "قال وزير الخارجية في طهران إن المحادثات مستمرة. "
    body = sentence * (MAX_ANALYSED_CHARS // len(sentence) + 200)
    event = run(RawArticle(body=body, title=None))
    assert event["text"] == body  # the event still carries the whole text
    assert any(w.startswith("analysis_truncated") for w in event["warnings"])
    for entity in event["entities"]:
        assert all(m["span"][1] <= MAX_ANALYSED_CHARS for m in entity["mentions"])
