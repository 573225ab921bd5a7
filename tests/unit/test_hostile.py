"""Hostile input through the worker's per-message logic (`ArticleHandler.handle`): every message
ends as an enriched event or one dead letter with the original bytes untouched, never an
exception, and no stage takes unbounded time on pathological text.

The corpus lives in tests/fixtures/hostile/ (written for these tests); inputs too large to keep
as files (10 MB bodies, deep nesting, enormous lines) are generated here.
"""

from __future__ import annotations

import subprocess
import sys
import time

import orjson
import pytest

from service.dlq import HEADER_PREFIX, headers_as_dict
from service.model import InputPosition
from service.settings import Settings
from service.worker import ArticleHandler
from tests.conftest import FIXTURES, ROOT, assert_valid

HOSTILE = FIXTURES / "hostile"
POS = InputPosition("articles.raw", 3, 977, 1764403200000)

# What each fixture must become: a dead-letter reason, or "enriched".
EXPECTED = {
    "invalid_utf8.bin": "invalid_utf8",
    "invalid_utf8_plain.txt": "invalid_utf8",
    "invalid_json_trailing_comma.json": "invalid_json",
    "invalid_json_unterminated.json": "invalid_json",
    "invalid_json_lone_surrogate.json": "invalid_json",
    "huge_number.json": "invalid_json",
    "not_object_array.json": "not_an_object",
    "not_object_number_array.json": "not_an_object",
    "json_null.json": "not_an_object",
    "json_scalar_string.json": "not_an_object",
    "wrong_type_body_number.json": "wrong_type",
    "wrong_type_body_object.json": "wrong_type",
    "wrong_type_title_list.json": "wrong_type",
    "wrong_type_authors.json": "wrong_type",
    "wrong_type_mixed_paragraphs.json": "wrong_type",
    "empty.bin": "empty_body",
    "bom_only.bin": "empty_body",
    "whitespace_only.txt": "empty_body",
    "empty_body.json": "empty_body",
    "empty_object.json": "empty_body",
    "nul_raw.txt": "invalid_text",
    "nul_escaped.json": "invalid_text",
    "duplicate_keys.json": "enriched",
    "bidi_controls.txt": "enriched",
    "mixed_scripts.txt": "enriched",
    "html_soup.txt": "enriched",
    "html_in_json.json": "enriched",
    "combining_storm.txt": "enriched",
    "tatweel_and_digits.txt": "enriched",
    "control_chars.txt": "enriched",
    "bom_then_json.json": "enriched",
    "published_at_garbage.json": "enriched",
    "id_weird.json": "enriched",
}
# Generous: the budget is ~2 ms for a 3 KB article; this bounds pathological cases, not speed.
SECONDS_PER_ARTICLE = 2.0


@pytest.fixture(scope="module")
def handler() -> ArticleHandler:
    h = ArticleHandler(Settings.from_env())
    # Load every language's models once, so the time bounds below measure the text only.
    for text in ("قال الوزير في بغداد يوم الأحد", "وزیر در تهران گفت", "The minister said in London"):
        h.handle(f"Title\n{text}\n".encode(), None, [], POS)
    return h


def check_outcome(outcome, value: bytes | None, headers, enriched_validator, dead_letter_validator):
    """The two allowed outcomes, each checked in full."""
    assert outcome.status in ("enriched", "dead_letter")
    if outcome.status == "dead_letter":
        [record] = outcome.records
        assert record.topic == "articles.dlq"
        assert record.value == (value if value is not None else b""), "original bytes must be untouched"
        got = headers_as_dict(record.headers)
        for name in ("class", "message", "reason", "stage", "topic", "partition", "offset",
                     "timestamp", "service_version"):
            assert HEADER_PREFIX + name in got, f"dead letter lacks header {name}"
        assert got[HEADER_PREFIX + "topic"] == POS.topic
        assert got[HEADER_PREFIX + "offset"] == str(POS.offset)
        assert got[HEADER_PREFIX + "timestamp"] == str(POS.timestamp_ms)
        for key, original in headers or ():
            assert (key, original) in record.headers, "the producer's headers are kept"
        assert_valid(dead_letter_validator, {"headers": got, "value_bytes": len(record.value)})
    else:
        event = orjson.loads(outcome.records[0].value)
        assert_valid(enriched_validator, event)
        text = event["text"]
        for entity in event["entities"]:
            for mention in entity["mentions"]:
                if mention.get("field", "text") == "text":
                    start, end = mention["span"]
                    assert 0 <= start < end <= len(text) and text[start:end] == mention["text"]
        for date in event["dates"]:
            start, end = date["span"]
            if date.get("field", "text") == "text":
                assert 0 <= start < end <= len(text) and text[start:end] == date["text"]


def test_the_corpus_is_complete():
    assert sorted(p.name for p in HOSTILE.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_fixture(handler, name, enriched_validator, dead_letter_validator):
    value = (HOSTILE / name).read_bytes()
    headers = [("trace-id", b"t-1")]
    if name.endswith(".json"):
        headers.append(("content-type", b"application/json"))
    started = time.perf_counter()
    outcome = handler.handle(value, b"key-1", headers, POS)
    took = time.perf_counter() - started
    check_outcome(outcome, value, headers, enriched_validator, dead_letter_validator)
    want = EXPECTED[name]
    assert (outcome.status if want == "enriched" else outcome.reason) == want
    assert took < SECONDS_PER_ARTICLE, f"{name} took {took:.2f} s"


def test_tombstone_and_non_utf8_charset(handler, enriched_validator, dead_letter_validator):
    outcome = handler.handle(None, b"gone", [], POS)
    check_outcome(outcome, None, [], enriched_validator, dead_letter_validator)
    assert outcome.reason == "empty_message"
    headers = [("content-type", b"text/plain; charset=windows-1256")]
    value = "خبر".encode("cp1256")
    outcome = handler.handle(value, None, headers, POS)
    check_outcome(outcome, value, headers, enriched_validator, dead_letter_validator)
    assert outcome.reason == "unsupported_charset"


def test_body_over_the_configured_size_limit(monkeypatch, enriched_validator, dead_letter_validator):
    limit = 10 * 1024 * 1024
    monkeypatch.setenv("NEWS_ENRICHER_MAX_MESSAGE_BYTES", str(limit))
    handler = ArticleHandler(Settings.from_env())
    value = b'{"id": "big", "body": "' + b"x" * limit + b'"}'
    started = time.perf_counter()
    outcome = handler.handle(value, b"big", [], POS)
    assert time.perf_counter() - started < 1.0, "a too-large message must be rejected unread"
    check_outcome(outcome, value, [], enriched_validator, dead_letter_validator)
    assert outcome.reason == "too_large"


@pytest.mark.parametrize("depth", [65, 1000, 100_000])
def test_deeply_nested_json(handler, depth, enriched_validator, dead_letter_validator):
    value = b'{"id": "deep", "body": "text", "meta": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"
    outcome = handler.handle(value, None, [], POS)
    check_outcome(outcome, value, [], enriched_validator, dead_letter_validator)
    assert outcome.reason == "too_deeply_nested"


def test_deep_arrays_without_objects(handler, enriched_validator, dead_letter_validator):
    value = b"[" * 50_000 + b"]" * 50_000
    outcome = handler.handle(value, None, [], POS)
    check_outcome(outcome, value, [], enriched_validator, dead_letter_validator)
    assert outcome.status == "dead_letter"


# Adversarial texts for every stage: long runs of what regexes, tokenizers and gazetteers look
# for.  Each is ~30 KB (ten times a normal article), so quadratic work shows as seconds.
SIZE = 30_000


def _repeat(unit: str) -> str:
    return unit * (SIZE // len(unit))


ADVERSARIAL = {
    "one_enormous_line_ar": _repeat("قال الوزير في بيروت "),
    "one_enormous_word_latin": _repeat("ab"),
    "one_enormous_word_ar": _repeat("بت"),
    "digits": _repeat("7"),
    "digit_groups": _repeat("12/11/2023 "),
    "separators": _repeat("1-"),
    "times": _repeat("12:30:45:"),
    "month_names": _repeat("كانون الثاني/يناير تشرين "),
    "persian_dates": _repeat("۱۲ اسفند ۱۴۰۲ "),
    "weekday_runs": _repeat("الجمعة الجمعة يوم الأحد المقبل "),
    "cue_words": _repeat("وفقا لتقرير نقلا عن وكالة "),
    "agency_names": _repeat("(رويترز) (أ ف ب) Reuters AFP "),
    "dateline_like": _repeat("LONDON (Reuters) - "),
    "capitalized_names": _repeat("John Smith Jr. Al-Hassan "),
    "honorifics": _repeat("الرئيس الوزير الشيخ السيد الدكتور "),
    "proclitics": _repeat("وبالـ وللـ فبال "),
    "brackets": _repeat("(")[: SIZE // 2] + _repeat(")")[: SIZE // 2],
    "quotes": _repeat("«»\"'“”"),
    "urls": "http://" + _repeat("a.") + "com",
    "emails_and_at": _repeat("a@b."),
    "newlines": _repeat("\n"),
    "spaces_then_word": _repeat(" ") + "word",
    "pipes_footer": _repeat("| ناشر | "),
    "zero_width": _repeat("\u200c\u200d\u200f"),
    "harakat": "ب" + _repeat("\u064e\u0651"),
    "tatweel": _repeat("ـ"),
    "html_tags": _repeat("<b><i>"),
    "entities": _repeat("&amp;&#1604;"),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_text_has_bounded_work(handler, name, enriched_validator, dead_letter_validator):
    value = ("Title\n" + ADVERSARIAL[name] + "\n").encode()
    headers = [("content-type", b"text/plain")]
    started = time.perf_counter()
    outcome = handler.handle(value, None, headers, POS)
    took = time.perf_counter() - started
    check_outcome(outcome, value, headers, enriched_validator, dead_letter_validator)
    timings = outcome.event["pipeline"]["timings_ms"] if outcome.event else {}
    assert took < SECONDS_PER_ARTICLE, f"{name} ({len(value)} bytes) took {took:.2f} s: {timings}"


def test_batch_command_answers_every_line(tmp_path):
    """`news-enricher enrich` on stdin: one output line per input line, error records for bad
    lines (invalid UTF-8 included), exit status 1."""
    lines = [
        orjson.dumps({"id": "ok-1", "body": "قال الوزير في عمّان يوم الأحد إن المحادثات ستستمر"}),
        b'{"id": "bad-json", "body": "unterminated',
        b"\xff\xfe\xfa not utf-8",
        orjson.dumps({"id": 77, "body": 5}),
        b"[1, 2]",
        orjson.dumps({"id": "ok-2", "body": "The talks in Geneva ended on Friday."}),
    ]
    result = subprocess.run([sys.executable, "-m", "service.cli", "enrich"], cwd=ROOT,
                            input=b"\n".join(lines) + b"\n", capture_output=True, timeout=120)
    out = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines), result.stderr.decode(errors="replace")[-2000:]
    assert [o.get("article_id") for o in out] == ["ok-1", None, None, None, None, "ok-2"]
    errors = out[1:5]
    assert [e["line"] for e in errors] == [2, 3, 4, 5]
    assert [e["error"]["reason"] for e in errors] == ["invalid_json", "invalid_utf8", "wrong_type",
                                                      "not_an_object"]
    assert errors[2]["id"] == "77", "the input's id is reported when it can be read"
    assert result.returncode == 1

    good = subprocess.run([sys.executable, "-m", "service.cli", "enrich"], cwd=ROOT,
                          input=lines[0] + b"\n", capture_output=True, timeout=120)
    assert good.returncode == 0 and len(good.stdout.splitlines()) == 1
