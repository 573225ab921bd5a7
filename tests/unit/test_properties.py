"""Property tests: arbitrary bytes and arbitrary JSON through decode + enrich (via the worker's
`ArticleHandler.handle`).  The only outcomes are one enriched event (valid against its schema,
keyed by its article_id) or one dead-letter record carrying the original bytes; never an
exception, and the same input always gives the same outcome."""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.dlq import headers_as_dict
from service.model import InputPosition
from service.settings import Settings
from service.worker import ArticleHandler
from tests.conftest import assert_valid, load_validator

POS = InputPosition("articles.raw", 0, 12, 1764403200000)
HANDLER = ArticleHandler(Settings.from_env())
ENRICHED = load_validator("enriched-article.v1.schema.json")
DEAD = load_validator("dead-letter.v1.schema.json")
PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like news in our languages, with the odd hostile character mixed in.
WORDS = st.sampled_from([
    "قال", "الوزير", "في", "بغداد", "يوم", "الأحد", "12", "تشرين", "الثاني", "2023", "رويترز",
    "وزیر", "خارجه", "تهران", "۱۴۰۲", "اسفند", "ایرنا", "گفت", "The", "minister", "said", "Reuters",
    "LONDON", "(AP)", "-", "on", "Friday", "March", "|", "ناشر", "\n", "\u200c", "\u202e", "ـ",
    "<p>", "&amp;", "\u064e", "٣", "«", "»", ":", "/",
])
NEWSY_TEXT = st.lists(WORDS, min_size=0, max_size=60).map(" ".join)
TEXT = st.one_of(NEWSY_TEXT, st.text(max_size=300))
JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1),  # orjson: 64-bit
                      st.floats(allow_nan=False, allow_infinity=False),
                      TEXT)
JSON = st.recursive(JSON_LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20)
FIELD = st.sampled_from(["id", "title", "body", "text", "content", "published_at", "url",
                         "publisher", "language", "authors", "source", "date", "thread"])
ARTICLE_LIKE = st.dictionaries(FIELD, st.one_of(TEXT, JSON), max_size=8)


def check(value: bytes, headers=None) -> None:
    outcome = HANDLER.handle(value, b"k", headers or [], POS)
    assert outcome.status in ("enriched", "dead_letter")
    if outcome.status == "dead_letter":
        [record] = outcome.records
        assert record.topic == HANDLER.settings.dlq_topic and record.value == value
        assert_valid(DEAD, {"headers": headers_as_dict(record.headers), "value_bytes": len(value)})
    else:
        first = outcome.records[0]
        assert first.topic == HANDLER.settings.enriched_topic
        event = orjson.loads(first.value)
        assert_valid(ENRICHED, event)
        assert first.key == event["article_id"].encode()
    again = HANDLER.handle(value, b"k", headers or [], POS)
    assert (again.status, again.reason, again.article_id) == (outcome.status, outcome.reason, outcome.article_id)


@PROFILE
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(value):
    check(value)


@PROFILE
@given(TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_arbitrary_text_as_plain_text(value):
    check(value, [("content-type", b"text/plain")])


@PROFILE
@given(JSON)
def test_arbitrary_json(obj):
    check(orjson.dumps(obj))


@PROFILE
@given(ARTICLE_LIKE)
def test_article_shaped_json(obj):
    check(orjson.dumps(obj), [("content-type", b"application/json")])


@PROFILE
@given(NEWSY_TEXT, NEWSY_TEXT, st.sampled_from(["", "id-1", "٣٤٥", "\u202e"]))
def test_newsy_articles(title, body, article_id):
    check(orjson.dumps({"id": article_id, "title": title, "body": body}))
