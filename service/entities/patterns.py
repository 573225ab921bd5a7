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

import bisect
import itertools
import json
import operator
import re

from dataclasses import dataclass
from functools import lru_cache

from ..text.chars import char_bitmaps, native_class
from ..text.matcher import Matcher
from .kb import GAZETTEER_ONLY, KB_DIR, match_key

_WORD = re.compile(r"\w+")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_NAME_LINKERS = {"عبد", "ابو", "بن", "ابن", "ام", "بنت", "آل", "ال", "abu", "bin", "ibn", "al", "el", "van", "von", "de"}
_MAX_NAME = 3
_WINDOW = 160  # characters after a trigger word that a pattern may use (about 15 words)
_MAX_SKIPS = 4


@dataclass(slots=True)
class PatternHit:
    start: int
    end: int
    type: str
    role: str | None = None  # normalized title words that introduced the name
    role_span: tuple | None = None  # (start, end) of the title in norm
    name_start: int | None = None  # where the name proper starts (after a و/ف proclitic)
    club: bool = False  # a club-prefix ORG (دينامو كييف): wins over the tagger inside its span


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
        self.org_cues = by_first(keys("org_cues"))
        self.club = keys("club_prefixes")
        # alias -> words right before it that mean it is not the place (صلاة المغرب)
        self.not_place_after = {
            match_key(alias): {match_key(w) for w in words}
            for per_lang in data.get("not_a_place_after", {}).values() for alias, words in per_lang.items()}
        # per language: a stadium/prize word before a name (ملعب، جائزة); Persian استاد is a title
        self.named_after = {lang: frozenset(match_key(w) for w in words)
                            for lang, words in data.get("named_after", {}).items()}
        self.direct = keys("direct_titles")
        self.modifiers = keys("modifiers")
        self.stop = keys("stop_words")
        self.not_names = keys("not_names")
        self.place_words = keys("place_words")
        self.currencies = keys("currencies")
        self.org_tails = keys("org_tails")
        # given names: the KB list (a tagger feature too) and the gazetteer-only addition
        self.given = set()
        for path in (KB_DIR / "given_names.txt", KB_DIR / GAZETTEER_ONLY / "given_names.txt"):
            if path.exists():
                self.given |= {match_key(w) for w in path.read_text(encoding="utf-8").splitlines()
                               if w.strip() and not w.startswith("#")}
        # One Aho-Corasick pass finds every place a pattern can start: a trigger's first word,
        # alone or after و/ف, as a whole word (keys are padded with the spaces that the
        # gazetteer's padded text has around every word). Patterns are tried only there.
        firsts = set(self.titles) | set(self.org_heads) | set(self.org_cues) | self.club
        words: dict[str, int] = {}
        for w in firsts:
            for pre in ("", "و", "ف") if not w.isascii() else ("",):
                words[f" {pre}{w} "] = len(pre) + len(w)
            if w.startswith("ال") and w in self.org_heads:  # للبنك، وللبنك، بالبنك، وبالبنك
                for pre in ("ل", "ول", "فل", "ب", "وب", "فب"):
                    key = pre + ("ل" + w[2:] if pre.endswith("ل") else w)
                    words[f" {key} "] = len(key)
        self.trigger_words = words  # the gazetteer's automaton takes them too
        self.trigger_auto = Matcher(words)


@lru_cache(maxsize=1)
def default_triggers() -> Triggers:
    return Triggers(json.loads((KB_DIR / "triggers.json").read_text(encoding="utf-8")))


def doc_words(doc) -> list[tuple[int, int, str]]:
    """Every word of doc.norm as (start, end, folded text), made once per document (kept in
    doc.notes) so that the many short windows below are list slices, not regex runs."""
    table = doc.notes.get("_entity_words")
    if table is None:
        folded = doc.norm_folded
        table = [(s, e, folded[s:e]) for s, e in map(_span, _WORD.finditer(doc.norm))]
        doc.notes["_entity_words"] = table
    return table


_NONWORD_CHAR = re.compile(r"[^\w ]")  # spaces need no replacing (much faster)


def padded_text(folded: str) -> str:
    """" " + `folded` with every non-word character as a space + " " (same offsets + 1): the
    text the gazetteer and the pattern triggers are searched in."""
    return " " + _NONWORD_CHAR.sub(" ", folded) + " "


@lru_cache(maxsize=1)
def _native_word_table():
    """The native WordTable (padded text and word table in one pass), or None."""
    word_table = native_class("WordTable")
    return None if word_table is None else word_table(char_bitmaps()[0])


def padded_words(doc) -> str:
    """`padded_text(doc.norm_folded)`, with the document's word table (`doc_words`) made from it."""
    native = _native_word_table()
    if native is not None:
        padded, doc.notes["_entity_words"] = native.padded_words(doc.norm_folded)
        return padded
    padded = padded_text(doc.norm_folded)
    words_from_padded(doc, padded)
    return padded


def words_from_padded(doc, padded: str) -> None:
    """The same word table from the gazetteer's padded text (its words are exactly the \\w runs,
    one space or more between them), by str.split instead of a regex match per word."""
    # Built with C-level iterators only (no Python bytecode per word): this table is made for
    # every article, and a list comprehension over its ~500 words cost ~0.1 ms.
    parts = padded.split(" ")
    offsets = itertools.accumulate(map(operator.add, map(len, parts), itertools.repeat(1)), initial=-1)
    starts = list(itertools.compress(offsets, parts))  # a part is truthy when it is a word
    words = list(filter(None, parts))
    doc.notes["_entity_words"] = list(zip(starts, map(operator.add, starts, map(len, words)), words))


_span = operator.methodcaller("span")
_START = operator.itemgetter(0)
_END = operator.itemgetter(1)


def _words(doc, pos: int, limit: int, count: int) -> list[tuple[int, int, str]]:
    """What `_WORD.finditer(doc.norm, pos, limit)` yields, as (start, end, folded text), at most
    `count` words: a word cut by `pos` or `limit` is cut the same way."""
    return _window(doc, pos, limit, count)[1]


def _window(doc, pos: int, limit: int, count: int) -> tuple[int, list[tuple[int, int, str]]]:
    """`_words` and the index in the word table of its first word."""
    table = doc_words(doc)
    limit = min(limit, len(doc.norm_folded))
    i = bisect.bisect_right(table, pos, key=_END)  # first word ending after pos
    j = min(bisect.bisect_left(table, limit, i, key=_START), i + count)  # words starting before limit
    if i >= j:
        return i, []
    out = table[i:j]
    s, e, _ = out[0]
    if s < pos or e > limit:
        s, e = max(s, pos), min(e, limit)
        out[0] = (s, e, doc.norm_folded[s:e])
    s, e, _ = out[-1]
    if e > limit:
        out[-1] = (s, limit, doc.norm_folded[s:limit])
    return i, out


def words_at(doc, pos: int, count: int = 4) -> list[tuple[int, int, str]]:
    """Up to `count` words of doc.norm from `pos` as (start, end, folded text)."""
    return _words(doc, pos, pos + 20 * count, count)


def _strip_clitic(word: str) -> str:
    if len(word) > 3 and word[0] in "وف" and _ARABIC.match(word):
        return word[1:]
    return word


def _match_phrase(table, toks, i, first) -> int:
    """Words in the longest phrase of `table` (by first word) that toks[i:] starts with, else 0."""
    room = len(toks) - i
    for phrase in table.get(first, ()):
        n = len(phrase)
        if n > room:
            continue
        # the second word first: phrases sharing a first word mostly differ there
        if n == 1 or (toks[i + 1][2] == phrase[1] and all(toks[i + k][2] == phrase[k] for k in range(2, n))):
            return n
    return 0


def find_patterns(doc, padded: str, covered_pos: dict[int, tuple], triggers=None) -> list[PatternHit]:
    """Pattern hits in the article. `padded` is " " + norm_folded with punctuation as spaces
    + " " (from the gazetteer); `covered_pos` maps the start of each gazetteer hit (norm offset)
    to (kind, type, end). Only the places where a trigger word occurs are looked at, each
    through a short window of words. `triggers`: the trigger matches (end, length) when the
    gazetteer's scan already found them, else they are searched here."""
    trig = default_triggers()
    out: list[PatternHit] = []
    done = 0
    hit_words = None  # word-table indices where a gazetteer hit starts (made at the first trigger)
    for end, length in trig.trigger_auto.iter(padded) if triggers is None else triggers:
        start = end - length - 1  # norm offset of the word (padded offsets are norm + 1)
        if start < done:
            continue
        first, toks = _window(doc, start, start + _WINDOW, _WINDOW)
        if not toks:
            continue
        if hit_words is None:
            hit_words = _hit_words(doc_words(doc), covered_pos)
        # window positions (after the first word) of the words where a gazetteer hit starts
        lo = bisect.bisect_right(hit_words, first)
        hi = bisect.bisect_left(hit_words, first + len(toks))
        covered = _local_cover(toks, covered_pos, [k - first for k in hit_words[lo:hi]])
        hit, end = _at(trig, doc, toks, covered)
        if hit:
            out.append(hit)
        done = max(done, end)
    return out


def _hit_words(table, covered_pos) -> list[int]:
    """Sorted indices of the words of `table` that start a gazetteer hit (by their start)."""
    out = []
    for pos in covered_pos:
        i = bisect.bisect_left(table, pos, key=_START)
        if i < len(table) and table[i][0] == pos:
            out.append(i)
    out.sort()
    return out


def _local_cover(toks, covered_pos, starts) -> dict[int, tuple]:
    """Token index -> (kind, type, index of the hit's last token) for gazetteer hits in the window.
    `starts`: the ascending token indices after the first whose word starts a hit (the first
    token, maybe cut by the window, is looked up itself), so that only those are visited."""
    cov: dict[int, tuple] = {}
    n = len(toks)
    after = 0  # tokens before this one belong to a hit already
    for k in (0, *starts):
        if k < after:
            continue
        hit = covered_pos.get(toks[k][0])
        if hit is None:
            continue
        last = k
        while last + 1 < n and toks[last + 1][1] <= hit[2]:
            last += 1
        for q in range(k, last + 1):
            cov[q] = (hit[0], hit[1], last)
        after = last + 1
    return cov


def _at(trig, doc, toks, covered) -> tuple[PatternHit | None, int]:
    """The pattern starting at toks[0], if any, and the norm offset up to which it consumed."""
    norm = doc.norm
    n = len(toks)
    raw = toks[0][2]
    word = _strip_clitic(raw)
    span_n = _match_phrase(trig.titles, toks, 0, word) or _match_phrase(trig.titles, toks, 0, raw)
    if span_n:
        hit, nxt = _person_after(trig, doc, toks, covered, 0, span_n)
        return hit, toks[min(max(nxt, span_n), n) - 1][1]
    if (word in trig.club or raw in trig.club) and 0 not in covered:
        hit = _club_after(trig, doc, toks, covered)
        if hit:
            return hit, hit.end
    span_n = (_match_phrase(trig.org_heads, toks, 0, word) or _match_phrase(trig.org_heads, toks, 0, raw)
              or _match_phrase(trig.org_heads, toks, 0, _definite_head(raw)))
    if span_n and 0 not in covered:
        hit = _org_after(trig, doc, toks, covered, 0, span_n)
        if hit:
            return hit, hit.end
    span_n = _match_phrase(trig.org_cues, toks, 0, word) or _match_phrase(trig.org_cues, toks, 0, raw)
    if not span_n or span_n >= n or not _adjacent(norm, toks, span_n - 1, span_n):
        return None, toks[0][1]
    j = span_n
    if j in covered:  # فريق برشلونة: a known place after a team/company word
        return PatternHit(toks[j][0], toks[covered[j][2]][1], "ORG_CUE"), toks[covered[j][2]][1]
    return None, toks[0][1]


def _ends_name(trig, doc, toks, j) -> bool:
    """A bare third name word is believable when the name ends right there (punctuation, a
    stop word or the end follows) and it is not a definite noun (`رجب طيب أردوغان الأحد إن`)."""
    w = toks[j][2]
    if w.startswith("ال") or _tanween(doc, toks[j]):
        return False
    if j + 1 >= len(toks) or not _adjacent(doc.norm, toks, j, j + 1):
        return True
    nxt = toks[j + 1][2]
    return nxt in trig.stop or _strip_clitic(nxt) in trig.stop


def _definite_head(word: str) -> str:
    """`للبنك` -> `البنك`, `وبالبنك` -> `البنك`: the article form behind a ل/ب proclitic."""
    for pre in ("ولل", "فلل", "لل"):
        if word.startswith(pre) and len(word) > len(pre) + 2:
            return "ال" + word[len(pre):]
    for pre in ("وبال", "فبال", "بال"):
        if word.startswith(pre) and len(word) > len(pre) + 2:
            return word[len(pre) - 2:]
    return word


def _definite(word: str) -> bool:
    """Arabic definite word (with or without a proclitic): ال، وال، بال، لل ..."""
    return len(word) > 4 and (word.startswith(("ال", "لل")) or word[1:3] == "ال" and word[0] in "وفبك")


def _tanween(doc, tok) -> bool:
    """An accusative -an ending (برنامجاً، متضامناً) marks an adverb or object, never a name."""
    s, e = doc.original_span(tok[0], tok[1])
    return "\u064b" in doc.original[e - 2:e + 1]


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
        elif (toks[j][2] in trig.modifiers or _strip_clitic(toks[j][2]) in trig.modifiers
              or _definite(toks[j][2])):
            j += 1
        else:
            break
        skips += 1
    # An Arabic title without the article is in construct state (رئيس الوزراء، مدير مستشفى ...):
    # its complement comes first; a definite word or a known place must have been skipped.
    last_title = toks[i + span_n - 1][2]
    if (_ARABIC.match(last_title) and not last_title.startswith("ال") and skips == 0
            and role not in trig.direct and _strip_clitic(role) not in trig.direct):
        return None, j
    role_end = toks[j - 1][1]
    role_start = toks[i][0] + (1 if toks[i][2] not in trig.titles and _strip_clitic(toks[i][2]) in trig.titles else 0)
    if j >= n or not _adjacent(norm, toks, j - 1, j):
        return None, j
    if j in covered:  # a known person (or anything known) follows: the gazetteer has it
        return PatternHit(toks[j][0], toks[j][0], "ROLE", role, (role_start, role_end)), j
    name: list[int] = []
    limit = _MAX_NAME
    while j < n and len(name) < limit:
        w = toks[j][2]
        if name and not _adjacent(norm, toks, j - 1, j):
            break
        if w in trig.stop or j in covered or any(c.isdigit() for c in w) or _tanween(doc, toks[j]):
            break
        # a place noun ends the name: طريق الملك فهد بمحافظة الزلفي
        if w in trig.place_words or (w[:1] in "وفبل" and w[1:] in trig.place_words):
            if len(name) == 1 and w in trig.place_words:
                name = []  # أمير منطقة ("governor of the region"): a noun in construct, not a name
            break
        # "عبدالله والرئيس": a و-word after a name starts something else (a list, a new clause);
        # so does a definite word with a preposition (بالمواجهة).
        if name and _ARABIC.match(w) and (w[0] == "و" and len(w) > 3 or w[1:3] == "ال" and w[0] in "بلكف"):
            break
        # A third word is kept only for a compound name (بن، أبو، عبد ...): measured on the dev
        # slice, a bare third word after a title + name was more often a noun than a surname.
        if (len(name) == 2 and _ARABIC.match(w) and not any(toks[k][2] in _NAME_LINKERS for k in name)
                and not _ends_name(trig, doc, toks, j)):
            break
        if _ARABIC.match(w):
            if not name and w.startswith("ال") and len(w) > 4:
                break
            # An unknown Arabic-script name must start with a known given name (or عبد.../أبو...):
            # after a title, any other word was far more often a verb or a noun than a name.
            if not name and not (w in trig.given or w.startswith(("عبد", "ابو")) or
                                 (w[:1] in "وفبل" and w[1:] in trig.given)):
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
    return PatternHit(toks[name[0]][0], toks[name[-1]][1], "PERSON", role, (role_start, role_end)), j


def _org_after(trig, doc, toks, covered, i, span_n):
    norm = doc.norm
    n = len(toks)
    j = i + span_n
    last = j - 1
    arabic = bool(_ARABIC.match(toks[i][2]))
    # A head with the article (البنك) takes adjectives, which agree with it: a masculine head
    # followed by a feminine word (البنك الرأسمالية، البنك المرونة) is no name.
    head = _definite_head(_strip_clitic(toks[i][2]))
    masc_def_head = arabic and span_n == 1 and head.startswith("ال") and not head.endswith("ه")
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
            if masc_def_head and count == 0 and w.endswith("ه"):
                break
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


def _club_after(trig, doc, toks, covered):
    """`دينامو كييف`, `سسكا موسكو`: a club prefix and the next word are one ORG (a known place
    there is part of the club's name, and a longer known name is taken whole)."""
    if len(toks) < 2 or not _adjacent(doc.norm, toks, 0, 1):
        return None
    w = toks[1][2]
    if w in trig.stop or any(c.isdigit() for c in w) or _tanween(doc, toks[1]):
        return None
    if not _ARABIC.match(w) and not doc.norm[toks[1][0]].isupper():
        return None
    last = covered[1][2] if 1 in covered and covered[1][1] != "DEMONYM" else 1
    return PatternHit(toks[0][0], toks[last][1], "ORG", club=True)
