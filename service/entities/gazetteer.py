"""Gazetteer matching: every KB alias over the article in one Aho-Corasick pass.

The automaton runs over `doc.norm_folded` with punctuation turned into spaces (same length, so
offsets stay those of `doc.norm`). Keys end with a space, so a hit always ends at a word end.
Where a hit starts inside a word, the letters before it must be Arabic proclitics
(و ف ب ل ك, and ال for demonyms): `ولبنان` = و + لبنان. `للأمم` = ل + الأمم drops the alef of
the article, so every key starting with ال is also entered without its alef and then demands a
ل before it. A mention's span is the whole word, proclitics included (the corpus convention).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import lru_cache

from ..text.matcher import Matcher
from .kb import FOREIGN_ONE_WORD_MIN_POP, REGION, TIER_CITY, Entry, KnowledgeBase, default_kb
from .patterns import default_triggers, padded_text


_CLITICS = {"و", "ف", "ب", "ل", "ك", "وب", "ول", "وك", "فب", "فل", "فك"}
# ال + adjective: demonyms are adjectives and take the article (الروسي، للروسية، والإيرانيين).
_DEF_CLITICS = _CLITICS | {"ال", "وال", "فال", "بال", "كال", "لل", "ولل", "فلل", "وبال", "فبال"}
_LAM_CLITICS = {"ل", "ول", "فل"}  # before an ال-key that lost its alef: للأمم = ل + (ا)لأمم
_CLITIC_LAST = frozenset(p[-1] for p in _DEF_CLITICS | _LAM_CLITICS)  # و ف ب ل ك
# A name this short after ك ("like") is mostly another word: كاسيا, كروما (not ك + آسيا / روما).
KA_SHORT_NAME = 4

# Words right before a small city that say "this is a place" (normalized, folded).
_CITY_CUES = {
    "مدينه", "بلده", "قريه", "محافظه", "ولايه", "منطقه", "مخيم", "عاصمه", "ضاحيه",
    "شهر", "شهرستان", "استان", "روستای", "city", "town", "province", "village",
}

_MODE_PLAIN, _MODE_LAM, _MODE_DEFINITE = 0, 1, 2


@dataclass(slots=True)
class Hit:
    start: int  # norm offsets, whole word including proclitics
    end: int
    key: str
    entry: Entry
    kind: str  # name | demonym
    tier: int


class Gazetteer:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        words: dict[str, tuple] = {}
        # Each value: (key, mode, info, characters from the key's start to the automaton's match
        # end, the countries of the key's country/region entries) so that a hit costs no lookups.
        for key, info in kb.keys.items():
            countries = tuple({kb.entries[idx].country for idx, _kind in info.entries
                               if gives_context(kb.entries[idx])})
            self._add(words, key + " ", ((key, _MODE_PLAIN, info, len(key), countries),))
            if key.startswith("ال") and len(key) > 4:
                self._add(words, key[1:] + " ", ((key, _MODE_LAM, info, len(key) - 1, countries),))
        # The pattern triggers (" word ", value: its length) ride along in the same automaton, so
        # that one scan of the article serves both (keys never start with a space: no clash).
        for word, length in default_triggers().trigger_words.items():
            assert word not in words
            words[word] = length
        self.auto = Matcher(words)

    @staticmethod
    def _add(words: dict, word: str, value: tuple) -> None:
        old = words.get(word)
        words[word] = value if old is None else old + value

    @staticmethod
    def padded(doc) -> str:
        """" " + norm_folded with every non-word character as a space + " " (same offsets + 1)."""
        return padded_text(doc.norm_folded)

    def find(self, doc, text: str | None = None, triggers: list | None = None) -> list[Hit]:
        """Gazetteer hits; `triggers` (when given) receives the pattern triggers' (end, length)
        in the padded text, in order, as `Triggers.trigger_auto.iter` would give them."""
        text = text or self.padded(doc)
        norm = doc.norm
        kb = self.kb
        cands: list[tuple] = []
        context = set()  # countries named anywhere in the article help pick among same-named cities
        arabic = doc.language == "ar"
        for end_tb, value in self.auto.iter(text):
            if value.__class__ is int:  # a pattern trigger
                if triggers is not None:
                    triggers.append((end_tb, value))
                continue
            for key, mode, info, back, countries in value:
                start_tb = end_tb - back
                # Letters before the key inside its word must be proclitics (checked first: most
                # raw hits start inside a word and end here).
                before = text[start_tb - 1]
                if before == " ":
                    if mode == _MODE_LAM:
                        continue
                    prefix = ""
                    ws = start_tb
                elif before not in _CLITIC_LAST:
                    continue  # no proclitic ends with this letter (`ايران` holds `ران`)
                else:
                    ws = text.rfind(" ", 0, start_tb) + 1
                    prefix = text[ws:start_tb]
                    if mode == _MODE_LAM:
                        if prefix not in _LAM_CLITICS:
                            continue
                    elif prefix in _CLITICS:
                        if info.latin_case is not None:
                            continue
                        if prefix[-1] == "ك" and len(key) <= KA_SHORT_NAME:
                            continue  # كاسيا، كروما: a short name after ك ("like") is mostly another word
                    elif (prefix in _DEF_CLITICS and info.latin_case is None
                          and any(k == "demonym" for _, k in info.entries)):
                        mode = _MODE_DEFINITE  # ال before a key is only right for an adjective
                    else:
                        continue
                s, e = start_tb - 1, end_tb - 1  # norm offsets of the key
                if info.latin_case == "upper" and not norm[s:e].replace(" ", "").replace(".", "").isupper():
                    continue
                if info.latin_case == "title" and not norm[s].isupper():
                    continue
                cands.append((ws - 1, e, key, info, mode, bool(prefix)))
                if countries:
                    context.update(countries)
        if not cands:
            return []
        hits = []
        for s, e, key, info, mode, clitic in cands:
            if mode == _MODE_DEFINITE:
                idx = next(i for i, k in info.entries if k == "demonym")
                entry, kind = kb.entries[idx], "demonym"
            else:
                best = kb.best(key, context, arabic)
                if best is None:
                    continue
                entry, kind = best
            if entry.type == "LOC" and kind == "name" and not place_ok(entry, info, key, clitic, text, s + 1, context):
                continue
            if kind == "demonym" and clitic and mode != _MODE_DEFINITE and len(key) <= 3:
                continue  # كروس، بروس (Kroos, Bruce): a plural demonym after a proclitic takes the article
            hits.append(Hit(s, e, key, entry, kind, entry.tier))
        return _longest(hits)


def gives_context(ent: Entry) -> bool:
    """A country or region entry: naming it helps pick among same-named cities."""
    return bool(ent.tier < TIER_CITY and ent.country and ent.type == "LOC")


def place_ok(entry: Entry, info, key: str, clitic: bool, text: str, pos: int, context: set) -> bool:
    """Whether a place alias at `pos` of the padded text may name `entry` there (the same guards
    for gazetteer hits and for linking a tagger's span to the KB)."""
    guard = default_triggers().not_place_after.get(key)
    if guard and _previous_word(text, pos) in guard:
        return False  # صلاة المغرب: the sunset prayer
    if entry.tier != TIER_CITY:
        return True
    foreign = entry.country not in REGION
    # A proclitic before a city (بجدة) is trusted for cities of the region, large ones and the
    # well-known ones city_aliases.tsv lists (وجنيف), never for short keys: بلاتر is Blatter,
    # not ب + Latur.
    if clitic and (len(key) < 4 or (foreign and entry.population < FOREIGN_ONE_WORD_MIN_POP and not info.well_known)):
        return False
    if info.needs_cue and _previous_word(text, pos) not in _CITY_CUES:
        # the article naming the city's country is cue enough, in the region only
        if foreign or entry.country not in context:
            return False
    return True


def _previous_word(text: str, pos: int) -> str:
    end = text.rfind(" ", 0, pos)
    while end > 0 and text[end - 1] == " ":
        end -= 1
    return text[text.rfind(" ", 0, end) + 1:end]


def _longest(hits: list[Hit]) -> list[Hit]:
    """Non-overlapping hits, longest first, then earliest, then best tier (deterministic)."""
    if len(hits) < 2:
        return hits
    hits.sort(key=_LONGEST_FIRST)
    taken: list[Hit] = []
    occupied = bytearray(max(map(_END, hits)))  # one flag per character; find() tests in C
    for h in hits:
        if occupied.find(1, h.start, h.end) >= 0:
            continue
        occupied[h.start:h.end] = b"\1" * (h.end - h.start)
        taken.append(h)
    taken.sort(key=_START)
    return taken


_LONGEST_FIRST = lambda h: (h.start - h.end, h.start, h.tier, h.entry.id)  # noqa: E731
_START = operator.attrgetter("start")
_END = operator.attrgetter("end")


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    return Gazetteer(default_kb())
