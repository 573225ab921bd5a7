"""The statistical sequence tagger: tokens, features, exact decoding, spans, the committed model.

Sentences here are invented for the tests (no corpus text).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from service.decode import article_from_mapping
from service.document import build_doc
from service.entities import features as F
from service.entities import tagger as T


def make_doc(text: str, lang: str, title: str | None = None):
    doc = build_doc(article_from_mapping({"body": text, "language": lang, "title": title}))
    doc.language = lang
    return doc


# -- tokens and features ------------------------------------------------------------------

def test_tokenize_offsets_tile_the_text_and_split_punctuation():
    text = "  قال الرئيس، (ولبنان) U.S.-led\n\nend "
    words, starts, ends = T.tokenize(text)
    assert words == ["قال", "الرئيس", "،", "(", "ولبنان", ")", "U", ".", "S", ".", "-", "led", "end"]
    for w, s, e in zip(words, starts, ends):
        assert text[s:e] == w
    assert T.tokenize("")[0] == []


def test_tokens_are_the_regex_tokens_whatever_the_whitespace():
    # Every character Python counts as whitespace (NBSP, em space, line separators, ...) between
    # tokens, and characters that are not whitespace but look like it (zero-width space, BOM).
    spaces = [chr(c) for c in range(0x3000 + 1) if chr(c).isspace()]
    text = "كلمة" + "،".join(f"{sp}w{i}" for i, sp in enumerate(spaces)) + "\u200bx\ufeffy-z\u00a0 ."
    words, starts, ends = T.tokenize(text)
    assert words == F.TOKEN_RE.findall(text)
    assert [text[s:e] for s, e in zip(starts, ends)] == words


def test_tokens_with_joiners_are_the_regex_tokens():
    # The tokenizer's faster pattern must match features.TOKEN_RE exactly around ' and -.
    text = ("a-b-c-d-e-f g'h-i 'x y- -z a--b c-'d O'Neil-Smith's ب-ج-د-ه-و-ز-ح snake_case "
            "_x x_ 12-3 ٢-٣ -- '' f-\ng it's- end")
    words, starts, ends = T.tokenize(text)
    assert words == F.TOKEN_RE.findall(text)
    assert [text[s:e] for s, e in zip(starts, ends)] == words
    assert "a-b-c-d-e" in words and "f" in words  # four joins at most


def test_proclitics_are_stripped_only_where_safe():
    assert F.strip_proclitics("والرئيس") == ("وال", "الرئيس", "رئيس")
    assert F.strip_proclitics("للامم") == ("لل", "الامم", "امم")
    assert F.strip_proclitics("بالعاصمه") == ("بال", "العاصمه", "عاصمه")
    # A word that merely starts with ب/ل is not a preposition + word.
    assert F.strip_proclitics("لبنان") == ("", "لبنان", "لبنان")
    assert F.strip_proclitics("ولبنان") == ("و", "لبنان", "لبنان")
    # Short words are left alone (و + له is too ambiguous to split).
    assert F.strip_proclitics("وله") == ("", "وله", "وله")


def test_shape_distinguishes_scripts_case_and_digits():
    assert F.shape("Geneva") == "Xx"
    assert F.shape("NATO") == "X"
    assert F.shape("القاهره") == "a"
    assert F.shape("2024") == "d"
    assert F.shape("G7") == "Xd"


def test_feature_hashing_is_deterministic_and_in_range():
    lex = F.Lexicon("ar", {"PERSON": ["الرئيس"]}, {}, {})
    a = F.hashed("والرئيس", lex)
    b = F.hashed("والرئيس", lex)
    assert a == b and len(a) == len(F.OFFSETS)
    assert all(0 <= i < F.N_BUCKETS for ids in a for i in ids)
    # The cue word is seen through its proclitic.
    assert "tr=PERSON" in F.word_features("والرئيس", lex)[0]
    assert "tr=PERSON" in F.word_features("والرئيس", lex)[-1]


# -- decoding ---------------------------------------------------------------------------

def random_model(seed: int, scale: float = 3.0) -> T.TaggerModel:
    rng = np.random.default_rng(seed)
    rows = np.unique(rng.integers(0, F.N_BUCKETS, 50_000))
    weights = rng.normal(0, scale, (len(rows), T.N_LABELS)).astype(np.float32)
    weights[:, 0] += scale  # O is the usual label, as in real models
    trans = rng.normal(0, 4 * scale, (T.N_LABELS, T.N_LABELS)).astype(np.float32)
    start = rng.normal(0, scale, T.N_LABELS).astype(np.float32)
    end = rng.normal(0, scale, T.N_LABELS).astype(np.float32)
    lex = F.Lexicon("ar", {}, {}, {})
    return T.TaggerModel("ar", rows, weights, trans, start, end, 1.0, lex)

def test_given_name_and_common_word_features():
    # Invented lists: a given name (with and without a conjunction) and an ordinary word.
    lex = F.Lexicon("ar", {}, {}, {}, names=frozenset({"كريم", "نادين"}), common=frozenset({"امل"}))
    assert "gn" in F.word_features("كريم", lex)[0]
    assert "gn" in F.word_features("وكريم", lex)[0]
    assert "gn" in F.word_features("نادين", lex)[1]  # neighbours see it too
    assert "gn" not in F.word_features("كريمات", lex)[0]
    assert "cw" in F.word_features("امل", lex)[0]
    assert "cw" not in F.word_features("كريم", lex)[0]


def test_unknown_word_borrows_features_of_its_rest_after_a_proclitic():
    import zlib

    # بطرابلس keeps its ب (no article follows), so its stem is unknown; the rest طرابلس is a KB
    # place with a word cluster: the tagger sees those features plus an "alt" flag.
    clusters = {zlib.crc32("طرابلس".encode()): (3, 7)}
    lex = F.Lexicon("ar", {}, {"طرابلس": {"LOC:B"}}, clusters)
    f0 = F.word_features("بطرابلس", lex)[0]
    assert {"alt", "ast=طرابلس", "gz=LOC:B", "c0=3", "c1=7"} <= set(f0)
    assert "c=none" not in f0
    # Two letters (و + ل) are tried as well; a known word is left as it is.
    assert "gz=LOC:B" in F.word_features("ولطرابلس", lex)[0]
    assert "alt" not in F.word_features("طرابلس", lex)[0]
    # Nothing is borrowed when the rest is unknown too, or would be shorter than 3 letters.
    assert "alt" not in F.word_features("بسمارك", lex)[0]
    assert "alt" not in F.word_features("بكم", lex)[0]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pruned_batched_viterbi_equals_full_viterbi(seed):
    model = random_model(seed)
    rng = np.random.default_rng(seed)
    vocab = ["كلمه%d" % i for i in range(300)] + ["Word%d" % i for i in range(100)]
    for length in (1, 2, 5, 40, 300):
        words = [vocab[i] for i in rng.integers(0, len(vocab), length)]
        labels, e = model.decode(words)
        assert labels.tolist() == T.viterbi(e, model.trans, model.start, model.end)


@pytest.mark.parametrize("seed", range(8))
def test_tokens_found_certainly_o_are_o_in_the_full_viterbi_path(seed):
    # Small integer scores (exact float32 sums, many ties) around the O/non-O boundary: every
    # token the certain-O test puts outside the stretches must be O in plain Viterbi, and the
    # split decoding must give plain Viterbi's labels.
    rng = np.random.default_rng(100 + seed)
    trans = rng.integers(-3, 4, (T.N_LABELS, T.N_LABELS)).astype(np.float32)
    start, end = (rng.integers(-2, 3, T.N_LABELS).astype(np.float32) for _ in range(2))
    model = T.TaggerModel("ar", np.array([1]), np.zeros((1, T.N_LABELS)), trans, start, end,
                          1.0, F.Lexicon("ar", {}, {}, {}))
    checked = 0
    for n in (1, 2, 3, 8, 60):
        for _ in range(20):
            e = rng.integers(-3, 4, (n, T.N_LABELS)).astype(np.float32)
            e[:, 0] += rng.choice([0, 6, 12], size=n).astype(np.float32)
            starts, stops = model.uncertain_stretches(e, compiled=False)
            inside = np.zeros(n, bool)
            for a, b in zip(starts, stops):
                inside[a:b] = True
            full = np.asarray(T.viterbi(e, trans, start, end))
            assert (full[~inside] == 0).all()
            checked += int((~inside).sum())
            labels = np.zeros(n, np.intp)
            if len(starts):
                pos, lab = T.batched_viterbi(e, starts, stops, trans, start, end)
                labels[pos] = lab
            # ties: the split path may differ from plain Viterbi's, but never in score
            path_score = lambda y: start[y[0]] + e[np.arange(n), y].sum() + trans[y[:-1], y[1:]].sum() + end[y[-1]]
            assert path_score(labels) == path_score(full)
    assert checked > 100  # the test does prune


def test_emissions_are_the_sum_of_windowed_word_features():
    model = random_model(7)
    words = ["في", "مدينه", "حلب", "اليوم"]
    e = model.emissions(words)
    padded = [F.BOS] * F.WINDOW + words + [F.EOS] * F.WINDOW
    for i in range(len(words)):
        ids = [x for j, k in enumerate(F.OFFSETS) for x in F.hashed(padded[i + F.WINDOW + k], model.lex)[j]]
        pos = np.searchsorted(model.rows, ids)
        pos[pos >= len(model.rows)] = 0
        hit = model.rows[pos] == np.asarray(ids)
        assert np.allclose(e[i], model.weights[pos[hit]].sum(axis=0), atol=1e-3)


def test_shape_of_mixed_and_other_scripts():
    assert F.shape("") == ""
    assert F.shape("abc12") == "xd"
    assert F.shape("F-16") == "Xpd"
    assert F.shape("Москва") == "Xo"  # letters of a script without a class of their own
    assert F.shape("٢٠٢٤") == "d"  # Arabic-Indic digits
    assert F.shape("پاکستان") == "a"  # Persian letters are Arabic-script letters
    assert F.shape("x" * 20 + "1") == "x"  # only the first 12 characters count


def test_feature_ids_equal_the_hashed_ids_at_every_offset():
    lex = F.Lexicon("ar", {"PERSON": ["الرئيس"]}, {}, {})
    for word in ("والرئيس", "Geneva", "2024", F.BOS):
        feats = F.word_features(word, lex)
        for j, k in enumerate(F.OFFSETS):
            assert [F.feature_ids(f)[j] for f in feats[k]] == F.hashed(word, lex)[j]
            assert [F.feature_id(f, j) for f in feats[k]] == F.hashed(word, lex)[j]


def _reference_blocks(model, words):
    """The score blocks as the tagger first computed them: hash every feature string, binary
    search the weight rows, sum per (word, offset) in feature order."""
    ids, counts = [], []
    for w in words:
        for offset_ids in F.hashed(w, model.lex):
            ids.extend(offset_ids)
            counts.append(len(offset_ids))
    ids = np.asarray(ids, np.int64)
    pos = np.searchsorted(model.rows, ids)
    pos[pos >= len(model.rows)] = 0
    vals = model.weights[pos]
    vals[model.rows[pos] != ids] = 0.0
    seg = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return np.add.reduceat(vals, seg, axis=0).reshape(len(words), len(F.OFFSETS), T.N_LABELS)


def test_cached_word_blocks_are_bit_identical_to_the_reference_sums():
    # The committed model, cold cache: cached feature ids, the id -> row table and the zero row
    # for unseen features must give exactly the sums (same float32 additions in the same order).
    model = T.load_model("ar")
    words = ["والرئيس", "للامم", "بالعاصمه", "طرابلس", "كلمهمخترعه", "Geneva", "NATO", "G7",
             "2024", "،", "(", "الرئيس", "والرئيس"]
    model._reset_cache()
    e = model.emissions(words)
    got = model._block[[model._index[w] for w in words]]
    assert np.array_equal(got, _reference_blocks(model, words))
    assert np.array_equal(e, model.emissions(words))  # warm cache: the same emissions
    model._reset_cache()


def _tie_heavy_case(rng, n):
    # Small integers make equal scores common, so the tie-break is exercised too.
    e = rng.integers(-2, 3, (n, T.N_LABELS)).astype(np.float32)
    trans = rng.integers(-2, 3, (T.N_LABELS, T.N_LABELS)).astype(np.float32)
    start, end = (rng.integers(-2, 3, T.N_LABELS).astype(np.float32) for _ in range(2))
    cuts = np.sort(rng.choice(np.arange(1, n), size=min(n - 1, 4), replace=False)) if n > 1 else np.array([], int)
    bounds = np.concatenate(([0], cuts, [n]))
    starts, stops = bounds[:-1].astype(np.int64), bounds[1:].astype(np.int64)
    return e, starts, stops, trans, start, end


@pytest.mark.parametrize("seed", range(6))
def test_compiled_viterbi_equals_numpy_viterbi_including_ties(seed):
    jit_viterbi = T.compiled_loops()[0]
    if jit_viterbi is None:
        pytest.skip("numba not installed: the numpy Viterbi is the one in use")
    rng = np.random.default_rng(seed)
    for n in (1, 2, 3, 17, 120):
        for case in (_tie_heavy_case(rng, n), None):
            if case is None:  # real-valued scores
                e, starts, stops, trans, start, end = _tie_heavy_case(rng, n)
                e = rng.normal(size=e.shape).astype(np.float32)
                trans = rng.normal(size=trans.shape).astype(np.float32)
                case = (e, starts, stops, trans, start, end)
            pos, lab = T.batched_viterbi(*case)
            want = np.full(n, -1, np.int64)
            want[pos] = lab
            got = np.full(n, -1, np.int64)
            jit_viterbi(*case, got)
            assert got.tolist() == want.tolist()


@pytest.mark.parametrize("seed", range(4))
def test_compiled_certain_o_stretches_equal_the_numpy_ones(seed):
    if T.compiled_loops()[1] is None:
        pytest.skip("numba not installed: the numpy version is the one in use")
    model = T.load_model("ar")
    rng = np.random.default_rng(seed)
    for n in (1, 2, 3, 30, 400):
        # Emissions around the pruning margins (some tokens certain O, some not), and rounded
        # ones where differences equal the margins exactly.
        e = (rng.normal(size=(n, T.N_LABELS)) * 2).astype(np.float32)
        e[:, 0] += rng.choice([0.0, 4.0], size=n).astype(np.float32)
        for case in (e, np.round(e).astype(np.float32)):
            case = np.ascontiguousarray(case)
            want = model.uncertain_stretches(case, compiled=False)
            got = model.uncertain_stretches(case)
            assert [x.tolist() for x in got] == [x.tolist() for x in want]


def _reference_stretches(model, e):
    """The certain-O test as first written (all nine neighbour labels in one stacked array)."""
    n = len(e)
    d = e[:, 0] - e.T
    tot = d[1:].copy()
    if n > 1:
        side = np.add(np.stack((d[:, :-1], d[:, 1:]))[:, :, None, :], model._swap)
        np.maximum(side, model._keep, out=side)
        bound = np.minimum.reduce(side, axis=1)
        tot[:, 1:] += bound[0]
        tot[:, :-1] += bound[1]
    tot[:, :1] += model._first
    tot[:, -1:] += model._last
    uncertain = np.flatnonzero(~(tot > 0).all(axis=0))
    if len(uncertain) == 0:
        return [], []
    breaks = np.flatnonzero(np.diff(uncertain) > 1)
    starts = np.concatenate(([uncertain[0]], uncertain[breaks + 1]))
    stops = np.concatenate((uncertain[breaks] + 1, [uncertain[-1] + 1]))
    return starts.tolist(), stops.tolist()


@pytest.mark.parametrize("seed", range(4))
def test_numpy_certain_o_stretches_equal_the_reference_formulation(seed):
    # The numpy test (u = O split off as a constant, contiguous rows, edges from one diff) must
    # give exactly the stretches of the plain formulation, margins and ties included.
    model = T.load_model("ar")
    rng = np.random.default_rng(50 + seed)
    for n in (1, 2, 3, 30, 400):
        e = (rng.normal(size=(n, T.N_LABELS)) * 2).astype(np.float32)
        e[:, 0] += rng.choice([0.0, 4.0], size=n).astype(np.float32)
        for case in (e, np.round(e).astype(np.float32)):
            got = model.uncertain_stretches(np.ascontiguousarray(case), compiled=False)
            assert [x.tolist() for x in got] == list(_reference_stretches(model, case))


def test_spans_from_bio_labels_conlleval_style():
    ix = [T.LABELS.index(x) for x in
          ("O", "B-PERSON", "I-PERSON", "O", "I-LOC", "I-LOC", "B-LOC", "I-ORG", "B-ORG")]
    assert T.spans_from_labels(ix) == [(1, 3, "PERSON"), (4, 6, "LOC"), (6, 7, "LOC"),
                                       (7, 8, "ORG"), (8, 9, "ORG")]
    assert T.spans_from_labels([0, 0]) == []


def test_unknown_language_gives_no_spans():
    assert T.load_model("xx") is None
    assert T.tag_spans(make_doc("Some text here.", "xx")) == []


# -- the committed models ----------------------------------------------------------------

MANIFEST = F.MODELS_DIR / "tagger_manifest.json"
needs_model = pytest.mark.skipif(not (F.MODELS_DIR / "tagger_ar.npz").exists(), reason="no committed model")


@needs_model
def test_manifest_matches_the_committed_model_files():
    manifest = json.loads(MANIFEST.read_text("utf-8"))
    assert manifest["command"].startswith("python tools/train_tagger.py")
    total = 0
    for lang, info in manifest["models"].items():
        path = F.MODELS_DIR / info["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == info["sha256"], lang
        assert info["training_files"] and info["dev_scores_token_level"]["micro3"]["f1"] > 0
        total += path.stat().st_size
    assert total < 30 * 1024 * 1024


@needs_model
def test_arabic_spans_cover_whole_words_without_punctuation():
    text = "وقال وزير الخارجية المصري سامح شكري في القاهرة، إن الجامعة العربية ستجتمع في بيروت."
    doc = make_doc(text, "ar")
    spans = T.tag_spans(doc)
    assert spans
    for s, e, etype, score in spans:
        assert etype in T.TYPES and 0.0 <= score <= 1.0
        assert (s == 0 or doc.norm[s - 1] == " ") and (e == len(doc.norm) or not doc.norm[e].isalnum())
        assert doc.norm[s].isalnum() and doc.norm[e - 1].isalnum()
    located = {(doc.locate(s, e)["text"], t) for s, e, t, _ in spans}
    assert ("القاهرة", "LOC") in located
    assert ("بيروت", "LOC") in located
    assert ("سامح شكري", "PERSON") in located


@needs_model
def test_spans_never_cross_the_title_body_gap():
    doc = make_doc("وصل إلى العاصمة أمس.", "ar", title="زيارة رسمية إلى باريس")
    for s, e, _, _ in T.tag_spans(doc):
        assert "\n" not in doc.norm[s:e]


@needs_model
def test_english_and_persian_models_load_and_tag():
    en = make_doc("Prime Minister Boris Johnson met officials of the World Health Organization in Geneva.", "en")
    got = {(en.norm[s:e], t) for s, e, t, _ in T.tag_spans(en)}
    assert ("Geneva", "LOC") in got
    fa = make_doc("حسن روحانی روز دوشنبه به تهران بازگشت.", "fa")
    assert all(t in T.TYPES for _, _, t, _ in T.tag_spans(fa))


@needs_model
def test_tagging_is_repeatable_with_a_warm_cache():
    doc = make_doc("استقبل الملك عبدالله الثاني في عمان رئيس الحكومة العراقية.", "ar")
    assert T.tag_spans(doc) == T.tag_spans(doc)


def test_training_with_dropout_and_seed_ensemble_is_deterministic_and_learns():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
    import train_tagger as TT

    data = _tiny_corpus()
    runs = [TT.ensemble("ar", data, None, epochs=4, seeds=2, dropout=0.3) for _ in range(2)]
    w0, w1 = runs[0].averaged()[0], runs[1].averaged()[0]
    assert np.array_equal(w0, w1)  # same seeds, same dropout draws: bit-identical weights
    flat, starts = runs[0].featurize(data[0][0])
    assert runs[0].decode(flat, starts, *runs[0].averaged()) == data[0][1]


def _tiny_corpus():
    # Invented: names after a title, a place after a preposition.
    b_per, i_per, b_loc = (T.LABELS.index(x) for x in ("B-PERSON", "I-PERSON", "B-LOC"))
    data = []
    for first, last, place in [("سامي", "حداد", "حلب"), ("رنا", "خوري", "صور"), ("فادي", "نصار", "جبيل"),
                               ("هالة", "عيسى", "زحلة")]:
        words = ["قال", "الوزير", first, last, "في", place, "امس"]
        data.append((words, [0, 0, b_per, i_per, 0, b_loc, 0]))
    return data


def test_crf_learner_is_deterministic_learns_and_mixes_with_the_perceptron(tmp_path):
    pytest.importorskip("pycrfsuite")  # training-only dependency (pyproject optional "dev")
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
    import train_tagger as TT

    data = _tiny_corpus()
    # A second corpus with private feature copies (domain 1), as AQMAR is trained.
    extra = [(w, lab, 1, 0.5) for w, lab in data[:2]]
    runs = [TT.crf_train("ar", data + extra, None, c1=0.0, c2=0.01, iterations=50, log=lambda _: None,
                         workdir=tmp_path) for _ in range(2)]
    w0, tr0 = runs[0].averaged()[:2]
    assert np.array_equal(w0, runs[1].averaged()[0]) and np.array_equal(tr0, runs[1].averaged()[1])
    assert np.count_nonzero(w0) > 0
    flat, starts = runs[0].featurize(data[1][0])
    assert runs[0].decode(flat, starts, *runs[0].averaged()) == data[1][1]
    # The exported model is the run-time model: same labels through the cached decoder.
    model = runs[0].export(tmp_path / "tagger_ar.npz")
    assert model.decode(data[1][0])[0].tolist() == data[1][1]
    # Mixing: a scaled weighted sum with the perceptron, still one linear model that tags right.
    perc = TT.ensemble("ar", data, None, epochs=4, seeds=1)
    mixed = TT.mix([perc, runs[0]], [0.5, 0.5], data, log=lambda _: None)
    assert mixed.decode(flat, starts, *mixed.averaged()) == data[1][1]
