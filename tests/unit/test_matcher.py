"""service.text.matcher: the native search (news_enricher_native.Matcher) gives exactly
pyahocorasick's hits, in the same order.

Texts here are invented for the tests or random; the native comparisons are skipped when the
module is not installed (or is an older build without the matcher).
"""

from __future__ import annotations

import random

import pytest

from service.entities.kb import default_kb
from service.entities.patterns import default_triggers
from service.text import matcher as M

TEXTS = [
    "وقال وزير الخارجية المصري سامح شكري في القاهرة، إن الجامعة العربية ستجتمع في بيروت.",
    " والتقى الأمير محمد بن سلمان بالرئيس الأمريكي في البيت الأبيض لبحث العلاقات مع للأمم المتحدة ",
    " وصل وزیر امور خارجه ایران به ژنو ",
    " the u.n. security council met in new york on monday ",
    "",
    " ",
    "😀 ولبنان \ud800 وسوريا 😀",
]


def python_hits(words: dict, text: str) -> list:
    return list(M.Matcher(words, native=False).iter(text))


needs_native = pytest.mark.skipif(M._native is None, reason="news_enricher_native with Matcher not installed")


def test_python_path_is_pyahocorasick_order():
    # by end; at one end the longest word first
    words = {"b": 1, "ab": 2, "xab": 3, "c": 4}
    assert python_hits(words, "xab b😀c") == [(2, 3), (2, 2), (2, 1), (4, 1), (6, 4)]
    assert list(M.Matcher({}, native=False).iter("abc")) == []


@needs_native
def test_native_small_cases():
    words = {"b": 1, "ab": 2, "xab": 3, "c": 4, "😀c": 5, "aa": 6}
    for text in ["xab b😀c", "aaaa", "", "\ud800ab\udfff", "zzz", "xxab😀😀c"]:
        assert M.Matcher(words).iter(text) == python_hits(words, text), text
    assert M.Matcher({}).iter("abc") == []


@needs_native
def test_native_random_words_and_texts():
    rng = random.Random(20261129)
    for _ in range(200):
        alphabet = rng.choice(["ab ", "abc و", "ولبنا ال", "ab😀\u0640 "])
        words = {}
        for _ in range(rng.randint(1, 40)):
            w = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
            words[w] = len(words)
        m = M.Matcher(words)
        for _ in range(10):
            # long texts too: the native search cuts those into parts searched side by side
            text = "".join(rng.choice(alphabet + "xy\n") for _ in range(rng.choice((80, 400, 2000))))
            assert m.iter(text) == python_hits(words, text), (words, text)


@needs_native
def test_native_parts_meet_exactly():
    """Matches across the places where the native search cuts a long text (a word as long as
    the warm-up, every position a match end)."""
    words = {"a" * 9: "long", "a": "one", "ab": "two", "b" + "a" * 8: "other"}
    m = M.Matcher(words)
    for n in range(140, 180):
        for text in ("a" * n, ("ab" * n)[:n], ("baaaaaaaa" * n)[:n]):
            assert m.iter(text) == python_hits(words, text), (n, text)


@needs_native
def test_native_kb_keys_and_triggers():
    """The gazetteer's words (KB keys and their alef-less forms, the pattern triggers)."""
    kb = default_kb()
    words = {}
    for key in kb.keys:
        words[key + " "] = key
        if key.startswith("ال") and len(key) > 4:
            words.setdefault(key[1:] + " ", "lam:" + key)
    words.update(default_triggers().trigger_words)
    native = M.Matcher(words)
    slow = M.Matcher(words, native=False)
    for text in TEXTS + [" ".join(TEXTS * 12)]:  # and one long enough to be cut into parts
        assert native.iter(text) == list(slow.iter(text)), text

