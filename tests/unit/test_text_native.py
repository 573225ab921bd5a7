"""The native text preparation (news_enricher_native's CharMap, WordTable, Spaces, CharCounts,
LangModel) gives exactly the Python paths' output: normalize's text and offset map, the padded
text and the word table, the whitespace-collapsed UTF-8 text the content hash is taken over, the
letter counts of language identification, the source registry's punctuation blanking, and the
language model's label and score (against fasttext-predict).

Skipped when the module is not installed (`make setup` installs it when cargo is present).
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.entities import patterns
from service.text import normalize as N

native = pytest.importorskip(
    "news_enricher_native", reason="news_enricher_native not installed (needs cargo: make setup, or pip install ./native)")

# Characters normalize changes or deletes, the ones around them, and the odd ones: Latin, Arabic
# with its marks and digits, Persian letters, spaces of every kind, punctuation, an astral letter
# and an emoji, a lone surrogate.
_CHARS = (
    string.ascii_letters + string.digits + string.punctuation + " \t\n\r\x0b\x0c\x1c\x85"
    + "".join(N._REPLACEMENT)
    + "ابتثجحخدذرسشصضطظعغفقكلمنهويءئؤ" + "پچژگکیۀە" + "\u064b\u0651\u0670\u0640\u06d6"
    + "éİıßΣς" + "\u00a0\u200c\u200d\u2028\u3000\ufeff" + "«»“”–—…؟،٫"
    + "𝒜😀" + "\ud800"
)
texts = st.text(alphabet=st.sampled_from(_CHARS), max_size=300)


def python_normalize(text: str, fold_case: bool = False):
    saved = N._native_map
    N._native_map = None
    try:
        return N.normalize(text, fold_case)
    finally:
        N._native_map = saved


@pytest.fixture(autouse=True)
def _native_in_use():
    if N._native_map is None or patterns._native_word_table() is None or N._native_spaces() is None:
        pytest.skip("native text preparation turned off (NEWS_ENRICHER_TEXT_NATIVE=0) or not in this module")


@settings(max_examples=400, deadline=None)
@given(texts, st.booleans())
def test_normalize_is_the_same_natively(text, fold_case):
    out, origin = N.normalize(text, fold_case)
    want_out, want_origin = python_normalize(text, fold_case)
    assert out == want_out
    assert list(origin) == list(want_origin)


def test_normalize_natively_on_written_text():
    for text in ["أعلنَ الإمامُ في مَدينة جدّة إنَّ القرارَ ـــ نهائيّ ٢٠٢٣ هـ؟",
                 "خبرگزاری\u200cها گزارش دادند که رئیس\u200cجمهور ۱۲ آبان به تهران رسید",
                 "\u202bNATO\u202c «قمة» — 3\u00a0days"]:
        out, origin = N.normalize(text)
        want_out, want_origin = python_normalize(text)
        assert out != text  # letters or marks changed: the mapping ran
        assert out == want_out and list(origin) == list(want_origin)
    assert N.normalize("unchanged text") == ("unchanged text", range(15))


class _Doc:
    def __init__(self, folded: str) -> None:
        self.norm_folded = folded
        self.notes: dict = {}


@settings(max_examples=400, deadline=None)
@given(texts)
def test_padded_words_are_the_same_natively(text):
    folded = N.normalize(text, fold_case=True)[0]
    doc = _Doc(folded)
    padded = patterns.padded_words(doc)
    want_doc = _Doc(folded)
    want = patterns.padded_text(folded)
    patterns.words_from_padded(want_doc, want)
    assert padded == want
    assert doc.notes["_entity_words"] == want_doc.notes["_entity_words"]


@settings(max_examples=400, deadline=None)
@given(texts)
def test_joined_utf8_is_the_same_natively(text):
    try:
        want = " ".join(text.split()).encode()
    except UnicodeEncodeError:  # a lone surrogate: the Python path raises, and so must the call
        with pytest.raises(UnicodeEncodeError):
            N.joined_utf8(text)
        return
    assert N._native_spaces()(text) == want
    assert N.joined_utf8(text) == want


@settings(max_examples=300, deadline=None)
@given(texts)
def test_letter_counts_are_the_same_natively(text):
    from service.text import language as L

    assert L._native_counts() is not None
    want = tuple(len(rx.sub("", text)) for rx in L._NOT_IN_CLASS)
    assert L._letter_counts(text) == want


@settings(max_examples=300, deadline=None)
@given(texts)
def test_registry_punctuation_blanking_is_the_same_natively(text):
    from service.sources import registry

    assert registry._native_blank is not None
    assert registry.blank_punct(text) == registry._PUNCT_RE.sub(" ", text)


# Text the language model reads: words of several scripts and cases, the separators fastText
# splits on (NUL included), marks, an astral letter and an emoji, its own label prefix; one line.
_LINE_WORDS = st.sampled_from([
    "the", "THE", "Reuters", "said", "on", "Tuesday", "OPEC", "Wien", "économie", "İstanbul",
    "وزير", "الخارجية", "يلتقي", "نظيره", "في", "جنيف", "وزارت", "بهداشت", "گزارش", "پاکستان", "کے",
    "شہر", "москва", "日本", "2024", "12", "«", "»", "،", "-", "__label__en", "__label__", "\u064b",
    "𝒜", "😀", "x" * 40,
])
_LINE_GAPS = st.sampled_from([" ", "  ", "\t", "\x0b", "\x0c", "\r", "\x00", ""])
lines = st.lists(st.tuples(_LINE_WORDS, _LINE_GAPS), max_size=40).map(lambda ws: "".join(w + g for w, g in ws))


_MODELS: dict = {}


def _models() -> dict:
    """The native model's predict and fasttext-predict's, on the same model file (loaded once)."""
    if not _MODELS:
        from service.text import language

        model = pytest.importorskip("fasttext").load_model(str(language._MODEL_FILE))

        def python_predict(line):
            (label,), (score,) = model.predict(line, k=1)
            return label[9:], score

        _MODELS["native"] = native.LangModel(str(language._MODEL_FILE)).predict
        _MODELS["python"] = python_predict
    return _MODELS


@settings(max_examples=300, deadline=None)
@given(lines)
def test_language_model_gives_the_same_label_and_score_natively(line):
    models = _models()
    assert models["native"](line) == models["python"](line)


def test_language_model_natively_on_written_text():
    from service.text import language

    assert type(language._MODEL_PREDICT.__self__) is native.LangModel  # the service uses it
    models = _models()
    for line in ("The health ministry opened a new hospital in the city today",
                 "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في المدينة",
                 "وزارت بهداشت امروز از افتتاح یک بیمارستان جدید در شهر خبر داد",
                 "breaking news: oil prices rise after opec meeting in vienna", "a", ""):
        assert models["native"](line) == models["python"](line)
    assert models["native"]("وزير الخارجية يلتقي نظيره في جنيف")[0] == "ar"
