"""Token features for the statistical sequence tagger (see docs/tagger.md).

Every feature here depends on ONE word only (its form, normalized and proclitic-stripped forms,
affixes, shape, cue-word and gazetteer membership, word cluster).  Context comes from using the
same word features at relative offsets -2..+2, so a word's contribution to the label scores of
its neighbours can be computed once per word type and cached: that is what keeps tagging fast.

Tokens come from `TOKEN_RE` over `doc.norm` (already normalized: no diacritics, one alef, ...),
both when training and when tagging, so training and run time see the same tokens.
"""

from __future__ import annotations

import json
import re
import zlib
from functools import lru_cache
from itertools import groupby
from pathlib import Path

from ..text.normalize import normalize_key

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MODELS_DIR = DATA_DIR / "models"
KB_DIR = DATA_DIR / "kb"

# A word: letters/digits, optionally joined by apostrophes or hyphens (bounded), or one symbol.
TOKEN_RE = re.compile(r"\w+(?:['\-]\w+){0,4}|[^\w\s]")

# Offsets whose word features are used to tag a token (the window is -WINDOW..+WINDOW).
WINDOW = 2
OFFSETS = tuple(range(-WINDOW, WINDOW + 1))
# Hash space for feature strings (crc32 modulo this): 2**20 keeps collisions rare for ~10^6 features.
N_BUCKETS = 1 << 20

BOS, EOS = "<s>", "</s>"

# Arabic proclitics: conjunction (و ف) then preposition (ب ل ك) then the article ال.
# Kept small and explicit; "لل" is ل + ال with the alef dropped (للأمم = ل + الأمم).
_AR_CONJ = ("و", "ف")
_AR_PREP = ("ب", "ل", "ك")
_AR_LETTERS = re.compile(r"[\u0621-\u064a\u066e-\u06d3\u06fa-\u06ff]")
# First letters of a word that strip_proclitics may split (conjunction, preposition, لل, ال);
# a word starting with any other letter has no proclitic (checked first: most words).
_CLITIC_FIRST = frozenset("وفبلكا")
# Letters `_alt_features` may cut off the front of a word.
_ALT_FIRST = frozenset("وفبلك")


def strip_proclitics(w: str) -> tuple[str, str, str]:
    """(clitics, stem with article, bare stem) of a normalized Arabic-script word.

    `والرئيس` -> ("وال", "الرئيس", "رئيس"); `للامم` -> ("لل", "الامم", "امم").
    Leaves words of 3 letters or fewer alone (too ambiguous to split).
    """
    if w[:1] not in _CLITIC_FIRST:
        return "", w, w
    clit = ""
    rest = w
    if len(rest) > 3 and rest[0] in _AR_CONJ:
        clit, rest = rest[0], rest[1:]
    if len(rest) > 3 and rest.startswith("لل"):
        return clit + "لل", "ال" + rest[2:], rest[2:]
    if len(rest) > 3 and rest[0] in _AR_PREP:
        # Only strip a preposition when what follows is the article (ب + ال...) or the word is long:
        # short words starting with ب/ل/ك are often just words (بلد, لبنان).
        if rest[1:3] == "ال":
            clit, rest = clit + rest[0], rest[1:]
    with_article = rest
    if len(rest) > 3 and rest.startswith("ال"):
        clit, rest = clit + "ال", rest[2:]
    return clit, with_article, rest


def _char_class(ch: str) -> str:
    if ch.isdigit():
        return "d"
    if ch.isalpha():
        return "X" if ch.isupper() else ("x" if ch.isascii() else ("a" if _AR_LETTERS.match(ch) else "o"))
    return "p"


class _ShapeTable(dict):
    """Code point -> shape class for str.translate, filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        c = self[code] = _char_class(chr(code))
        return c


_SHAPE_TABLE = _ShapeTable()


def shape(w: str) -> str:
    """Coarse word shape: X/x for Latin case, a for Arabic-script letters, d digits, p other.
    Runs of one class collapse to one letter (`الرياض` -> "a", `G20` -> "Xd")."""
    # bounded: shapes of longer words agree on their first 12 characters
    s = w[:12].translate(_SHAPE_TABLE)
    if s.count(s[:1]) == len(s):  # one class (most words): no runs to collapse
        return s[:1]
    return "".join(c for c, _ in groupby(s))


def _len_bucket(n: int) -> str:
    return str(n) if n < 6 else ("6-8" if n <= 8 else "9+")


class Lexicon:
    """Word lists used as features: cue words (data file) and gazetteer words (KB files)."""

    def __init__(self, lang: str, triggers: dict[str, list[str]], gazetteer: dict[str, set[str]],
                 clusters: dict[int, tuple[int, ...]], names: frozenset[str] = frozenset(),
                 common: frozenset[str] = frozenset()):
        self.lang = lang
        self.names = names  # normalized given names (KB given_names.txt)
        self.common = common  # ordinary words that are also place names (KB common_words.txt)
        self.triggers: dict[str, list[str]] = {}
        for cls, words in triggers.items():
            if cls.startswith("_"):
                continue
            for word in words:
                key = normalize_key(word)
                self.triggers.setdefault(key, []).append(cls)
        self.gazetteer = gazetteer  # normalized word -> set of "PERSON:B", "LOC:I", ... tags
        self.clusters = clusters  # crc32 of the bare stem -> cluster ids


def load_triggers(lang: str) -> dict[str, list[str]]:
    path = MODELS_DIR / "triggers.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text("utf-8")).get(lang, {})


def kb_word_list(name: str) -> frozenset[str]:
    """A one-name-per-line KB list (given_names.txt, common_words.txt), normalized; empty if absent."""
    path = KB_DIR / name
    if not path.exists():
        return frozenset()
    lines = path.read_text("utf-8").splitlines()
    return frozenset(normalize_key(x.strip()) for x in lines if x.strip() and not x.startswith("#"))


@lru_cache(maxsize=2)
def gazetteer_words(lang_codes: tuple[str, ...] = ("ar", "fa", "en")) -> dict[str, set[str]]:
    """Word-level membership in knowledge-base names: word -> {"PERSON:B", "ORG:I", ...}.

    Reads whatever KB files exist (people.jsonl, orgs.jsonl and any other *.jsonl/*.json with
    name/aliases records). Missing files simply give no features, so the tagger still runs.
    """
    out: dict[str, set[str]] = {}
    if not KB_DIR.is_dir():
        return out
    for path in sorted(KB_DIR.iterdir()):
        if path.suffix == ".tsv":
            for etype, name in _tsv_names(path):
                words = normalize_key(name).split()
                for i, word in enumerate(words):
                    out.setdefault(word, set()).add(f"{etype}:{'B' if i == 0 else 'I'}")
            continue
        if path.suffix not in (".jsonl", ".json") or path.stem == "triggers":
            continue
        try:
            records = _read_records(path)
        except (ValueError, OSError):
            continue
        for rec in records:
            if not isinstance(rec, dict):
                continue
            etype = _record_type(rec, path.stem)
            if etype is None:
                continue
            for name in _record_names(rec, lang_codes):
                words = normalize_key(name).split()
                for i, word in enumerate(words):
                    out.setdefault(word, set()).add(f"{etype}:{'B' if i == 0 else 'I'}")
    return out


def _tsv_names(path: Path):
    """Names in the KB's TSV files: cities and city/country aliases (LOC), demonyms (DEM)."""
    stem = path.stem
    for line in path.read_text("utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        cols = line.split("\t")
        if stem == "cities" and len(cols) >= 4:
            yield "LOC", cols[3]
            for col in cols[4:6]:
                for name in col.split("|"):
                    if name:
                        yield "LOC", name
        elif stem == "country_aliases" and len(cols) >= 3:
            yield "LOC", cols[2]
        elif stem == "city_aliases" and len(cols) >= 2 and cols[1] != "-":
            yield "LOC", cols[1]
        elif stem == "demonyms" and len(cols) >= 3:
            yield "DEM", cols[2]


def _read_records(path: Path) -> list:
    text = path.read_text("utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    data = json.loads(text)
    if isinstance(data, dict):
        # {"records": [...]} or {"key": record, ...}
        for key in ("records", "entries", "items", "countries", "cities"):
            if isinstance(data.get(key), list):
                return data[key]
        return [v for v in data.values() if isinstance(v, dict)]
    return data if isinstance(data, list) else []


_TYPE_BY_FILE = {"people": "PERSON", "orgs": "ORG", "countries": "LOC", "cities": "LOC",
                 "regions": "LOC", "places": "LOC", "territories": "LOC"}


def _record_type(rec: dict, stem: str) -> str | None:
    t = str(rec.get("type") or "").upper()
    if t in ("PERSON", "ORG", "LOC"):
        return t
    if t in ("COUNTRY", "CITY", "REGION", "TERRITORY", "GPE", "PLACE"):
        return "LOC"
    for key, value in _TYPE_BY_FILE.items():
        if key in stem:
            return value
    return None  # demonyms, agencies of unknown type, ...: no feature


def _record_names(rec: dict, langs: tuple[str, ...]):
    for field in ("name", "names", "aliases"):
        value = rec.get(field)
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, str))
        elif isinstance(value, dict):
            for lang, v in value.items():
                if lang not in langs:
                    continue
                if isinstance(v, str):
                    yield v
                elif isinstance(v, list):
                    yield from (x for x in v if isinstance(x, str))


def load_clusters(lang: str) -> dict[int, tuple[int, ...]]:
    """crc32(bare stem) -> cluster ids at a few granularities (built by tools/train_tagger.py)."""
    path = MODELS_DIR / f"clusters_{lang}.npz"
    if not path.exists():
        return {}
    import numpy as np

    with np.load(path) as z:
        return dict(zip(z["keys"].tolist(), map(tuple, z["ids"].tolist())))


@lru_cache(maxsize=8)
def lexicon_for(lang: str, gazetteer: bool = True) -> Lexicon:
    """Feature word lists for `lang`; a model trained without KB features must run without them."""
    if not gazetteer:
        return Lexicon(lang, load_triggers(lang), {}, load_clusters(lang))
    return Lexicon(lang, load_triggers(lang), gazetteer_words(), load_clusters(lang),
                   kb_word_list("given_names.txt"), kb_word_list("common_words.txt"))


def word_features(word: str, lex: Lexicon) -> dict[int, list[str]]:
    """Feature strings of one word, per relative offset (0 = the word being tagged)."""
    f0, f1, common = feature_parts(word, lex)
    feats = {0: f0 + common}
    for k in (-1, 1):
        feats[k] = f1 + common
    for k in (-2, 2):
        feats[k] = common
    return feats


def feature_parts(word: str, lex: Lexicon) -> tuple[list[str], list[str], list[str]]:
    """The features of `word` in three parts: (only at offset 0, only at offsets -1 and +1, at
    every offset).  Offset 0 sees part 1 + part 3, offsets +-1 part 2 + part 3, +-2 part 3."""
    if word in (BOS, EOS):
        return [], [], ["w=" + word]
    low = word.lower()
    arabic = bool(_AR_LETTERS.match(word))
    if arabic:
        clit, with_art, stem = strip_proclitics(low)
    else:
        clit, with_art, stem = "", low, low
    tg = lex.triggers.get
    if clit:
        t1, t2, t3 = tg(low), tg(with_art), tg(stem)
        gaz = lex.gazetteer.get(low) or lex.gazetteer.get(with_art) or lex.gazetteer.get(stem) or ()
        given = low in lex.names or with_art in lex.names or stem in lex.names
        ordinary = low in lex.common or with_art in lex.common
    else:  # no proclitic (most words): the three forms are one, look it up once
        t1 = t2 = t3 = tg(low)
        gaz = lex.gazetteer.get(low) or ()
        given = low in lex.names
        ordinary = low in lex.common
    cluster = lex.clusters.get(zlib.crc32(stem.encode())) if lex.clusters else None

    common = ["st=" + stem, "sh=" + shape(word)]
    if t1 or t2 or t3:  # most words are no cue word
        common += ["tr=" + t for t in sorted(set(t1 or ()) | set(t2 or ()) | set(t3 or ()))]
    if lex.names and given:
        common.append("gn")  # a known given name: helps people whose names are not in the KB
    if ordinary:
        common.append("cw")
    alt_cluster = False
    # (_alt_features finds nothing in a word of 3 letters or fewer or with no proclitic letter first)
    if arabic and not (gaz and cluster) and len(low) > 3 and low[0] in _ALT_FIRST:
        # An unknown word may carry a proclitic the conservative stripper kept (بافغانستان,
        # لسلتيك, وبغداد): borrow the KB and cluster features of the rest when it is known.
        alt = _alt_features(low, lex, bool(gaz), bool(cluster))
        if alt:
            common += alt
            alt_cluster = any(f.startswith("c0=") for f in alt)
    if gaz:
        common += ["gz=" + g for g in sorted(gaz)]
    if cluster:
        common += _cluster_features(cluster)
    elif not alt_cluster:
        common.append("c=none")

    f0 = ["b", "w=" + low, "wa=" + with_art, "cl=" + clit, "len=" + _len_bucket(len(stem)),
          "p1=" + stem[:1], "p2=" + stem[:2], "p3=" + stem[:3],
          "s1=" + stem[-1:], "s2=" + stem[-2:], "s3=" + stem[-3:],
          "wp2=" + low[:2], "ws1=" + low[-1:], "ws2=" + low[-2:]]
    f1 = ["w=" + low, "s2=" + stem[-2:], "cl=" + clit]
    if not arabic and word[:1].isupper():
        f0.append("cap")
        f1.append("cap")
    return f0, f1, common


def _alt_features(low: str, lex: Lexicon, has_gaz: bool, has_cluster: bool) -> list[str]:
    """Features of `low` minus one or two leading proclitic letters (و ف ب ل ك), when that rest
    is a KB word or has a word cluster; [] otherwise."""
    for cut in (1, 2):
        if len(low) - cut < 3 or low[:cut].strip("وفبلك"):  # not only proclitic letters
            break
        rest = low[cut:]
        _, with_art, stem = strip_proclitics(rest)
        cluster = lex.clusters.get(zlib.crc32(stem.encode())) if lex.clusters else None
        gaz = lex.gazetteer.get(rest) or lex.gazetteer.get(with_art) or lex.gazetteer.get(stem) or ()
        if cluster is None and not gaz:
            continue
        out = ["alt", "ast=" + stem]
        if not has_gaz:
            out += ["gz=" + g for g in sorted(gaz)]
        if cluster is not None and not has_cluster:
            out += _cluster_features(cluster)
        return out
    return []


# Cluster ids -> their feature strings (one entry per distinct cluster path of the model: few).
_CLUSTER_FEATURES: dict[tuple[int, ...], list[str]] = {}


def _cluster_features(cluster: tuple[int, ...]) -> list[str]:
    feats = _CLUSTER_FEATURES.get(cluster)
    if feats is None:
        feats = _CLUSTER_FEATURES[cluster] = [f"c{j}={c}" for j, c in enumerate(cluster)]
    return feats


def hashed(word: str, lex: Lexicon) -> list[list[int]]:
    """Hashed feature ids of one word for each offset in OFFSETS (deterministic: crc32)."""
    feats = word_features(word, lex)
    out = []
    for k in OFFSETS:
        prefix = f"{k}|"
        out.append([zlib.crc32((prefix + f).encode()) % N_BUCKETS for f in feats[k]])
    return out


# crc32 of each offset's prefix "k|": crc32(prefix + f) == crc32(f, crc32(prefix)), so a feature
# string is encoded once and hashed for all offsets without building the five prefixed strings.
_PREFIX_CRC = tuple(zlib.crc32(f"{k}|".encode()) for k in OFFSETS)
assert len(_PREFIX_CRC) == 5 and N_BUCKETS & (N_BUCKETS - 1) == 0  # feature_ids below relies on both


def feature_ids(feature: str, _crc=zlib.crc32, _mask=N_BUCKETS - 1, _p=_PREFIX_CRC) -> tuple[int, ...]:
    """The hashed ids of one feature string at each offset of OFFSETS (the ids `hashed` gives;
    crc32 is never negative and N_BUCKETS a power of two, so `& mask` is `% N_BUCKETS`)."""
    b = feature.encode()
    return (_crc(b, _p[0]) & _mask, _crc(b, _p[1]) & _mask, _crc(b, _p[2]) & _mask,
            _crc(b, _p[3]) & _mask, _crc(b, _p[4]) & _mask)


def feature_id(feature: str, j: int, _crc=zlib.crc32, _mask=N_BUCKETS - 1, _p=_PREFIX_CRC) -> int:
    """`feature_ids(feature)[j]` alone: the hashed id at offset OFFSETS[j]."""
    return _crc(feature.encode(), _p[j]) & _mask
