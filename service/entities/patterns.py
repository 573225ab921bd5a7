"""Trigger patterns: names that are not in the knowledge base, found from the words around them.

`وزير الخارجية الروسي سيرغي لافروف`: a title (person_titles), then words that qualify the title
(modifiers, or places and demonyms the gazetteer already found), then the name: up to three
words (four with عبد/أبو/بن) that are not stop words (verbs, prepositions, time words), not
digits, not punctuation-separated, and (Latin script) capitalized. The first name word may not
carry the Arabic article: `الرئيس الفرنسي` is a title, not a name.
ORG heads (`وزارة`, `حركة`, `Ministry of`) start an organization that continues over definite
words and known places: `وزارة الخارجية الإيرانية`.
All word lists live in service/data/kb/triggers.json.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from .kb import KB_DIR, match_key

_WORD = re.compile(r"\w+")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_NAME_LINKERS = {"عبد", "ابو", "بن", "ابن", "ام", "بنت", "آل", "ال", "abu", "bin", "ibn", "al", "el", "van", "von", "de"}
_MAX_NAME = 3
_MAX_SKIPS = 4


@dataclass(slots=True)
class PatternHit:
    start: int
    end: int
    type: str
    role: str | None = None  # normalized title words that introduced the name
    role_span: tuple | None = None  # (start, end) of the title in norm
    name_start: int | None = None  # where the name proper starts (after a و/ف proclitic)


class Triggers:
    def __init__(self, data: dict) -> None:
        def keys(section):
            out = set()
            for words in data.get(section, {}).values():
                out.update(match_key(w) for w in words)
            out.discard("")
            return out

        def by_first(phrases):
            table: dict[str, list[tuple[str, ...]]] = {}
            for p in phrases:
                toks = tuple(p.split())
                table.setdefault(toks[0], []).append(toks)
            for v in table.values():
                v.sort(key=len, reverse=True)  # longest title first
            return table

        self.titles = by_first(keys("person_titles"))
        self.org_heads = by_first(keys("org_heads"))
        self.modifiers = keys("modifiers")
        self.stop = keys("stop_words")


@lru_cache(maxsize=1)
def default_triggers() -> Triggers:
    return Triggers(json.loads((KB_DIR / "triggers.json").read_text(encoding="utf-8")))


def tokenize(doc) -> list[tuple[int, int, str]]:
    """Words of doc.norm as (start, end, folded text)."""
    folded = doc.norm_folded
    return [(m.start(), m.end(), folded[m.start():m.end()]) for m in _WORD.finditer(doc.norm)]


def _strip_clitic(word: str) -> str:
    if len(word) > 3 and word[0] in "وف" and _ARABIC.match(word):
        return word[1:]
    return word


def _match_phrase(table, toks, i, first) -> int:
    for phrase in table.get(first, ()):
        n = len(phrase)
        if i + n <= len(toks) and all(toks[i + k][2] == phrase[k] for k in range(1, n)):
            return n
    return 0


def find_patterns(doc, toks, covered: dict[int, tuple]) -> list[PatternHit]:
    """`covered` maps a token index to (kind, type, last token index) for gazetteer hits."""
    trig = default_triggers()
    norm = doc.norm
    out: list[PatternHit] = []
    n = len(toks)
    i = 0
    while i < n:
        raw = toks[i][2]
        word = _strip_clitic(raw)
        span_n = _match_phrase(trig.titles, toks, i, word) or _match_phrase(trig.titles, toks, i, raw)
        if span_n:
            hit, nxt = _person_after(trig, doc, toks, covered, i, span_n)
            if hit:
                out.append(hit)
            i = max(i + span_n, nxt)
            continue
        span_n = _match_phrase(trig.org_heads, toks, i, word) or _match_phrase(trig.org_heads, toks, i, raw)
        if span_n and i not in covered:
            hit = _org_after(trig, doc, toks, covered, i, span_n)
            if hit:
                out.append(hit)
                i = _index_after(toks, hit.end, i)
                continue
        i += 1
    return out


def _index_after(toks, end, i):
    while i < len(toks) and toks[i][0] < end:
        i += 1
    return i


def _adjacent(norm, toks, a, b) -> bool:
    """No punctuation between token a and token b (only spaces)."""
    return not norm[toks[a][1]:toks[b][0]].strip()


def _person_after(trig, doc, toks, covered, i, span_n):
    norm = doc.norm
    n = len(toks)
    j = i + span_n
    role = " ".join(t[2] for t in toks[i:j])
    skips = 0
    while j < n and skips < _MAX_SKIPS and _adjacent(norm, toks, j - 1, j):
        cov = covered.get(j)
        if cov and cov[1] in ("LOC", "ORG", "DEMONYM"):
            j = cov[2] + 1
        elif toks[j][2] in trig.modifiers or _strip_clitic(toks[j][2]) in trig.modifiers:
            j += 1
        else:
            break
        skips += 1
    role_end = toks[j - 1][1]
    if j >= n or not _adjacent(norm, toks, j - 1, j):
        return None, j
    if j in covered:  # a known person (or anything known) follows: the gazetteer has it
        return PatternHit(toks[j][0], toks[j][0], "ROLE", role, (toks[i][0], role_end)), j
    name: list[int] = []
    limit = _MAX_NAME
    while j < n and len(name) < limit:
        w = toks[j][2]
        if name and not _adjacent(norm, toks, j - 1, j):
            break
        if w in trig.stop or j in covered or w.isdigit() or any(c.isdigit() for c in w):
            break
        if _ARABIC.match(w):
            if not name and w.startswith("ال") and len(w) > 4:
                break
            if name and w.startswith("ال") and len(name) >= 1 and w in trig.modifiers:
                break
        else:
            if not norm[toks[j][0]].isupper() and w not in _NAME_LINKERS:
                break
        if w in _NAME_LINKERS:
            limit = min(limit + 1, _MAX_NAME + 1)
        name.append(j)
        j += 1
    while name and toks[name[-1]][2] in _NAME_LINKERS:
        name.pop()
    if not name:
        return None, j
    return PatternHit(toks[name[0]][0], toks[name[-1]][1], "PERSON", role, (toks[i][0], role_end)), j


def _org_after(trig, doc, toks, covered, i, span_n):
    norm = doc.norm
    n = len(toks)
    j = i + span_n
    last = j - 1
    arabic = bool(_ARABIC.match(toks[i][2]))
    count = 0
    while j < n and count < 4 and _adjacent(norm, toks, j - 1, j):
        w = toks[j][2]
        cov = covered.get(j)
        if w in trig.stop:
            break
        if cov and cov[1] in ("LOC", "DEMONYM"):
            last = j = cov[2]
            j += 1
        elif cov:
            break
        elif arabic and (w.startswith("ال") or w.startswith("لل")) and len(w) > 3:
            last = j
            j += 1
        elif not arabic and (norm[toks[j][0]].isupper() or (w in ("of", "the", "for") and count)):
            last = j
            j += 1
        else:
            break
        count += 1
    if not arabic:
        while last > i and toks[last][2] in ("of", "the", "for"):
            last -= 1
    if last < i + span_n and span_n == 1:
        return None  # a bare head word ("وزارة") is not a name
    name_start = toks[i][0] + (1 if _strip_clitic(toks[i][2]) != toks[i][2] and
                               _match_phrase(trig.org_heads, toks, i, _strip_clitic(toks[i][2])) else 0)
    return PatternHit(toks[i][0], toks[last][1], "ORG", name_start=name_start)
