"""Train the sequence tagger (BIO, Viterbi over hashed per-word features) and write the model.

    .venv/bin/python tools/train_tagger.py --clusters ar [--langs ar,fa,en] [--learner mix|crf|perceptron]
        [--epochs 20] [--seeds 3] [--dropout 0.3] [--extra-ar aqmar,wojood]
        [--c1 0.01] [--c2 0.01] [--iterations 150] [--mix-crf 0.7]

Learners (docs/tagger.md): `perceptron` = mean of 3 averaged perceptrons; `crf` = a linear-chain
CRF trained with L-BFGS by python-crfsuite (training only); `mix` (default) = both, shipped as one
weighted sum of their scaled weights. All three produce the same model format and run-time decoder.

Reads the development corpora from <repo>/../shared/data/ner (or $NEWS_ENRICHER_DEV_DATA/ner),
writes service/data/models/tagger_<lang>.npz and service/data/models/tagger_manifest.json
(command, sha256 of every training file and KB/feature file, dev scores). Deterministic: fixed
seed, fixed data order, crc32 feature hashing.

Splits (fixed):
  ar  ANERcorp train: first 90% of sentences (document order) train, last 10% dev.
  fa  ParsTwiNER (303 tweets, our only Persian set): first 80% train, last 20% dev.
  en  WikiGold: first 90% train, last 10% dev.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import zlib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from service.entities import features as F  # noqa: E402
from service.entities import tagger as T  # noqa: E402
from service.text.normalize import normalize  # noqa: E402

SEED = 20261129
# Label names in the corpora -> our types (anything else becomes O).
TYPE_MAP = {
    "PERS": "PERSON", "PER": "PERSON", "PERSON": "PERSON",
    "LOC": "LOC", "GPE": "LOC",
    "ORG": "ORG",
    "MISC": "MISC", "EVE": "MISC",
}
# AQMAR: MIS0..MIS3 mean "other" categories of Wikipedia topics; they are not news MISC. Dropped.
# ParsTwiNER: NAT (nationalities) are demonyms, not mentions; POG (political groups) are dropped.


def data_dir() -> Path:
    env = os.environ.get("NEWS_ENRICHER_DEV_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def map_tag(tag: str) -> str:
    if tag == "O" or "-" not in tag:
        return "O"
    prefix, _, name = tag.partition("-")
    etype = TYPE_MAP.get(name.upper())
    if etype is None or prefix.upper() not in ("B", "I"):
        return "O"
    return f"{prefix.upper()}-{etype}"


def read_corpus(path: Path) -> list[tuple[list[str], list[str]]]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            if "tags_multi" in d:  # Wojood: outermost layer that maps to one of our types
                tags = []
                for layers in d["tags_multi"]:
                    chosen = "O"
                    for t in layers:
                        if map_tag(t) != "O":
                            chosen = map_tag(t)
                            break
                    tags.append(chosen)
            else:
                tags = [map_tag(t) for t in d["tags"]]
            out.append((d["tokens"], tags))
    return out


def retokenize(tokens: list[str], tags: list[str]) -> tuple[list[str], list[int]]:
    """Gold tokens -> the tokens the tagger sees at run time (TOKEN_RE over normalized text)."""
    words, labels = [], []
    for tok, tag in zip(tokens, tags):
        subs = F.TOKEN_RE.findall(normalize(tok)[0])
        for j, sub in enumerate(subs):
            lab = tag if j == 0 or tag == "O" else "I-" + tag[2:]
            words.append(sub)
            labels.append(T.LABELS.index(lab))
    return words, labels


def repair_bio(labels: list[int]) -> list[int]:
    """An I-X after O or another type becomes B-X, as conlleval reads it."""
    out = []
    prev = "O"
    for lab in labels:
        name = T.LABELS[lab]
        if name.startswith("I-") and prev[2:] != name[2:]:
            name = "B-" + name[2:]
        out.append(T.LABELS.index(name))
        prev = name
    return out


class Trainer:
    """Averaged structured perceptron over hashed per-word-type features."""

    def __init__(self, lang: str, gazetteer: bool = True):
        self.lang = lang
        self.gazetteer = gazetteer
        self.lex = F.lexicon_for(lang, gazetteer)
        self.w = np.zeros((F.N_BUCKETS, T.N_LABELS), np.float32)
        self.u = np.zeros((F.N_BUCKETS, T.N_LABELS), np.float64)  # sum of c * update (for averaging)
        self.tr = np.zeros((T.N_LABELS, T.N_LABELS), np.float64)
        self.tr_u = np.zeros_like(self.tr)
        self.st = np.zeros(T.N_LABELS, np.float64)
        self.st_u = np.zeros_like(self.st)
        self.en = np.zeros(T.N_LABELS, np.float64)
        self.en_u = np.zeros_like(self.en)
        self.c = 1
        self._word_ids: dict[str, list[np.ndarray]] = {}
        self.fixed = None  # (w, tr, st, en) set by `ensemble`: used instead of this run's average

    def ids_of(self, word: str) -> list[np.ndarray]:
        got = self._word_ids.get(word)
        if got is None:
            got = [np.asarray(x, np.int64) for x in F.hashed(word, self.lex)]
            self._word_ids[word] = got
        return got

    def featurize(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Flat feature ids of every token and where each token's ids start."""
        padded = [F.BOS] * F.WINDOW + words + [F.EOS] * F.WINDOW
        per_tok = []
        for i in range(len(words)):
            for j, k in enumerate(F.OFFSETS):
                per_tok.append(self.ids_of(padded[i + F.WINDOW + k])[j])
        flat = np.concatenate(per_tok)
        counts = np.array([len(x) for x in per_tok]).reshape(len(words), len(F.OFFSETS)).sum(axis=1)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        return flat, starts

    def decode(self, flat, starts, w, tr, st, en) -> list[int]:
        e = np.add.reduceat(w[flat], starts, axis=0)
        return T.viterbi(e, tr, st, en)

    def featurize_domain(self, words: list[str], domain: int) -> tuple[np.ndarray, np.ndarray]:
        """Like `featurize`; for a sentence of another corpus (domain > 0) every feature also
        gets a copy private to that corpus (its id xor a per-corpus salt). Shared features learn
        what holds everywhere, the copies absorb the other corpus's own conventions; at run
        time only the shared features exist ("frustratingly easy" domain adaptation)."""
        flat, starts = self.featurize(words)
        if not domain:
            return flat, starts
        dup = flat ^ (zlib.crc32(f"dom{domain}".encode()) % F.N_BUCKETS)
        bounds = list(starts) + [len(flat)]
        parts, new_starts, pos = [], [], 0
        for i in range(len(starts)):
            a, b = bounds[i], bounds[i + 1]
            new_starts.append(pos)
            parts += [flat[a:b], dup[a:b]]
            pos += 2 * (b - a)
        return np.concatenate(parts), np.array(new_starts)

    def update(self, flat, starts, gold, pred, weight: float = 1.0) -> None:
        c = self.c
        bounds = list(starts) + [len(flat)]
        for i, (g, p) in enumerate(zip(gold, pred)):
            if g != p:
                ids = flat[bounds[i]:bounds[i + 1]]
                np.add.at(self.w, (ids, g), weight)
                np.add.at(self.w, (ids, p), -weight)
                np.add.at(self.u, (ids, g), c * weight)
                np.add.at(self.u, (ids, p), -c * weight)
        for seq, sign in ((gold, weight), (pred, -weight)):
            self.st[seq[0]] += sign
            self.st_u[seq[0]] += sign * c
            self.en[seq[-1]] += sign
            self.en_u[seq[-1]] += sign * c
            for a, b in zip(seq, seq[1:]):
                self.tr[a, b] += sign
                self.tr_u[a, b] += sign * c

    def averaged(self):
        if self.fixed is not None:
            return self.fixed
        c = self.c
        w = (self.w - self.u / c).astype(np.float32)
        return w, self.tr - self.tr_u / c, self.st - self.st_u / c, self.en - self.en_u / c

    def train(self, data, epochs: int, dev=None, log=print, seed: int = SEED, dropout: float = 0.0):
        """`dropout`: each feature occurrence is left out of a training step with this probability
        (fresh draw per sentence and epoch; the first feature of every token is always kept so
        no token is empty). It keeps the model from leaning on word identity alone."""
        # data: (words, labels) or (words, labels, domain, weight) for sentences of other corpora
        feats = [self.featurize_domain(d[0], d[2] if len(d) > 2 else 0) for d in data]
        weights = [d[3] if len(d) > 3 else 1.0 for d in data]
        rng = np.random.default_rng(seed)
        drop_rng = np.random.default_rng(seed + 7)
        order = np.arange(len(data))
        for ep in range(epochs):
            rng.shuffle(order)
            errors = 0
            t0 = time.time()
            for k in order:
                flat, starts = feats[k]
                if dropout:
                    keep = drop_rng.random(len(flat)) >= dropout
                    keep[starts] = True
                    idx = np.flatnonzero(keep)
                    flat, starts = flat[idx], np.searchsorted(idx, starts)
                gold = data[k][1]
                pred = self.decode(flat, starts, self.w, self.tr, self.st, self.en)
                if pred != gold:
                    errors += 1
                    self.update(flat, starts, gold, pred, weights[k])
                self.c += 1
            msg = f"[{self.lang} seed {seed}] epoch {ep + 1}: {errors}/{len(data)} sentences wrong, {time.time() - t0:.1f}s"
            if dev and ((ep + 1) % 5 == 0 or ep + 1 == epochs):
                msg += f", dev F1 (PER/LOC/ORG) {self.score(dev)['micro3']['f1']:.4f}"
            log(msg)

    def score(self, dev, model: T.TaggerModel | None = None) -> dict:
        if model is None:
            w, tr, st, en = self.averaged()
        gold_spans, pred_spans = [], []
        for n, (words, gold) in enumerate(dev):
            if model is None:
                flat, starts = self.featurize(words)
                pred = self.decode(flat, starts, w, tr, st, en)
            else:
                pred = model.decode(words)[0].tolist()
            gold_spans += [(n, a, b, t) for a, b, t in T.spans_from_labels(gold)]
            pred_spans += [(n, a, b, t) for a, b, t in T.spans_from_labels(pred)]
        return prf(gold_spans, pred_spans)

    def temperature(self, dev) -> float:
        """Softmax temperature for span scores: the one (on a fixed grid) that gives the gold
        labels of the dev tokens the highest likelihood, so scores behave like probabilities."""
        w, _, _, _ = self.averaged()
        es, gold = [], []
        for words, labels in dev:
            flat, starts = self.featurize(words)
            es.append(np.add.reduceat(w[flat], starts, axis=0))
            gold += labels
        e = np.vstack(es).astype(np.float64)
        gold = np.asarray(gold)
        best = None
        # Below 1 for the mixed model: its weights are scaled to an emission spread of about 1.
        for temp in (0.2, 0.3, 0.4, 0.5, 0.7, 1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200):
            z = e / temp
            z -= z.max(axis=1, keepdims=True)
            logp = z[np.arange(len(gold)), gold] - np.log(np.exp(z).sum(axis=1))
            nll = -logp.mean()
            if best is None or nll < best[0]:
                best = (nll, temp)
        return float(best[1])

    def export(self, path: Path, temperature: float = 1.0, min_abs: float = 1e-3) -> T.TaggerModel:
        w, tr, st, en = self.averaged()
        keep = np.flatnonzero(np.abs(w).max(axis=1) >= min_abs)
        # float16 halves the file; scores change in the 4th digit (dev is re-scored on the export).
        rows, weights = keep.astype(np.int32), w[keep].astype(np.float16)
        save_npz(path, rows=rows, weights=weights, trans=tr.astype(np.float32),
                            start=st.astype(np.float32), end=en.astype(np.float32),
                            temperature=np.float32(temperature), gazetteer=np.bool_(self.gazetteer))
        return T.TaggerModel(self.lang, rows, weights.astype(np.float32), tr, st, en, temperature, self.lex)


def ensemble(lang: str, train, dev, epochs: int, seeds: int, gazetteer: bool = True,
             dropout: float = 0.0) -> Trainer:
    """Train `seeds` perceptrons that differ only in the shuffle order and average their averaged
    weights. On ar_dev single runs differ by up to 1.5 points F1 with the seed alone; the mean
    model is steadier and scored at or above the best single run (docs/tagger.md)."""
    total = None
    for k in range(seeds):
        trainer = Trainer(lang, gazetteer=gazetteer)
        trainer.train(train, epochs, dev=dev, seed=SEED + k, dropout=dropout)
        avg = trainer.averaged()
        total = list(avg) if total is None else [a + b for a, b in zip(total, avg)]
        if k + 1 < seeds:
            del trainer  # the running sums of one trainer take ~110 MB
    trainer.fixed = tuple(x / seeds for x in total)
    if seeds > 1 and dev:
        print(f"[{lang}] ensemble of {seeds}: dev F1 (PER/LOC/ORG) {trainer.score(dev)['micro3']['f1']:.4f}")
    return trainer


def crf_train(lang: str, train, dev, c1: float, c2: float, iterations: int, gazetteer: bool = True,
              log=print, workdir: Path | None = None) -> Trainer:
    """A linear-chain CRF (python-crfsuite, L-BFGS with L1 `c1` and L2 `c2`) over exactly the
    hashed features the run-time tagger computes. Attributes are the hashed ids themselves, so the
    learned state weights drop straight into the same (bucket x label) matrix and the run-time
    decoder (cached per-word-type emissions, Viterbi) is unchanged. crfsuite is needed only here,
    not at run time. Sentences of another corpus (domain > 0) also get corpus-private copies of
    their features, as with the perceptron; crfsuite has no instance weights, so they count fully.
    Deterministic: L-BFGS over a fixed data order."""
    import tempfile

    import pycrfsuite

    base = Trainer(lang, gazetteer=gazetteer)
    crf = pycrfsuite.Trainer(verbose=False)
    for d in train:
        words, labels = d[0], d[1]
        domain = d[2] if len(d) > 2 else 0
        flat, starts = base.featurize(words)
        toks = np.split(flat, starts[1:])
        if domain:
            xseq = [[str(i) for i in t] + [f"d{domain}:{i}" for i in t] for t in toks]
        else:
            xseq = [[str(i) for i in t] for t in toks]
        crf.append(xseq, [T.LABELS[x] for x in labels])
    crf.set_params({"c1": c1, "c2": c2, "max_iterations": iterations,
                    "feature.possible_transitions": True})
    t0 = time.time()
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        path = str(Path(tmp) / "crf.model")
        crf.train(path)
        last = crf.logparser.last_iteration or {}
        tagger = pycrfsuite.Tagger()
        tagger.open(path)
        info = tagger.info()
        tagger.close()
    log(f"[{lang} crf c1={c1} c2={c2}] {last.get('num', '?')} iterations, loss {last.get('loss', 0):.1f}, "
        f"{info.header.get('num_features', '?')} features, {time.time() - t0:.1f}s")
    lab = {name: k for k, name in enumerate(T.LABELS)}
    w = np.zeros((F.N_BUCKETS, T.N_LABELS), np.float32)
    for (attr, label), value in info.state_features.items():
        if attr.isdigit():  # corpus-private copies ("d1:...") are never produced at run time
            w[int(attr), lab[label]] = value
    tr = np.zeros((T.N_LABELS, T.N_LABELS), np.float64)
    for (a, b), value in info.transitions.items():
        tr[lab[a], lab[b]] = value
    # crfsuite has no start/end scores: the window features of <s> and </s> play that part.
    zero = np.zeros(T.N_LABELS)
    base.w = base.u = None  # the perceptron's running sums are not needed
    base.fixed = (w, tr, zero, zero.copy())
    if dev:
        log(f"[{lang} crf] dev F1 (PER/LOC/ORG) {base.score(dev)['micro3']['f1']:.4f}")
    return base


def emission_scale(trainer: Trainer, sents) -> float:
    """Spread of a model's emission scores (std around each token's mean over labels) on some
    training sentences: puts a perceptron and a CRF on a common scale before mixing them."""
    w = trainer.averaged()[0]
    es = []
    for d in sents:
        flat, starts = trainer.featurize(d[0])
        es.append(np.add.reduceat(w[flat], starts, axis=0))
    e = np.vstack(es).astype(np.float64)
    return float((e - e.mean(axis=1, keepdims=True)).std())


def mix(models: list[Trainer], alphas: list[float], sents, log=print) -> Trainer:
    """One linear model from several trained on the same hashed features: each model's weights
    and transitions divided by its emission scale (on `sents`), then a weighted sum. The result
    scores like the weighted mean of the models' (scaled) path scores, an ensemble that costs
    nothing extra at run time: the shipped model has the same shape as either."""
    scales = [emission_scale(m, sents) for m in models]
    log(f"mix: scales {[round(x, 3) for x in scales]}, weights {alphas}")
    parts = [m.averaged() for m in models]
    out = [sum(a / s * np.asarray(p[k], np.float64 if k else np.float32) for a, s, p in zip(alphas, scales, parts))
           for k in range(4)]
    out[0] = out[0].astype(np.float32)
    models[0].fixed = tuple(out)
    return models[0]


def save_npz(path: Path, **arrays) -> None:
    """Like numpy.savez_compressed, but with fixed zip timestamps so a rebuild is bit-identical."""
    import io
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())


def prf(gold: list, pred: list) -> dict:
    out = {}
    gs, ps = set(gold), set(pred)
    for name, types in [(t, {t}) for t in T.TYPES] + [("micro3", {"PERSON", "LOC", "ORG"})]:
        g = {x for x in gs if x[3] in types}
        p = {x for x in ps if x[3] in types}
        tp = len(g & p)
        prec = tp / len(p) if p else 0.0
        rec = tp / len(g) if g else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[name] = {"p": round(prec, 4), "r": round(rec, 4), "f1": round(f1, 4), "gold": len(g), "pred": len(p)}
    return out


def build_clusters(lang: str, sentences: list[list[str]], out: Path, min_count: int = 3,
                   n_context: int = 600, dims: int = 60, ks=(8, 16, 32, 64, 128, 256, 512)) -> dict:
    """Word clusters from unlabeled tokens: PPMI of left/right neighbour stems -> SVD -> k-means
    at several granularities. Stored as crc32(stem) -> cluster ids (no readable word list is
    shipped). Deterministic (fixed seed)."""
    from collections import Counter

    stems = [[_stem(w) for w in sent] for sent in sentences]
    freq = Counter(w for sent in stems for w in sent)
    vocab = [w for w, c in sorted(freq.items(), key=lambda x: (-x[1], x[0])) if c >= min_count]
    vid = {w: i for i, w in enumerate(vocab)}
    ctx = {w: i for i, w in enumerate(vocab[:n_context])}
    counts = np.zeros((len(vocab), 2 * n_context), np.float64)
    for sent in stems:
        for i, w in enumerate(sent):
            row = vid.get(w)
            if row is None:
                continue
            if i > 0 and sent[i - 1] in ctx:
                counts[row, ctx[sent[i - 1]]] += 1
            if i + 1 < len(sent) and sent[i + 1] in ctx:
                counts[row, n_context + ctx[sent[i + 1]]] += 1
    total = counts.sum()
    pw = counts.sum(axis=1, keepdims=True) / total
    pc = counts.sum(axis=0, keepdims=True) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log((counts / total) / (pw * pc))
    ppmi = np.nan_to_num(np.maximum(pmi, 0.0), posinf=0.0)
    u, sv, _ = np.linalg.svd(ppmi, full_matrices=False)
    vec = u[:, :dims] * sv[:dims]
    vec /= np.linalg.norm(vec, axis=1, keepdims=True) + 1e-9
    rng = np.random.default_rng(SEED)
    ids = np.zeros((len(vocab), len(ks)), np.uint16)
    for j, k in enumerate(ks):
        cent = vec[rng.choice(len(vocab), k, replace=False)]
        for _ in range(25):
            assign = (vec @ cent.T).argmax(axis=1)
            for c in range(k):
                members = vec[assign == c]
                if len(members):
                    m = members.mean(axis=0)
                    cent[c] = m / (np.linalg.norm(m) + 1e-9)
        ids[:, j] = assign
    keys = np.array([zlib_crc(w) for w in vocab], np.uint32)
    save_npz(out, keys=keys, ids=ids)
    return {"words": len(vocab), "ks": list(ks), "dims": dims, "min_count": min_count}


def zlib_crc(word: str) -> int:
    import zlib

    return zlib.crc32(word.encode())


def _stem(word: str) -> str:
    low = word.lower()
    return F.strip_proclitics(low)[2] if F._AR_LETTERS.match(low) else low


SPLITS = {
    # lang: (main file, train fraction; the rest, by file order, is dev)
    "ar": ("ner/ar_anercorp_train.jsonl", 0.9),
    "fa": ("ner/fa_parstwiner.jsonl", 0.8),
    "en": ("ner/en_wikigold.jsonl", 0.9),
}
EXTRA = {"aqmar": "ner/ar_aqmar.jsonl", "wojood": "ner/ar_wojood_sample.jsonl"}


def split(sents: list, frac: float) -> tuple[list, list]:
    cut = int(round(len(sents) * frac))
    return sents[:cut], sents[cut:]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--langs", default="ar,fa,en")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--dropout", type=float, default=0.3, help="feature dropout while training")
    ap.add_argument("--seeds", type=int, default=3, help="train this many perceptrons (shuffle seeds "
                    "SEED, SEED+1, ...) and ship the mean of their averaged weights")
    ap.add_argument("--extra-ar", default="aqmar", help="comma list of extra Arabic training corpora "
                    "(aqmar,wojood; '' for none), each with its own feature copies")
    ap.add_argument("--extra-weight", type=float, default=0.5, help="update weight of extra-corpus sentences")
    ap.add_argument("--learner", choices=("mix", "crf", "perceptron"), default="mix",
                    help="crf: linear-chain CRF with L-BFGS (python-crfsuite, training only); "
                    "perceptron: the averaged perceptron of rounds 1-2 (--epochs/--seeds/--dropout); "
                    "mix: both, shipped as one scaled weighted sum (--mix-crf)")
    ap.add_argument("--mix-crf", type=float, default=0.7, help="weight of the CRF in --learner mix")
    ap.add_argument("--c1", type=float, default=0.01, help="CRF L1 penalty")
    ap.add_argument("--c2", type=float, default=0.01, help="CRF L2 penalty")
    ap.add_argument("--iterations", type=int, default=150, help="CRF L-BFGS iterations (at most)")
    ap.add_argument("--out", default=str(F.MODELS_DIR))
    ap.add_argument("--no-gazetteer", action="store_true", help="no KB word-membership features")
    ap.add_argument("--clusters", default="", help="comma list of languages to (re)build word clusters "
                    "for first, from the raw tokens of their training part (+ --cluster-extra-ar)")
    ap.add_argument("--cluster-extra-ar", default="aqmar", help="extra Arabic raw text for clusters")
    args = ap.parse_args(argv)
    root = data_dir()
    if not (root / "ner").is_dir():
        print(f"training data not found under {root}/ner (set NEWS_ENRICHER_DEV_DATA); nothing done")
        return 2
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / "tagger_manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.exists() else {"models": {}}
    manifest["command"] = "python tools/train_tagger.py " + " ".join(argv if argv is not None else sys.argv[1:])
    manifest["seed"] = SEED
    manifest["feature_files"] = {
        str(p.relative_to(REPO)): sha256(p)
        for p in sorted(list(F.MODELS_DIR.glob("*.json")) + list(F.MODELS_DIR.glob("clusters_*.npz"))
                        + (sorted(list(F.KB_DIR.glob("*.json*")) + list(F.KB_DIR.glob("*.tsv")) + list(F.KB_DIR.glob("*.txt"))) if F.KB_DIR.is_dir() else []))
        # the KB's triggers.json feeds the patterns, not the features (features.py skips it)
        if p.name != "tagger_manifest.json" and not (p.parent == F.KB_DIR and p.stem == "triggers")
    }
    for lang in [x for x in args.clusters.split(",") if x]:
        rel, frac = SPLITS[lang]
        train_raw, _ = split(read_corpus(root / rel), frac)
        files = {rel: sha256(root / rel)}
        if lang == "ar":
            for name in [x for x in args.cluster_extra_ar.split(",") if x]:
                train_raw += read_corpus(root / EXTRA[name])
                files[EXTRA[name]] = sha256(root / EXTRA[name])
        sents = [retokenize(t, ["O"] * len(t))[0] for t, _ in train_raw]
        info = build_clusters(lang, sents, F.MODELS_DIR / f"clusters_{lang}.npz")
        info["files"] = files
        manifest.setdefault("clusters", {})[lang] = info
        print(f"[{lang}] clusters: {info}")
        F.lexicon_for.cache_clear()
    for lang in [x for x in args.langs.split(",") if x]:
        rel, frac = SPLITS[lang]
        sents = read_corpus(root / rel)
        train_raw, dev_raw = split(sents, frac)
        files = {rel: sha256(root / rel)}
        train = [retokenize(t, g) for t, g in train_raw]
        train = [(w, repair_bio(lab)) for w, lab in train if w]
        if lang == "ar":
            # Other corpora: PER/LOC/ORG only (their MISC means something else), with features
            # private to each corpus and a lower weight (see Trainer.featurize_domain).
            for domain, name in enumerate([x for x in args.extra_ar.split(",") if x], start=1):
                files[EXTRA[name]] = sha256(root / EXTRA[name])
                for t, g in read_corpus(root / EXTRA[name]):
                    w, lab = retokenize(t, g)
                    if w:
                        lab = repair_bio([0 if T.LABELS[x].endswith("MISC") else x for x in lab])
                        train.append((w, lab, domain, args.extra_weight))
        dev = [retokenize(t, g) for t, g in dev_raw]
        dev = [(w, repair_bio(lab)) for w, lab in dev if w]
        t0 = time.time()
        gaz = not args.no_gazetteer
        if args.learner == "crf":
            trainer = crf_train(lang, train, dev, args.c1, args.c2, args.iterations, gazetteer=gaz)
        elif args.learner == "perceptron":
            trainer = ensemble(lang, train, dev, args.epochs, args.seeds, gazetteer=gaz, dropout=args.dropout)
        else:
            perc = ensemble(lang, train, dev, args.epochs, args.seeds, gazetteer=gaz, dropout=args.dropout)
            crf = crf_train(lang, train, dev, args.c1, args.c2, args.iterations, gazetteer=gaz)
            # Scales from the first 300 training sentences of the main corpus (not the dev slice).
            trainer = mix([perc, crf], [1 - args.mix_crf, args.mix_crf], train[:300])
            if dev:
                print(f"[{lang}] mix: dev F1 (PER/LOC/ORG) {trainer.score(dev)['micro3']['f1']:.4f}")
        seconds = time.time() - t0
        path = out_dir / T.MODEL_FILE.format(lang=lang)
        temp = trainer.temperature(dev)
        exported = trainer.export(path, temp)
        scores = trainer.score(dev, exported)
        print(f"[{lang}] exported {path.name}: {path.stat().st_size / 1e6:.2f} MB, "
              f"{len(exported.rows)} feature rows; dev (exported model, retokenized) {json.dumps(scores)}")
        manifest["models"][lang] = {
            "file": path.name,
            "sha256": sha256(path),
            "training_files": files,
            "split": f"first {frac:.0%} of {rel} by file order = train ({sum(len(x) == 2 for x in train)} sentences), "
                     f"rest = dev ({len(dev)} sentences)",
            "command": manifest["command"],
            "learner": args.learner,
            "crf": {"c1": args.c1, "c2": args.c2, "max_iterations": args.iterations,
                    "trainer": "python-crfsuite L-BFGS"} if args.learner != "perceptron" else None,
            "mix_crf_weight": args.mix_crf if args.learner == "mix" else None,
            "epochs": args.epochs,
            "seeds": [SEED + k for k in range(args.seeds)],
            "feature_dropout": args.dropout,
            "extra_training": {"corpora": [x for x in args.extra_ar.split(",") if x] if lang == "ar" else [],
                               "weight": args.extra_weight, "labels": "PER/LOC/ORG only (MISC -> O)",
                               "domain_features": True},
            "score_temperature": temp,
            "kb_features": not args.no_gazetteer,
            "train_seconds": round(seconds, 1),
            "dev_scores_token_level": scores,
        }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"wrote {manifest_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
