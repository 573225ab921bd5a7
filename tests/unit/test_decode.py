"""Decoder: JSON shapes and aliases, plain text, hostile input (always DecodeError or RawArticle)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.decode import DEFAULT_MAX_BYTES, REASONS, DecodeError, article_from_mapping, decode


def _j(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _reason(value, headers=None, **kw) -> str:
    with pytest.raises(DecodeError) as info:
        decode(value, headers, **kw)
    assert info.value.reason in REASONS
    assert info.value.stage == "decode"
    return info.value.reason


# --- JSON shapes -----------------------------------------------------------------------------

def test_generic_shape_and_extra_fields_kept():
    raw = decode(_j({"id": "a1", "url": "https://example.org/x", "title": "عنوان الخبر",
                     "body": "نص الخبر هنا.", "published_at": "2024-03-01T10:00:00+03:00",
                     "source": "وكالة الأنباء السعودية", "language": "ar", "authors": ["سارة"],
                     "section": "سياسة", "tags": ["a", "b"]}))
    assert (raw.article_id, raw.title, raw.body) == ("a1", "عنوان الخبر", "نص الخبر هنا.")
    assert raw.publisher == "وكالة الأنباء السعودية"
    assert raw.published_at == "2024-03-01T10:00:00+03:00"
    assert raw.authors == ["سارة"]
    assert raw.extra == {"section": "سياسة", "tags": ["a", "b"]}
    assert raw.shape == "generic"


def test_news_please_shape():
    raw = decode(_j({"maintext": "Body text.", "title": "T", "date_publish": "2023-11-26 21:30:00",
                     "source_domain": "farsnews.ir", "authors": ["A", "B"], "language": "en",
                     "image_url": "http://img"}))
    assert raw.shape == "news-please"
    assert raw.body == "Body text." and raw.publisher == "farsnews.ir"
    assert raw.published_at == "2023-11-26 21:30:00"
    assert raw.extra == {"image_url": "http://img"}


def test_newsapi_shape_keeps_unread_nested_fields():
    raw = decode(_j({"source": {"id": "reuters", "name": "Reuters"}, "author": "Jane Doe",
                     "title": "T", "description": "Short.", "content": "Longer content [+120 chars]",
                     "publishedAt": "2024-01-05T08:00:00Z", "url": "https://reuters.com/a",
                     "urlToImage": "https://img"}))
    assert raw.shape == "newsapi"
    assert raw.publisher == "Reuters" and raw.body.startswith("Longer")
    assert raw.authors == ["Jane Doe"]
    assert raw.extra["source"] == {"id": "reuters"}  # "name" was read, "id" is kept
    assert raw.extra["description"] == "Short." and raw.extra["urlToImage"] == "https://img"


def test_webz_shape():
    raw = decode(_j({"uuid": "u-1", "thread": {"site": "aljazeera.net", "title": "T", "country": "QA"},
                     "text": "نص", "published": "2024-02-02T12:00:00.000+02:00", "language": "arabic"}))
    assert raw.shape == "webz"
    assert raw.article_id == "u-1" and raw.publisher == "aljazeera.net"
    assert raw.extra["thread"] == {"country": "QA"}  # read keys removed, the rest kept
    assert raw.language == "arabic"  # normalized by the language stage


def test_saudinewsnet_like_shape():
    raw = decode(_j({"id": "x-1", "publisher": "Okaz (okaz.com.sa)", "date_extracted": "2015-07-21 02:51:58",
                     "author": "جدة - واس", "title": "ع", "text": "نص", "source_id": "okaz"}))
    assert raw.shape == "saudinewsnet"
    assert raw.published_at == "2015-07-21 02:51:58" and raw.authors == ["جدة - واس"]
    assert raw.extra == {"source_id": "okaz"}


def test_epoch_numbers_and_int_ids_are_accepted():
    raw = decode(_j({"id": 42, "body": "x", "published_at": 1700000000}))
    assert raw.article_id == "42" and raw.published_at == "1700000000"


def test_body_as_list_of_paragraphs():
    assert decode(_j({"body": ["first", "second"]})).body == "first\nsecond"


def test_authors_as_objects():
    assert decode(_j({"body": "x", "authors": [{"name": "Ali"}, " "]})).authors == ["Ali"]


def test_duplicate_keys_last_wins():
    assert decode(b'{"body": "one", "body": "two"}').body == "two"


def test_bom_is_accepted():
    assert decode(b"\xef\xbb\xbf" + _j({"body": "x"})).body == "x"


def test_article_from_mapping_direct():
    assert article_from_mapping({"content": "c"}).body == "c"
    with pytest.raises(DecodeError):
        article_from_mapping(["not", "a", "dict"])  # type: ignore[arg-type]


# --- plain text ------------------------------------------------------------------------------

PLAIN = (
    "وزير الخارجية يستقبل نظيره العُماني |\n"
    "استقبل وزير الخارجية اليوم نظيره العماني وبحثا العلاقات الثنائية. |\n"
    "وأكد الجانبان أهمية التعاون.\n"
    "ناشر | وكالة أنباء فارس |\n"
    "|"
)


def test_plain_text_title_and_footer():
    raw = decode(PLAIN.encode(), [("content-type", b"text/plain; charset=utf-8")])
    assert raw.format == "text/plain"
    s, e = raw.title_span
    assert raw.body[s:e] == "وزير الخارجية يستقبل نظيره العُماني"
    assert raw.publisher == "وكالة أنباء فارس"
    fs, fe = raw.footer
    assert raw.body[fs:fe].startswith("ناشر") and fe == len(raw.body)


def test_plain_text_detected_without_header():
    raw = decode("[عاجل] خبر قصير\nنص الخبر".encode())  # starts with "[" but is not JSON
    assert raw.format == "text/plain"


# --- hostile input ---------------------------------------------------------------------------

def test_reasons():
    assert _reason(None) == "empty_message"
    assert _reason(b"   \n ") == "empty_body"
    assert _reason(b"\xff\xfe\x00") == "invalid_utf8"
    assert _reason("خبر\x00مخفي".encode()) == "invalid_text"
    assert _reason(b'{"body": ') == "invalid_json"
    assert _reason(b'[{"body": "x"}]') == "not_an_object"
    assert _reason(_j({"body": 12})) == "wrong_type"
    assert _reason(_j({"body": "x", "title": {"a": 1}})) == "wrong_type"
    assert _reason(_j({"body": "x", "authors": [1, 2]})) == "wrong_type"
    assert _reason(_j({"body": "x", "published_at": True})) == "wrong_type"
    assert _reason(_j({"title": "no body"})) == "empty_body"
    assert _reason(_j({"body": "  "})) == "empty_body"
    assert _reason(_j({"body": "x\u0000y"})) == "invalid_text"  # escaped NUL inside JSON
    assert _reason(b'{"body": "\\ud800"}') == "invalid_json"  # lone surrogate
    assert _reason(b"x", [("content-type", b"text/plain; charset=windows-1256")]) == "unsupported_charset"
    assert _reason(12345) == "wrong_type"  # type: ignore[arg-type]


def test_ten_megabyte_body_is_too_large():
    big = _j({"body": "ا" * (5 * 1024 * 1024)})  # 10 MB of UTF-8
    assert len(big) > 10_000_000
    assert _reason(big) == "too_large"
    assert _reason(b"x" * (DEFAULT_MAX_BYTES + 1)) == "too_large"


def test_deeply_nested_json():
    assert _reason(b'{"a":' * 2000 + b"1" + b"}" * 2000) == "too_deeply_nested"  # orjson's own limit
    nested = {"body": "x", "meta": {}}
    node = nested["meta"]
    for _ in range(100):
        node["k"] = {}
        node = node["k"]
    assert _reason(_j(nested)) == "too_deeply_nested"  # ours: extra must stay serializable


def test_bidi_marks_and_odd_headers_do_not_break():
    raw = decode("\u202bخبر\u202c\n\u200fنص\u200e".encode(), [("content-type", None), (b"x", b"y")])
    assert raw.format == "text/plain"
    assert decode(_j({"body": "x"}), {"Content-Type": "application/json"}).body == "x"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_article_or_decode_error(data):
    try:
        decode(data)
    except DecodeError as exc:
        assert exc.reason in REASONS


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["id", "body", "text", "title", "url", "source", "thread", "authors",
                                        "published_at", "language", "content", "x"]), json_values, max_size=6))
def test_any_json_object_gives_article_or_decode_error(obj):
    try:
        raw = decode(json.dumps(obj).encode())
    except DecodeError as exc:
        assert exc.reason in REASONS
    else:
        assert isinstance(raw.body, str) and raw.body.strip()
