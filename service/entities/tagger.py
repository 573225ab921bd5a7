"""Statistical sequence tagger: an averaged structured perceptron over BIO labels (docs/tagger.md).

`tag_spans(doc)` returns (start, end, type, score) spans in `doc.norm` coordinates, each covering
whole tokens of `features.TOKEN_RE` (so a proclitic-prefixed word like `ولبنان` is one span and
punctuation is never included).  Types: PERSON, ORG, LOC, MISC.

Speed: all features are per word type (see features.py), so each word type's score contribution
to itself and to its neighbours (a 5 x n_labels block) is computed once and cached; an article's
emission scores are then one numpy gather and four additions.  Viterbi runs only over the
stretches of tokens where a label other than O can win (see `_certain_o`).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ..document import Doc
from . import features as F

TYPES = ("PERSON", "ORG", "LOC", "MISC")
LABELS = ("O",) + tuple(f"{p}-{t}" for t in TYPES for p in ("B", "I"))
N_LABELS = len(LABELS)
MODEL_FILE = "tagger_{lang}.npz"
# Languages with a model; other languages fall back to no tagger output.
_LANG_ALIASES = {"arz": "ar", "ary": "ar", "pes": "fa", "prs": "fa"}
# Cached word types per language model before the cache is reset (bounds memory: ~180 B each).
_CACHE_LIMIT = 400_000


class TaggerModel:
    """Weights of one language: sparse rows of the hashed feature matrix plus transitions."""

    def __init__(self, lang: str, rows: np.ndarray, weights: np.ndarray, trans: np.ndarray,
                 start: np.ndarray, end: np.ndarray, lex: F.Lexicon | None = None):
        self.lang = lang
        self.rows = rows.astype(np.int64)  # sorted hashed feature ids with a non-zero weight
        self.weights = weights.astype(np.float32)  # (len(rows), N_LABELS)
        self.trans = trans.astype(np.float32)  # (N_LABELS, N_LABELS): previous -> next
        self.start = start.astype(np.float32)
        self.end = end.astype(np.float32)
        self.lex = lex if lex is not None else F.lexicon_for(lang)
        # The largest swing transitions can make to a path; used to find certain-O tokens.
        self._swing = float(2 * (max(trans.max(), start.max(), end.max())
                                 - min(trans.min(), start.min(), end.min())))
        self._lock = threading.Lock()
        self._reset_cache()

    @classmethod
    def load(cls, path: Path, lang: str) -> "TaggerModel":
        with np.load(path) as z:
            return cls(lang, z["rows"], z["weights"], z["trans"], z["start"], z["end"])

    # -- per-word-type cache -------------------------------------------------------------
    def _reset_cache(self) -> None:
        self._index: dict[str, int] = {}
        self._block = np.zeros((1024, len(F.OFFSETS), N_LABELS), np.float32)
        for w in (F.BOS, F.EOS):
            self._word_row(w)

    def _score_ids(self, ids: list[int]) -> np.ndarray:
        if not ids:
            return np.zeros(N_LABELS, np.float32)
        ids_arr = np.asarray(ids, np.int64)
        pos = np.searchsorted(self.rows, ids_arr)
        pos[pos >= len(self.rows)] = 0
        hit = self.rows[pos] == ids_arr
        if not hit.any():
            return np.zeros(N_LABELS, np.float32)
        return self.weights[pos[hit]].sum(axis=0)

    def _word_row(self, word: str) -> int:
        row = self._index.get(word)
        if row is not None:
            return row
        row = len(self._index)
        if row >= len(self._block):
            grown = np.zeros((2 * len(self._block),) + self._block.shape[1:], np.float32)
            grown[:row] = self._block
            self._block = grown
        for j, ids in enumerate(F.hashed(word, self.lex)):
            self._block[row, j] = self._score_ids(ids)
        self._index[word] = row
        return row

    def emissions(self, words: list[str]) -> np.ndarray:
        """(len(words), N_LABELS) label scores of each token from its window of word types."""
        with self._lock:
            if len(self._index) + len(words) > _CACHE_LIMIT:
                self._reset_cache()
            get = self._index.get
            bos, eos = self._index[F.BOS], self._index[F.EOS]
            idx = [bos] * F.WINDOW
            for w in words:
                r = get(w)
                idx.append(r if r is not None else self._word_row(w))
            idx.extend([eos] * F.WINDOW)
            m = self._block[np.asarray(idx, np.intp)]
        n = len(words)
        e = m[F.WINDOW:F.WINDOW + n, F.WINDOW].copy()
        for j, k in enumerate(F.OFFSETS):
            if k:
                e += m[F.WINDOW + k:F.WINDOW + k + n, j]
        return e

    # -- decoding ------------------------------------------------------------------------
    def decode(self, words: list[str]) -> tuple[list[int], np.ndarray]:
        """Best label ids (exact Viterbi) and the emission matrix."""
        e = self.emissions(words)
        n = len(words)
        labels = [0] * n
        if n == 0:
            return labels, e
        # A token whose O score beats every other label by more than transitions can make up is O
        # in the best path; the path then splits there, so only the stretches between need Viterbi.
        best_other = e[:, 1:].max(axis=1)
        uncertain = np.flatnonzero(e[:, 0] - best_other <= self._swing)
        if len(uncertain) == 0:
            return labels, e
        # Group consecutive uncertain tokens into stretches.
        breaks = np.flatnonzero(np.diff(uncertain) > 1)
        starts = np.concatenate(([uncertain[0]], uncertain[breaks + 1]))
        stops = np.concatenate((uncertain[breaks] + 1, [uncertain[-1] + 1]))
        for s, t in zip(starts.tolist(), stops.tolist()):
            enter = self.start if s == 0 else self.trans[0]
            leave = self.end if t == n else self.trans[:, 0]
            labels[s:t] = viterbi(e[s:t], self.trans, enter, leave)
        return labels, e


def viterbi(e: np.ndarray, trans: np.ndarray, start: np.ndarray, end: np.ndarray) -> list[int]:
    n = len(e)
    score = start + e[0]
    back = np.empty((n, e.shape[1]), np.intp)
    for i in range(1, n):
        cand = score[:, None] + trans
        back[i] = cand.argmax(axis=0)
        score = cand.max(axis=0) + e[i]
    best = int((score + end).argmax())
    out = [best]
    for i in range(n - 1, 0, -1):
        best = int(back[i, best])
        out.append(best)
    out.reverse()
    return out


def spans_from_labels(labels: list[int]) -> list[tuple[int, int, str]]:
    """BIO label ids -> (first token, last token + 1, type); an I- after another type starts a span."""
    out = []
    cur = None
    for i, lab in enumerate(labels):
        if lab == 0:
            if cur:
                out.append(tuple(cur))
                cur = None
            continue
        name = LABELS[lab]
        etype = name[2:]
        if name[0] == "B" or cur is None or cur[2] != etype:
            if cur:
                out.append(tuple(cur))
            cur = [i, i + 1, etype]
        else:
            cur[1] = i + 1
    if cur:
        out.append(tuple(cur))
    return out


_MODELS: dict[str, TaggerModel | None] = {}
_LOAD_LOCK = threading.Lock()


def load_model(lang: str = "ar") -> TaggerModel | None:
    """The committed model for `lang` (cached), or None when no model file exists."""
    lang = _LANG_ALIASES.get(lang, lang)
    if lang in _MODELS:
        return _MODELS[lang]
    with _LOAD_LOCK:
        if lang not in _MODELS:
            path = F.MODELS_DIR / MODEL_FILE.format(lang=lang)
            _MODELS[lang] = TaggerModel.load(path, lang) if path.exists() else None
    return _MODELS[lang]


def tokenize(text: str) -> tuple[list[str], list[int], list[int]]:
    words, starts, ends = [], [], []
    for m in F.TOKEN_RE.finditer(text):
        words.append(m.group())
        starts.append(m.start())
        ends.append(m.end())
    return words, starts, ends


def tag_spans(doc: Doc) -> list[tuple[int, int, str, float]]:
    """Entity spans found by the tagger: (start, end) in `doc.norm`, type, score in [0, 1]."""
    model = load_model(doc.language)
    if model is None:
        return []
    words, starts, ends = tokenize(doc.norm)
    if not words:
        return []
    labels, e = model.decode(words)
    out = []
    for a, b, etype in spans_from_labels(labels):
        # Score: mean softmax probability of the chosen labels from the emission scores.
        rows = e[a:b]
        z = rows - rows.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        conf = float(p[np.arange(b - a), labels[a:b]].mean())
        out.append((starts[a], ends[b - 1], etype, round(conf, 4)))
    return out
