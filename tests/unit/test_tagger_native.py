"""The native tagger (news_enricher_native, native/) gives exactly the Python tagger's output.

Texts here are invented for the tests or random; skipped when the module is not installed
(`make setup` installs it when cargo is present).
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from service.entities import features as F
from service.entities import tagger as T
from service.text.chars import char_bitmaps

native = pytest.importorskip(
    "news_enricher_native", reason="news_enricher_native not installed (needs cargo: make setup, or pip install ./native)")


def with_native(model: T.TaggerModel, limit: int = T._CACHE_LIMIT, features: bool = True) -> T.TaggerModel:
    """`model` with a fresh native tagger (whatever NEWS_ENRICHER_TAGGER_NATIVE says);
    `features=False`: new word types' blocks come from Python."""
    model._native = T._native_tagger(model, native, limit, features)
    return model


def both(model: T.TaggerModel, text: str):
    return T.tag_text(model, text), T.tag_text(model, text, native=False)


WRITTEN = {
    "ar": [
        "وقال وزير الخارجية المصري سامح شكري في القاهرة، إن الجامعة العربية ستجتمع في بيروت.",
        "زيارة رسمية إلى باريس\n\nاستقبل الملك عبدالله الثاني في عمان رئيس الحكومة العراقية يوم ٢٠ مارس.",
        "أعلنت وزارة الصحة السعودية ـ في بيان ـ أن منظمة الصحة العالمية (WHO) ستعقد اجتماعها في جنيف",
        "والتقى الأمير محمد بن سلمان بالرئيس الأمريكي دونالد ترامب في البيت الأبيض لبحث العلاقات.",
        "قالت شركة أرامكو ان إنتاجها بلغ 10.5 مليون برميل، فيما أكد بنك الكويت الوطني أرباحه.",
        "",
        "   \n\n  ",
        "،؛؟!",
    ],
    "fa": [
        "حسن روحانی روز دوشنبه به تهران بازگشت.",
        "وزیر امور خارجه ایران محمدجواد ظریف در ژنو با همتای آمریکایی خود دیدار کرد.",
        "سازمان ملل متحد در نیویورک اعلام کرد که ۱۲ کشور به این توافق پیوسته‌اند.",
    ],
    "en": [
        "Prime Minister Boris Johnson met officials of the World Health Organization in Geneva.",
        "O'Neil-Smith's U.S.-led coalition, said Reuters on Monday\n\nLONDON (AP) - The Bank of England",
        "the european union and NATO discussed Ukraine's grain exports with Turkey's Erdogan",
    ],
}


def _models():
    out = {}
    for lang in WRITTEN:
        path = F.MODELS_DIR / T.MODEL_FILE.format(lang=lang)
        if path.exists():
            out[lang] = with_native(T.TaggerModel.load(path, lang))
    return out


@pytest.fixture(scope="module")
def models():
    got = _models()
    if not got:
        pytest.skip("no committed tagger models")
    return got


_ALPHABET = (
    list("ابتثجحخدذرسشصضطظعغفقكلمنهويءآأإؤئةىپچژگکی")  # Arabic and Persian letters
    + list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    + list("0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹")  # ASCII, Arabic-Indic, extended Arabic-Indic digits
    + list(".,;:!?()[]«»\"'-_/%$،؛؟٪") + ["'", "-", "-", "'"]
    + [chr(c) for c in range(0x064B, 0x0653)] + ["\u0670", "\u0640", "\u0640"]  # marks, tatweel
    + ["\u200c", "\u200d", "\u200b", "\ufeff", "\u0301", "\u093f", "é", "ß", "İ", "ǅ", "²", "½", "Ⅻ"]
    + [" "] * 12 + ["\n", "\n\n", "\t", "\u00a0", "\u2003", "\u2028", "\x1c", "\x85", "\r\n"]
    + ["😀", "𝒜", "𠀋", "𝟘"]  # astral: letters, a digit, an emoji
)


def random_texts(seed: int, count: int, vocab: list[str]) -> list[str]:
    """Texts mixing real words (to hit the KB, cue-word and cluster features) and random runs."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        parts = []
        for _ in range(int(rng.integers(0, 60))):
            r = rng.random()
            if r < 0.45 and vocab:
                parts.append(vocab[int(rng.integers(len(vocab)))])
            elif r < 0.6:
                parts.append(" ")
            else:
                k = int(rng.integers(1, 8))
                parts.append("".join(_ALPHABET[int(i)] for i in rng.integers(0, len(_ALPHABET), k)))
            if rng.random() < 0.5:
                parts.append(" ")
        out.append("".join(parts))
    return out


def _vocab() -> list[str]:
    words = []
    for texts in WRITTEN.values():
        for t in texts:
            words += T.tokenize(t)[0]
    return words


# -- tokens -------------------------------------------------------------------------------

def test_native_tokens_are_the_python_tokens():
    nt = T._native_tagger(T.TaggerModel("ar", np.array([1]), np.zeros((1, T.N_LABELS)),
                                        np.zeros((9, 9)), np.zeros(9), np.zeros(9), 1.0,
                                        F.Lexicon("ar", {}, {}, {})), native)
    spaces = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
    texts = random_texts(1, 3000, _vocab()) + [
        spaces, "x" + spaces + "y", "a-b-c-d-e-f g'h-i 'x y- -z a--b c-'d ٢-٣ f-\ng it's-",
        "\u0640\u064e\u0301x\u0301", "snake_case _x x_", "𝒜𝒜-𝟘 😀😀", "", " ", "\n"]
    for text in texts:
        words, starts, ends = nt.tokenize_text(text)
        assert (words, starts, ends) == tuple(T.tokenize(text)), text
        assert words == F.TOKEN_RE.findall(text)


def test_character_classes_are_pythons():
    word, space = (np.unpackbits(np.frombuffer(b, np.uint8), bitorder="little").astype(bool)
                   for b in char_bitmaps())
    for c in list(range(0x3000)) + [0x1D49C, 0x1D7D8, 0x2000B, 0x1F600, 0x10FFFF]:
        ch = chr(c)
        assert word[c] == (ch.isalnum() or ch == "_"), hex(c)
        assert space[c] == ch.isspace(), hex(c)


# -- spans ----------------------------------------------------------------------------------

def test_written_texts_give_the_same_spans(models):
    found = 0
    for lang, model in models.items():
        for text in WRITTEN[lang]:
            got, want = both(model, text)
            assert got == want, (lang, text)
            found += len(got)
    assert found > 10  # the texts do contain names


@pytest.mark.parametrize("lang, features", [("ar", True), ("fa", True), ("en", True), ("ar", False)])
def test_random_texts_give_the_same_spans(models, lang, features):
    if lang not in models:
        pytest.skip(f"no {lang} model")
    model = models[lang]
    if not features:
        model = with_native(T.TaggerModel(model.lang, model.rows, model.weights, model.trans, model.start,
                                          model.end, model.temperature, model.lex), features=False)
    texts = random_texts({"ar": 1, "fa": 2, "en": 3}[lang] + 10 * features, 1000, _vocab())
    spans = 0
    for text in texts:
        got, want = both(model, text)
        assert got == want, text
        spans += len(got)
    assert spans > 100


def test_native_word_blocks_are_bit_identical_to_pythons(models):
    words = sorted(set(_vocab()) | {w for t in random_texts(5, 400, _vocab()) for w in T.tokenize(t)[0]}
                   | {"U.S.-led", "O'Neil-Smith's", "بافغانستان", "لسلتيك", "وبغداد", "للامم", "والرئيس",
                      "ولبنان", "كالقاهرة", "فبالعاصمة", "Straße", "ÉCOLE", "x\u0301", "𝒜b", "İstanbul"})
    for lang, model in models.items():
        got = model._native.word_blocks(words)
        want = model._word_blocks(words)
        native_count = 0
        for w, g, ww in zip(words, got, want):
            if g is None:  # left to Python: only words with a character outside the table
                assert any(c not in T._native_chars() for c in w), w
                continue
            native_count += 1
            assert np.frombuffer(g, np.float32).reshape(ww.shape).tobytes() == ww.tobytes(), (lang, w)
        assert native_count > 0.9 * len(words)


def test_tag_spans_uses_the_native_tagger_for_documents():
    from service.decode import article_from_mapping
    from service.document import build_doc

    doc = build_doc(article_from_mapping({"body": WRITTEN["ar"][3], "title": "عاجل", "language": "ar"}))
    doc.language = "ar"
    model = T.load_model("ar")
    if model is None:
        pytest.skip("no Arabic model")
    keep = model._native
    try:
        with_native(model)
        before = len(model._native)
        got = T.tag_spans(doc)
        assert len(model._native) > before  # the native cache took the article's word types
        assert got == T.tag_text(model, doc.norm, native=False) and got
    finally:
        model._native = keep


def tie_heavy_model(seed: int) -> T.TaggerModel:
    """Small integer weights: equal scores are common, so the tie-breaks are exercised."""
    rng = np.random.default_rng(seed)
    rows = np.unique(rng.integers(0, F.N_BUCKETS, 200_000))
    weights = rng.integers(-2, 3, (len(rows), T.N_LABELS)).astype(np.float32)
    weights[:, 0] += 1
    trans, start, end = (rng.integers(-2, 3, s).astype(np.float32) for s in ((9, 9), 9, 9))
    return T.TaggerModel("ar", rows, weights, trans, start, end, 0.7, F.Lexicon("ar", {}, {}, {}))


def random_model(seed: int, scale: float) -> T.TaggerModel:
    rng = np.random.default_rng(seed)
    rows = np.unique(rng.integers(0, F.N_BUCKETS, 100_000))
    weights = rng.normal(0, scale, (len(rows), T.N_LABELS)).astype(np.float32)
    weights[:, 0] += scale
    trans, start, end = (rng.normal(0, 2 * scale, s).astype(np.float32) for s in ((9, 9), 9, 9))
    return T.TaggerModel("ar", rows, weights, trans, start, end, 0.3, F.Lexicon("ar", {}, {}, {}))


@pytest.mark.parametrize("make, seed", [(tie_heavy_model, 0), (tie_heavy_model, 1),
                                        (lambda s: random_model(s, 1.0), 2), (lambda s: random_model(s, 4.0), 3)])
def test_random_and_tie_heavy_models_give_the_same_spans(make, seed):
    model = with_native(make(seed))
    tagged = 0
    for text in random_texts(seed, 400, _vocab()):
        got, want = both(model, text)
        assert got == want, text
        tagged += len(got)
    assert tagged > 50


def test_cache_reset_at_the_limit_keeps_the_output(models):
    model = models["ar"] if "ar" in models else next(iter(models.values()))
    small = with_native(T.TaggerModel(model.lang, model.rows, model.weights, model.trans, model.start,
                                      model.end, model.temperature, model.lex), limit=150)
    sizes = []
    for text in random_texts(7, 300, _vocab()):
        got, want = both(small, text)
        assert got == want
        sizes.append(len(small._native))
    assert max(sizes) <= 150 + 60 and min(sizes[10:]) < max(sizes)  # it was reset on the way
    # An article with more tokens than the limit still tags (the reset comes before adding).
    long_text = " ".join(random_texts(8, 30, _vocab()))
    assert len(T.tokenize(long_text)[0]) > 150
    assert T.tag_text(small, long_text) == T.tag_text(small, long_text, native=False)


def test_threads_share_one_native_tagger(models):
    if "ar" not in models:
        pytest.skip("no Arabic model")
    model = with_native(T.TaggerModel.load(F.MODELS_DIR / T.MODEL_FILE.format(lang="ar"), "ar"))
    texts = random_texts(11, 200, _vocab())
    want = [T.tag_text(model, t, native=False) for t in texts]
    got: dict[int, list] = {}

    def run(k):
        got[k] = [T.tag_text(model, t) for t in texts]

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(got[k] == want for k in range(4))


def test_lone_surrogates_fail_as_in_python(models):
    # Not UTF-8: the native call refuses the text, the Python path takes it and fails as before
    # (the features encode the word), so the caller sees the same error either way.
    model = next(iter(models.values()))
    for use_native in (True, False):
        with pytest.raises(UnicodeEncodeError):
            T.tag_text(model, "بيروت \ud800 Geneva", native=use_native)


def test_setting_turns_the_native_tagger_off(monkeypatch):
    monkeypatch.setenv("NEWS_ENRICHER_TAGGER_NATIVE", "0")
    assert T._load_native() is None
    monkeypatch.setenv("NEWS_ENRICHER_TAGGER_NATIVE", "auto")
    assert T._load_native() is native


def test_load_time_self_checks_pass_here_and_fall_back_when_they_fail(models, monkeypatch):
    # The native blocks and span probabilities rely on numpy's float32 summation order; both are
    # checked against numpy at load.  Here they must pass (else the native path is slower).
    model = next(iter(models.values()))
    assert T._same_blocks(model, model._native)
    T._probs_ok = None
    assert T._native_probs_ok(model._native)
    # When they fail, the native tagger leaves new word types to Python and numpy computes the
    # probabilities: the same spans.
    monkeypatch.setattr(T, "_same_blocks", lambda m, nt: False)
    monkeypatch.setattr(T, "_probs_ok", False)
    fallback = with_native(T.TaggerModel(model.lang, model.rows, model.weights, model.trans, model.start,
                                         model.end, model.temperature, model.lex))
    assert fallback._native.word_blocks(["Geneva", "بيروت"]) == [None, None]
    for text in WRITTEN[model.lang] + random_texts(3, 100, _vocab()):
        assert T.tag_text(fallback, text) == T.tag_text(fallback, text, native=False)
