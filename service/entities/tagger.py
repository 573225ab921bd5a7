"""Statistical sequence tagger: an averaged structured perceptron over BIO labels (docs/tagger.md).

`tag_spans(doc)` returns (start, end, type, score) spans in `doc.norm` coordinates, each covering
whole tokens of `features.TOKEN_RE` (so a proclitic-prefixed word like `ولبنان` is one span and
punctuation is never included).  Types: PERSON, ORG, LOC, MISC.

Speed: all features are per word type (see features.py), so each word type's score contribution
to itself and to its neighbours (a 5 x n_labels block) is computed once and cached; an article's
emission scores are then one numpy gather and four additions.  Viterbi runs only over the
stretches of tokens where a label other than O can win (see `uncertain_stretches`); both loops
run compiled by numba when it is installed, with the same results (see `_compile_viterbi`).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from functools import lru_cache
from itertools import accumulate, chain
from operator import sub
from pathlib import Path

import numpy as np

from ..document import Doc
from ..text.chars import char_bitmaps
from . import features as F

logger = logging.getLogger(__name__)

TYPES = ("PERSON", "ORG", "LOC", "MISC")
LABELS = ("O",) + tuple(f"{p}-{t}" for t in TYPES for p in ("B", "I"))
N_LABELS = len(LABELS)
MODEL_FILE = "tagger_{lang}.npz"
# Languages with a model; other languages fall back to no tagger output.
_LANG_ALIASES = {"arz": "ar", "ary": "ar", "pes": "fa", "prs": "fa"}
# Cached word types per language model before the cache is reset (bounds memory: ~180 B each).
_CACHE_LIMIT = 400_000
# Shared feature strings whose hashed ids are kept (~150 B each), cleared beyond this many.
_FEATURE_CACHE_LIMIT = 200_000
# Feature prefixes that name the word itself: hashing them is cheaper than caching them.
_WORD_SPECIFIC = ("w=", "wa=", "st=", "ast=")
_NO_IDS = [(), ()]
_AT_MINUS_1, _AT_0, _AT_PLUS_1 = F.OFFSETS.index(-1), F.OFFSETS.index(0), F.OFFSETS.index(1)


class TaggerModel:
    """Weights of one language: sparse rows of the hashed feature matrix plus transitions."""

    def __init__(self, lang: str, rows: np.ndarray, weights: np.ndarray, trans: np.ndarray,
                 start: np.ndarray, end: np.ndarray, temperature: float = 1.0,
                 lex: F.Lexicon | None = None):
        self.lang = lang
        self.rows = rows.astype(np.int64)  # sorted hashed feature ids with a non-zero weight
        self.weights = weights.astype(np.float32)  # (len(rows), N_LABELS)
        self.trans = trans.astype(np.float32)  # (N_LABELS, N_LABELS): previous -> next
        self.start = start.astype(np.float32)
        self.end = end.astype(np.float32)
        self.temperature = float(temperature)  # softmax temperature for span scores (from training)
        self.lex = lex if lex is not None else F.lexicon_for(lang)
        # Certain-O test (see `uncertain_stretches`): constant tables over (neighbour label u,
        # label y != O), for the left (index 0) and the right (index 1) neighbour, shaped
        # (side, u, y, 1) to broadcast along the tokens.
        into = np.vstack([self.trans, self.start[None, :]])  # every "previous" incl. sentence start
        out_of = np.hstack([self.trans, self.end[:, None]])  # every "next" incl. sentence end
        # The most the label before the left neighbour (or the start) can favour u over O, and
        # the most the label after the right neighbour (or the end) can favour u over O.
        gain_in = (into - into[:, :1]).max(axis=0)
        gain_out = (out_of - out_of[:1, :]).max(axis=1)
        t, t_oo = self.trans, self.trans[0, 0]
        keep_in = t[:, :1] - t  # [u, y]: u stays, trans[u,O] - trans[u,y]
        swap_in = t_oo - t - gain_in[:, None]  # [u, y]: u becomes O too (without e[i-1])
        keep_out = (t[:1, :] - t).T  # [u, y]: trans[O,u] - trans[y,u]
        swap_out = (t_oo - t - gain_out[None, :]).T
        self._keep = np.ascontiguousarray(np.stack([keep_in, keep_out])[:, :, 1:, None])
        self._swap = np.ascontiguousarray(np.stack([swap_in, swap_out])[:, :, 1:, None])
        # The numpy test splits off u = O: its d is 0 (e - e), so its option is a constant.
        self._keep_u = np.ascontiguousarray(self._keep[:, 1:])
        self._swap_u = np.ascontiguousarray(self._swap[:, 1:])
        self._bound_o = np.maximum(self._keep[:, 0], self._swap[:, 0])  # (side, y, 1)
        # For span scores: the transition into a token from each previous label, the last row
        # (index -1) from the sentence start; and out of it to each next label, the last row to
        # the end.
        self._into = into
        self._out_t = np.ascontiguousarray(out_of.T)
        self._first = np.ascontiguousarray((self.start[0] - self.start)[1:, None])  # token 0: start -> O vs y
        self._last = np.ascontiguousarray((self.end[0] - self.end)[1:, None])  # last token: O -> end vs y
        # Hashed feature id -> row of `weights`; ids never seen in training -> an all-zero row
        # appended at the end (one gather instead of a binary search per feature).
        self._weights0 = np.vstack([self.weights, np.zeros((1, N_LABELS), np.float32)])
        self._row_of = np.full(F.N_BUCKETS, len(self.rows), np.int32)
        self._row_of[self.rows] = np.arange(len(self.rows), dtype=np.int32)
        self._lock = threading.Lock()
        self._reset_cache()
        # The compiled tagger (news_enricher_native) when it is installed: same output, it keeps
        # its own word-type cache (see `_tag_native`).
        self._native = _native_tagger(self)

    @classmethod
    def load(cls, path: Path, lang: str) -> "TaggerModel":
        with np.load(path) as z:
            temp = float(z["temperature"]) if "temperature" in z.files else 1.0
            gaz = bool(z["gazetteer"]) if "gazetteer" in z.files else True
            lex = F.lexicon_for(lang, gaz)
            return cls(lang, z["rows"], z["weights"], z["trans"], z["start"], z["end"], temp, lex)

    # -- per-word-type cache -------------------------------------------------------------
    def _reset_cache(self) -> None:
        self._index: dict[str, int] = {}
        self._block = np.zeros((1024, len(F.OFFSETS), N_LABELS), np.float32)
        # Feature string -> its hashed ids, for features many words share (affixes, shapes,
        # clusters, cue and KB flags); word-specific ones are hashed each time.  One cache per
        # part of `features.feature_parts`, holding only the offsets that part is used at:
        # common at all five, part 1 at offset 0, part 2 at offsets -1 and +1.
        self._ids_all: dict[str, tuple[int, ...]] = {}
        self._ids_0: dict[str, int] = {}
        self._ids_pm1: dict[str, tuple[int, int]] = {}
        self._add_words([F.BOS, F.EOS])

    def _new_all(self, feature: str) -> tuple[int, ...]:
        ids = F.feature_ids(feature)
        if not feature.startswith(_WORD_SPECIFIC):
            self._ids_all[feature] = ids
        return ids

    def _new_0(self, feature: str) -> int:
        i = F.feature_id(feature, _AT_0)
        if not feature.startswith(_WORD_SPECIFIC):
            self._ids_0[feature] = i
        return i

    def _new_pm1(self, feature: str) -> tuple[int, int]:
        ids = F.feature_id(feature, _AT_MINUS_1), F.feature_id(feature, _AT_PLUS_1)
        if not feature.startswith(_WORD_SPECIFIC):
            self._ids_pm1[feature] = ids
        return ids

    def _add_words(self, words: list[str]) -> None:
        """Compute and cache the (offsets x labels) score block of each new word type."""
        sums = self._word_blocks(words)
        first = len(self._index)
        need = first + len(words)
        if need > len(self._block):
            size = len(self._block)
            while size < need:
                size *= 2
            grown = np.zeros((size,) + self._block.shape[1:], np.float32)
            grown[:first] = self._block[:first]
            self._block = grown
        self._block[first:need] = sums
        for i, w in enumerate(words):
            self._index[w] = first + i

    def _word_blocks(self, words: list[str]) -> np.ndarray:
        """The (len(words), offsets, labels) float32 score blocks of `words`, in one batch:
        collect all hashed feature ids (offset by offset, as features.hashed orders them), map
        them to weight rows with one gather, sum per (word, offset).  Also used by the native
        tagger, which caches the blocks itself."""
        ids: list[int] = []
        counts: list[int] = []
        get_all, get_0, get_pm1 = self._ids_all.get, self._ids_0.get, self._ids_pm1.get
        new_all, new_0, new_pm1 = self._new_all, self._new_0, self._new_pm1
        lex = self.lex
        for w in words:
            f0, f1, common = F.feature_parts(w, lex)
            # per-offset tuples of ids (offsets -2..+2) of the features at every offset
            c = list(zip(*[get_all(f) or new_all(f) for f in common]))
            z0 = [get_0(f) or new_0(f) for f in f0]
            z1 = list(zip(*[get_pm1(f) or new_pm1(f) for f in f1])) or _NO_IDS
            # offset -2: common; -1: f1 + common; 0: f0 + common; +1: f1 + common; +2: common
            ids += c[0]
            ids += z1[0]
            ids += c[1]
            ids += z0
            ids += c[2]
            ids += z1[1]
            ids += c[3]
            ids += c[4]
            counts += (len(c[0]), len(z1[0]) + len(c[1]), len(z0) + len(c[2]),
                       len(z1[1]) + len(c[3]), len(c[4]))
        for cache in (self._ids_all, self._ids_0, self._ids_pm1):
            if len(cache) > _FEATURE_CACHE_LIMIT:
                cache.clear()
        # Unknown features gather the zero row: the same sums, in the same order, as before.
        # take(axis=0) gathers whole rows several times faster than fancy indexing.
        vals = self._weights0.take(self._row_of[np.fromiter(ids, np.intp, len(ids))], axis=0)
        # Every (word, offset) has at least one feature, so reduceat segments are never empty.
        seg = np.concatenate(([0], np.cumsum(counts)[:-1]))
        sums = np.add.reduceat(vals, seg, axis=0)
        return sums.reshape(len(words), len(F.OFFSETS), N_LABELS)

    def _word_row(self, word: str) -> int:
        row = self._index.get(word)
        if row is None:
            self._add_words([word])
            row = self._index[word]
        return row

    def emissions(self, words: list[str]) -> np.ndarray:
        """(len(words), N_LABELS) label scores of each token from its window of word types."""
        with self._lock:
            if len(self._index) + len(words) > _CACHE_LIMIT:
                self._reset_cache()
            rows = list(map(self._index.get, words))
            if None in rows:
                self._add_words(sorted({w for w, r in zip(words, rows) if r is None}))
                rows = list(map(self._index.get, words))
            # np.fromiter over a chain: a list of Python ints converts ~2x faster than np.asarray
            idx = chain((self._index[F.BOS],) * F.WINDOW, rows, (self._index[F.EOS],) * F.WINDOW)
            m = self._block.take(np.fromiter(idx, np.intp, len(rows) + 2 * F.WINDOW), axis=0)
        n = len(words)
        e = m[F.WINDOW:F.WINDOW + n, F.WINDOW].copy()
        for j, k in enumerate(F.OFFSETS):
            if k:
                e += m[F.WINDOW + k:F.WINDOW + k + n, j]
        return e

    # -- decoding ------------------------------------------------------------------------
    def decode(self, words: list[str]) -> tuple[list[int], np.ndarray]:
        """Best label ids (exact Viterbi; an int array) and the emission matrix."""
        e = self.emissions(words)
        labels = np.zeros(len(words), np.intp)
        if len(words) == 0:
            return labels, e
        starts, stops = self.uncertain_stretches(e)
        if len(starts) == 0:
            return labels, e
        jit_viterbi = compiled_loops()[0]
        if jit_viterbi is not None:
            jit_viterbi(e, starts, stops, self.trans, self.start, self.end, labels)
        else:
            pos, lab = batched_viterbi(e, starts, stops, self.trans, self.start, self.end)
            labels[pos] = lab
        return labels, e

    def uncertain_stretches(self, e: np.ndarray, compiled: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(starts, stops) of the stretches of tokens that are not certainly O: only those need
        Viterbi (`compiled=False` forces the numpy version; both give the same stretches).

        Take any path with label y != O at token i and u at i-1.  Putting O at i changes its
        score by e[i,O] - e[i,y], plus on the left either trans[u,O] - trans[u,y] (u stays,
        `keep`) or, putting O at i-1 as well, at least e[i-1,O] - e[i-1,u] + `swap`[u,y] (swap
        bounds the transition from whatever precedes i-1 by its worst case); the better of the
        two, minimised over u, bounds the left side; the right side likewise.  Where the sum is
        positive for every y, no best path has y at i: the token is O in the best path, which
        splits there, and only the stretches between need Viterbi.  (A one-token window: the
        older test without the neighbours' emissions left a median of 215 of 234 tokens
        uncertain on news, this one ~80.)"""
        jit_stretches = compiled_loops()[1] if compiled else None
        if jit_stretches is not None:
            return jit_stretches(e, self._keep, self._swap, self._first, self._last)
        n = len(e)
        et = e.T.copy()  # (labels, tokens), C-ordered: the broadcast additions below then run
        d = np.subtract(et[0], et, out=et)  # over contiguous rows; d[u, i] = e[i,O] - e[i,u]
        tot = d[1:].copy()  # one row per label y != O
        if n > 1:
            # (side, u, y, token): the two options for the neighbour u, then the worst u; each
            # side added into one preallocated array (np.stack would copy d first).  u = O is
            # the constant `_bound_o` (d[O] = 0 exactly), taken into the minimum last.
            side = np.empty((2, N_LABELS - 1, N_LABELS - 1, n - 1), e.dtype)
            np.add(d[1:, None, :-1], self._swap_u[0], out=side[0])
            np.add(d[1:, None, 1:], self._swap_u[1], out=side[1])
            np.maximum(side, self._keep_u, out=side)
            bound = np.minimum.reduce(side, axis=1)
            np.minimum(bound, self._bound_o, out=bound)
            tot[:, 1:] += bound[0]  # tokens 1..n-1: their left neighbour
            tot[:, :-1] += bound[1]  # tokens 0..n-2: their right neighbour
        tot[:, :1] += self._first
        tot[:, -1:] += self._last
        # Stretches = runs of tokens not certainly O: where the padded "sure" flag changes,
        # alternately a stretch's start and its stop.
        sure = np.ones(n + 2, np.int8)
        np.logical_and.reduce(tot > 0, axis=0, out=sure[1:-1].view(np.bool_))
        edges = np.flatnonzero(np.diff(sure))
        return edges[0::2], edges[1::2]


def batched_viterbi(e, starts, stops, trans, start, end):
    """Exact Viterbi over many independent stretches of `e`, each entered from and left to O
    (or the sequence start/end), vectorized across stretches: as many numpy steps as the
    longest stretch has tokens.  Returns (token positions, label ids)."""
    n, n_labels = e.shape
    lens = stops - starts
    order = np.argsort(-lens, kind="stable")
    s0, ln = starts[order], lens[order]
    k, longest = len(s0), int(ln[0])
    # Number of stretches still running at step j (lengths sorted descending).
    active = np.searchsorted(-ln, -np.arange(longest), side="left").tolist()
    # All stretches' emissions in one gather, step-major (rows past a stretch's end are never
    # used), so that each step reads one contiguous block.
    es = e[np.minimum(np.arange(longest)[:, None] + s0, n - 1)]
    score = np.where((s0 == 0)[:, None], start, trans[0]) + es[0]
    back = np.empty((longest, k, n_labels), np.intp)
    # Each step is a handful of numpy calls on tiny arrays, so call overhead is the cost: the
    # candidates are laid out (stretch, next label, previous label) with preallocated buffers,
    # and the best score is gathered at the argmax (numpy's max over a short last axis costs
    # several times an argmax).  The values are the same as max(): identical paths.
    cand = np.empty((k, n_labels, n_labels), score.dtype)
    flat = cand.reshape(-1)
    base = np.arange(k * n_labels) * n_labels
    idx = np.empty(k * n_labels, np.intp)
    trans_t = np.ascontiguousarray(trans.T)[None]
    add = np.add
    views = {}  # the views of the buffers for a number of running stretches (made once each)
    for j in range(1, longest):
        a = active[j]
        v = views.get(a)
        if v is None:
            m = a * n_labels
            s = score[:a]
            v = views[a] = (s, s[:, None, :], cand[:a], base[:m], idx[:m], s.reshape(-1))
        s, s_prev, c, bs, ix, s_flat = v
        add(s_prev, trans_t, out=c)
        b = back[j, :a]
        c.argmax(axis=2, out=b)
        add(bs, b.reshape(-1), out=ix)
        flat.take(ix, out=s_flat)
        s += es[j, :a]
    score += np.where((s0 + ln == n)[:, None], end, trans[:, 0])
    cur = score.argmax(axis=1)
    lab = np.zeros((k, longest), np.intp)
    row_base = np.arange(k) * n_labels
    back_flat = back.reshape(longest, -1)
    for j in range(longest - 1, 0, -1):
        a = active[j]
        c = cur[:a]
        lab[:a, j] = c
        back_flat[j].take(row_base[:a] + c, out=c)
    lab[:, 0] = cur
    mask = np.arange(longest) < ln[:, None]
    pos = (s0[:, None] + np.arange(longest))[mask]
    return pos, lab[mask]


def _stretches_viterbi(e, starts, stops, trans, start, end, labels):
    """`batched_viterbi` as plain loops, for numba: the same float32 additions in the same order
    and the same tie-break (the first of equal scores), so the same labels, written into
    `labels` (int64) at the stretches' positions."""
    n, n_labels = e.shape
    score = np.empty(n_labels, np.float32)
    new = np.empty(n_labels, np.float32)
    for r in range(len(starts)):
        s, t = starts[r], stops[r]
        back = np.empty((t - s, n_labels), np.int64)
        for y in range(n_labels):
            score[y] = (start[y] if s == 0 else trans[0, y]) + e[s, y]
        for i in range(s + 1, t):
            for y in range(n_labels):
                best = score[0] + trans[0, y]
                arg = 0
                for p in range(1, n_labels):
                    v = score[p] + trans[p, y]
                    if v > best:
                        best = v
                        arg = p
                back[i - s, y] = arg
                new[y] = best + e[i, y]
            score[:] = new
        cur = 0
        best = score[0] + (end[0] if t == n else trans[0, 0])
        for y in range(1, n_labels):
            v = score[y] + (end[y] if t == n else trans[y, 0])
            if v > best:
                best = v
                cur = y
        for i in range(t - 1, s - 1, -1):
            labels[i] = cur
            if i > s:
                cur = back[i - s, cur]


def _uncertain_stretches(e, keep, swap, first, last):
    """The certain-O test of `TaggerModel.uncertain_stretches` as plain loops, for numba (the
    same float32 differences and sums in the same order), returning the (starts, stops) of the
    stretches of tokens that are not certainly O."""
    n, n_labels = e.shape
    d = np.empty((n_labels, n), np.float32)
    for i in range(n):
        for y in range(n_labels):
            d[y, i] = e[i, 0] - e[i, y]
    sure = np.empty(n, np.bool_)
    for i in range(n):
        ok = True
        for y in range(1, n_labels):
            t = d[y, i]
            for side in range(2):
                j = i - 1 if side == 0 else i + 1
                if j < 0 or j >= n:
                    continue
                # numpy adds d + swap: the same sum
                best = max(keep[side, 0, y - 1, 0], d[0, j] + swap[side, 0, y - 1, 0])
                for u in range(1, n_labels):
                    v = max(keep[side, u, y - 1, 0], d[u, j] + swap[side, u, y - 1, 0])
                    if v < best:
                        best = v
                t += best
            if i == 0:
                t += first[y - 1, 0]
            if i == n - 1:
                t += last[y - 1, 0]
            if not (t > 0):
                ok = False
                break
        sure[i] = ok
    k = 0
    for i in range(n):
        if not sure[i] and (i == 0 or sure[i - 1]):
            k += 1
    starts = np.empty(k, np.int64)
    stops = np.empty(k, np.int64)
    k = 0
    for i in range(n):
        if not sure[i]:
            if i == 0 or sure[i - 1]:
                starts[k] = i
            if i == n - 1 or sure[i + 1]:
                stops[k] = i + 1
                k += 1
    return starts, stops


def _compile_viterbi():
    """`_stretches_viterbi` and `_uncertain_stretches` compiled by numba when it is installed
    (~30x faster than the numpy steps, whose cost is call overhead), else None and the numpy
    code in `decode` and `batched_viterbi` runs.  Compiled once
    per machine: numba caches the machine code on disk (beside this file or in the user's
    cache directory) and later starts load it."""
    if os.environ.get("NEWS_ENRICHER_TAGGER_JIT", "1") == "0":
        return None
    try:
        import numba
    except ImportError:
        return None
    f32, i64 = numba.float32, numba.int64
    signature = numba.void(f32[:, ::1], i64[::1], i64[::1], f32[:, ::1], f32[::1], f32[::1], i64[::1])
    t4, t2 = f32[:, :, :, ::1], f32[:, ::1]
    stretch_signature = numba.types.UniTuple(i64[::1], 2)(f32[:, ::1], t4, t4, t2, t2)
    out = []
    try:
        for func, sig in ((_stretches_viterbi, signature), (_uncertain_stretches, stretch_signature)):
            try:
                out.append(numba.njit(sig, cache=True, nogil=True)(func))
            except RuntimeError:  # no writable cache directory: compile at every start instead
                out.append(numba.njit(sig, cache=False, nogil=True)(func))
    except Exception as exc:  # noqa: BLE001 -- a numba that cannot compile this must not stop the worker
        logger.warning("tagger: numba could not compile the decoder (%s); using numpy", exc)
        return None
    return tuple(out)


_jit_loops: tuple | None = None
_JIT_LOCK = threading.Lock()


def compiled_loops() -> tuple:
    """(Viterbi, certain-O stretches) compiled by numba, or (None, None).  Compiled at the first
    Python-path decode, not at import: with the native tagger in use they never run, and
    numba's compiler costs ~100-140 MB of resident memory (the worker's warm-up decodes once,
    so a worker without the native tagger compiles before it takes traffic)."""
    global _jit_loops
    if _jit_loops is None:
        with _JIT_LOCK:
            if _jit_loops is None:
                _jit_loops = _compile_viterbi() or (None, None)
    return _jit_loops


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


def spans_from_labels(labels) -> list[tuple[int, int, str]]:
    """BIO label ids -> (first token, last token + 1, type); an I- after another type starts a span."""
    labels = np.asarray(labels)
    nz = np.flatnonzero(labels)
    return _spans(nz.tolist(), labels[nz].tolist())


def _spans(tagged: list[int], tags: list[int]) -> list[tuple[int, int, str]]:
    """`spans_from_labels` from the positions and label ids of the tokens that are not O."""
    out = []
    cur = None
    for i, lab in zip(tagged, tags):
        name = LABELS[lab]
        etype = name[2:]
        if cur is not None and cur[1] == i and cur[2] == etype and name[0] == "I":
            cur[1] = i + 1
            continue
        if cur is not None:
            out.append(tuple(cur))
        cur = [i, i + 1, etype]
    if cur is not None:
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


# TOKEN_RE with the whitespace before each token: the pieces then tile the text, so offsets are
# a running sum of lengths (much cheaper than a Match object per token).  `tokenize` right-strips
# the text first, so every whitespace run is followed by a token (any non-space character starts
# one): a piece never fails after taking a run, and the possessive run is never rescanned (a
# long whitespace run with no token after it would otherwise be O(n^2)).  The word alternative is
# features.TOKEN_RE's `\w+(?:['\-]\w+){0,4}` written to run faster with the same matches: the
# runs are possessive (a shorter run would leave a word character, never ' or -, next) and the
# joined parts are tried only when ' or - and a word character follow (~12 % less time).
assert F.TOKEN_RE.pattern == r"\w+(?:['\-]\w+){0,4}|[^\w\s]"  # keep the two in step
_PIECES = re.compile(r"\s*+(?:\w++(?:(?=['\-]\w)(?:['\-]\w++){1,4})?|[^\w\s])")


def tokenize(text: str) -> tuple[list[str], list[int], list[int]]:
    """Tokens of `text` (features.TOKEN_RE) with their start and end offsets."""
    pieces = _PIECES.findall(text.rstrip())
    # Each piece is whitespace then one token, and tokens hold no whitespace (\s and str.split
    # use the same definition): splitting the joined pieces gives the tokens, in two C calls
    # instead of a Python-level lstrip per piece.
    words = " ".join(pieces).split()
    ends = list(accumulate(map(len, pieces)))
    starts = list(map(sub, ends, map(len, words)))
    return words, starts, ends


def tag_spans(doc: Doc) -> list[tuple[int, int, str, float]]:
    """Entity spans found by the tagger: (start, end) in `doc.norm`, type, score in [0, 1]."""
    model = load_model(doc.language)
    if model is None:
        return []
    return tag_text(model, doc.norm)


def tag_text(model: TaggerModel, norm: str, native: bool = True) -> list[tuple[int, int, str, float]]:
    """`tag_spans` of a normalized text with `model`: by the native tagger when the model has
    one (and `native`), else in Python; the two give the same spans."""
    if native and model._native is not None:
        try:
            return _tag_native(model, norm)
        except UnicodeEncodeError:  # a lone surrogate (not UTF-8): the Python path takes it
            pass
    words, starts, ends = tokenize(norm)
    if not words:
        return []
    labels, e = model.decode(words)
    tagged = np.flatnonzero(labels)
    if len(tagged) == 0:
        return []
    tags = labels[tagged]
    found = _spans(tagged.tolist(), tags.tolist())
    # Score: mean over the span's tokens of the probability of the chosen type (B- and I- of it
    # together), from a softmax over each label's local score: emission plus the transitions
    # from the previous and to the next chosen label (the emission alone often prefers an I-
    # label that only the transitions rule out).  Computed only for the tagged tokens.
    # With -1 (the last row of the tables: sentence start / end) around the labels, the label
    # before token i is at i and the one after it at i + 2.
    around = np.concatenate(([-1], labels, [-1]))
    prev_in = model._into[around[tagged]]
    out_to = model._out_t[around[tagged + 2]]
    rows = e[tagged] + prev_in + out_to
    z = np.exp((rows - rows.max(axis=1, keepdims=True)) / model.temperature)
    b_col = tags - (tags - 1) % 2  # B- column of the chosen type
    idx = np.arange(len(tagged))
    probs = (z[idx, b_col] + z[idx, b_col + 1]) / z.sum(axis=1)
    chosen = dict(zip(tagged.tolist(), probs.tolist()))
    out = []
    for a, b, etype in found:
        pieces = [(a, b)]
        if "\n" in norm[starts[a]:ends[b - 1]]:
            # A span never runs across a line break (title/body gap, paragraphs): split it there.
            pieces, first = [], a
            for j in range(a + 1, b):
                if "\n" in norm[ends[j - 1]:starts[j]]:
                    pieces.append((first, j))
                    first = j
            pieces.append((first, b))
        for p, q in pieces:
            conf = sum(chosen[j] for j in range(p, q)) / (q - p)
            out.append((starts[p], ends[q - 1], etype, round(conf, 4)))
    return out


# -- the compiled tagger ---------------------------------------------------------------------
# `news_enricher_native` (native/, Rust) does what `tag_spans` does from the tokens to the spans
# with the same float32 additions in the same order and the same tie-breaks, so the same output
# (docs/tagger.md, "Native inference").  It is optional: without it, or with
# NEWS_ENRICHER_TAGGER_NATIVE=0, the Python/numpy path above runs.


def _load_native():
    if os.environ.get("NEWS_ENRICHER_TAGGER_NATIVE", "auto") == "0":
        return None
    try:
        import news_enricher_native
    except ImportError:
        return None
    return news_enricher_native


_native = _load_native()


def _native_tagger(model: TaggerModel, module=None, limit: int = _CACHE_LIMIT, features: bool = True):
    """The native tagger of `model` (by `module`, default the installed one), or None when the
    module is absent or turned off.  `features=False`: new word types' blocks always come from
    Python (`_word_blocks`)."""
    module = module or _native
    if module is None:
        return None
    word_bits, space_bits = char_bitmaps()
    pad = model._word_blocks([F.BOS, F.EOS])
    f32 = lambda a: np.ascontiguousarray(a, np.float32).tobytes()  # noqa: E731
    nt = module.Tagger(
        f32(model.trans), f32(model.start), f32(model.end), f32(model._keep), f32(model._swap),
        f32(model._first), f32(model._last), f32(model._into), f32(model._out_t),
        f32(pad[0]), f32(pad[1]), word_bits, space_bits, limit, float(np.float32(model.temperature)))
    if features:
        # New word types' blocks computed natively too, from this model's Lexicon (the data
        # stays in the data files; only the rules of features.feature_parts are in Rust).
        lex = model.lex
        nt.set_lexicon(_native_chars(), lex.triggers, _sorted_tags(lex.gazetteer), list(lex.names),
                       list(lex.common), lex.clusters, model._row_of.tobytes(), f32(model._weights0),
                       F._PREFIX_CRC)
        if not _same_blocks(model, nt):
            logger.warning("tagger: native feature blocks differ from numpy's on this machine; "
                           "new word types' blocks are computed in Python")
            return _native_tagger(model, module, limit, features=False)
    return nt


def _same_blocks(model: TaggerModel, nt) -> bool:
    """Whether the native blocks of a sample of words (KB and cue words, with and without
    proclitics, Latin words) are bit-identical to `_word_blocks` here: they rely on the order in
    which numpy's `add.reduceat` sums float32 rows, checked once per model at load."""
    lex = model.lex
    words = sorted(lex.gazetteer)[:150] + sorted(lex.triggers)[:50]
    words += ["و" + w for w in words[:50]] + ["بال" + w for w in words[:20]]
    words += ["Geneva", "NATO", "U.S.-led", "G20", "2024", "،", "."]
    got = nt.word_blocks(words)
    want = model._word_blocks(words)
    return all(g is None or g == w.tobytes() for g, w in zip(got, want))


def _numpy_probs(z: np.ndarray, b_col: np.ndarray) -> np.ndarray:
    """Probability of each row's type (B- column `b_col` and the I- column after it)."""
    idx = np.arange(len(b_col))
    return (z[idx, b_col] + z[idx, b_col + 1]) / z.sum(axis=1)


def _native_probs_ok(nt) -> bool:
    """Whether `nt.probs` (numpy's summation order for a row of 9, in Rust) gives numpy's values
    bit for bit here, on random softmax rows; checked once per process."""
    global _probs_ok
    if _probs_ok is None:
        rng = np.random.default_rng(20261129)
        x = rng.normal(0, 4, (3000, N_LABELS)).astype(np.float32)
        z = np.exp((x - x.max(axis=1, keepdims=True)) / np.float32(0.3))
        b_col = rng.integers(0, 4, len(z)) * 2 + 1
        want = _numpy_probs(z, b_col)
        got = np.array(nt.probs(z.tobytes(), b_col.tolist()), np.float32)
        _probs_ok = got.tobytes() == want.tobytes()
        if not _probs_ok:
            logger.warning("tagger: native span probabilities differ from numpy's here; numpy computes them")
    return _probs_ok


_probs_ok: bool | None = None


# Characters whose words the native tagger computes features for: ASCII, Latin-1 and Latin
# Extended, the Arabic blocks, general punctuation, if str.lower() maps them to one character
# (then lower-casing a word is per character, as in Rust).  Words with any other character
# (other scripts, astral characters, ...) have their blocks computed in Python.
_NATIVE_CHAR_RANGES = ((0x0000, 0x0250), (0x0600, 0x0700), (0x0750, 0x0780), (0x08A0, 0x0900),
                       (0x2000, 0x2070), (0xFB50, 0xFE00), (0xFE70, 0xFF00))


_SORTED_TAGS: dict[int, tuple[dict, dict[str, list[str]]]] = {}


def _sorted_tags(gazetteer: dict[str, set[str]]) -> dict[str, list[str]]:
    """word -> its KB tags sorted (as feature_parts sorts them); the languages share one
    gazetteer dict (features.gazetteer_words), so it is converted once."""
    got = _SORTED_TAGS.get(id(gazetteer))
    if got is None or got[0] is not gazetteer:
        got = _SORTED_TAGS[id(gazetteer)] = (gazetteer, {w: sorted(t) for w, t in gazetteer.items()})
    return got[1]


@lru_cache(maxsize=1)
def _native_chars() -> dict[str, tuple[str, str, bool, bool]]:
    """char -> (features' shape class, its lower-case form, isupper(), Arabic letter), each as
    features.py computes it."""
    out = {}
    for lo, hi in _NATIVE_CHAR_RANGES:
        for code in range(lo, hi):
            ch = chr(code)
            low = ch.lower()
            if len(low) == 1:
                out[ch] = (F._char_class(ch), low, ch.isupper(), bool(F._AR_LETTERS.match(ch)))
    return out


def _tag_native(model: TaggerModel, text: str) -> list[tuple[int, int, str, float]]:
    """`tag_spans` by the native tagger: it tokenizes, looks the word types up and, when some
    are new, returns them; their blocks are computed here (`_word_blocks`, the features stay
    in Python) and handed over in a second call, which decodes.  The scores are computed here
    from the rows it returns, with the same numpy operations as `tag_spans`."""
    nt = model._native
    with model._lock:
        missing, x, b_col, pieces = nt.tag(text)
        if missing is not None:
            missing, x, b_col, pieces = nt.tag(text, missing, model._word_blocks(missing).tobytes())
    if not pieces:
        return []
    # x = (rows - rows.max(axis=1)) / temperature, computed natively with the same float32 ops;
    # np.exp stays numpy's (its float32 exp is its own SIMD code).
    z = np.exp(np.frombuffer(x, np.float32).reshape(-1, N_LABELS))
    if _native_probs_ok(nt):
        probs = nt.probs(z.tobytes(), b_col)
    else:
        probs = _numpy_probs(z, np.array(b_col, np.intp)).tolist()
    return [(a, b, TYPES[t], round(sum(probs[k:k + c]) / c, 4)) for a, b, t, k, c in pieces]
