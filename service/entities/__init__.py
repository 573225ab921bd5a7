"""Entity stage: gazetteer + trigger patterns + statistical tagger, combined, linked, scored.

`extract_entities(doc)` fills `entities[]` of the enriched event (keys listed in docs/entities.md).
`gazetteer_entities(doc)` is the same without the tagger (for the evaluation).

Combination is deterministic: gazetteer hits first (they carry ids), then pattern hits that do
not overlap them, then tagger spans that overlap nothing already taken. An ORG pattern that
covers a place (`جامعة القاهرة`) replaces the place, since the longer name is the entity.
"""

from __future__ import annotations

import bisect
import hashlib
import operator
import re
from functools import lru_cache

from ..document import Doc
from .gazetteer import KA_SHORT_NAME, Gazetteer, Hit, default_gazetteer, gives_context, place_ok
from .kb import TIER_CITY, TIER_CURATED, Entry, build_kb, match_key
from .patterns import (_END, _match_phrase, _words, default_triggers, doc_words, find_patterns, words_at,
                       padded_words)

CONF_GAZETTEER = 0.95
CONF_CITY = 0.85  # cities collide with people's names more often than countries or curated names
CONF_PATTERN = 0.75
LEAD_CHARS = 400  # "lead" for salience: the first paragraph or so of the body

_MARKS = frozenset(chr(c) for c in range(0x064B, 0x0660)) | {"\u0670", "\u0640"}
_CLITICS = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")


def extract_entities(doc: Doc, gazetteer: Gazetteer | None = None) -> list[dict]:
    """Entities of the article (gazetteer + patterns + tagger). `gazetteer` overrides the
    default one built from service/data/kb (tests build one with extra records)."""
    return _extract(doc, True, gazetteer or default_gazetteer())


def gazetteer_entities(doc: Doc, gazetteer: Gazetteer | None = None) -> list[dict]:
    """The same without the statistical tagger (gazetteer + patterns), for the evaluation."""
    return _extract(doc, False, gazetteer or default_gazetteer())


def build_gazetteer(extra_records=(), curated_files: bool = True) -> Gazetteer:
    """A gazetteer over the KB files plus `extra_records` (curated-record format)."""
    return Gazetteer(build_kb(extra_records, curated_files))


def warm_up() -> None:
    """Load the KB, the automaton and the tagger models (call once at worker start)."""
    default_gazetteer()
    tagger = _tagger()
    if tagger is not None:
        for lang in ("ar", "fa", "en"):
            tagger.load_model(lang)


@lru_cache(maxsize=1)
def _tagger():
    """The tagger module when present (it returns no spans when its model file is absent);
    cached: an import statement per article cost more than some whole steps of the stage."""
    try:
        from . import tagger
    except ImportError:
        return None
    return tagger


class _Mention:
    __slots__ = ("start", "end", "type", "method", "entry", "kind", "conf", "role", "role_span",
                 "name_start", "key_text", "ref", "club")

    def __init__(self, start, end, type_, method, entry=None, kind="name", conf=0.0, role=None,
                 role_span=None, name_start=None):
        self.start, self.end, self.type, self.method = start, end, type_, method
        self.entry, self.kind, self.conf = entry, kind, conf
        self.role, self.role_span = role, role_span
        self.name_start = start if name_start is None else name_start
        self.key_text = None
        self.ref = None  # a title back-reference: the named mention it refers to
        self.club = False


def _extract(doc: Doc, use_tagger: bool, gaz: Gazetteer) -> list[dict]:
    padded = padded_words(doc)
    triggers: list[tuple[int, int]] = []  # pattern triggers, found by the gazetteer's scan
    hits: list[Hit] = gaz.find(doc, padded, triggers)

    mentions: list[_Mention] = []
    covered: dict[int, tuple] = {}  # gazetteer hit start -> (kind, type, end), for the patterns
    for h in hits:
        # Only a hit of two words or more can lose a title, cue or kind word (most are one word;
        # the padded text has a space between any two words).
        several = padded.find(" ", h.start + 1, h.end + 1) >= 0
        if h.entry.type == "PERSON":
            if several:
                _trim_title(doc, gaz.kb, h)
        elif h.entry.type == "LOC" and h.kind == "name":
            if several:
                _trim_cue(doc, h)
            if h.tier == TIER_CITY and _ends_in_tanween(doc, h.end):
                continue  # كبيراً: an adverb that spells a town's name
        elif h.entry.type == "ORG" and several:
            _trim_org(doc, gaz.kb, h)
        typ = "DEMONYM" if h.kind == "demonym" else h.entry.type
        if typ == "LOC" and h.key in gaz.kb.quoted_outlets and _quoted(doc.norm, h.start, h.end):
            # `لندن : « الشرق الأوسط »`: an outlet's name that is also a place, alone in quotes, is
            # the outlet (ANERcorp: ORG 8 times, LOC 4 times in quotes; the LOC ones are bylines too)
            h.entry = gaz.kb.entries[gaz.kb.quoted_outlets[h.key]]
            typ = "ORG"
        conf = CONF_CITY if h.tier == TIER_CITY else CONF_GAZETTEER
        mentions.append(_Mention(h.start, h.end, typ, "gazetteer", h.entry, h.kind, conf))
        covered[h.start] = (h.kind, typ, h.end)

    occupied = _Occupancy(len(doc.norm))
    for m in mentions:  # demonyms may sit inside longer names (منظمة التحرير الفلسطينية)
        if m.type != "DEMONYM":
            occupied.take(m.start, m.end)
    by_start = {m.start: m for m in mentions}
    roles: list[tuple[int, str, tuple]] = []  # (norm position of the name, role, role span)
    patterns: list[_Mention] = []
    for p in find_patterns(doc, padded, covered, triggers):
        if p.type == "ORG_CUE":  # فريق برشلونة: a city name after a team/company word is the ORG
            m = by_start.get(p.start)
            if m is not None and m.type == "LOC" and m.entry.subtype == "city":
                m.type, m.entry, m.method, m.conf = "ORG", None, "pattern", CONF_PATTERN
            continue
        if p.type == "ROLE":
            roles.append((p.start, p.role, p.role_span))
            continue
        if p.type == "ORG":  # a place inside an organization's name is part of that name
            for m in [m for m in mentions if m.start >= p.start and m.end <= p.end and m.type == "LOC"]:
                mentions.remove(m)
                occupied.free(m.start, m.end)
        pm = _Mention(p.start, p.end, p.type, "pattern", conf=CONF_PATTERN, role=p.role,
                      role_span=p.role_span, name_start=p.name_start)
        pm.club = p.club
        patterns.append(pm)

    tagged = []
    if use_tagger:
        tagger = _tagger()
        if tagger is not None:
            for s, e, typ, score in tagger.tag_spans(doc):
                s, e = _whole_words(doc.norm, s, e)
                if e > s:
                    t = _Mention(s, e, typ, "tagger", conf=float(score))
                    t.key_text = doc.norm_folded[s:e]
                    tagged.append(t)
    if tagged:
        tagged = _merge_adjacent_people(doc, sorted(tagged, key=lambda t: t.start))
    context = {m.entry.country for m in mentions if m.entry is not None and gives_context(m.entry)}
    _combine(doc, gaz.kb, mentions, patterns, tagged, occupied, padded, context)

    if roles:  # a title right before a known name: that person's role in this article
        by_start = {m.start: m for m in mentions if m.type == "PERSON"}
        for pos, role, span in roles:
            m = by_start.get(pos)
            if m is not None:
                m.role, m.role_span = role, span
    # names recognised once first, then surnames of pattern names (their copies are no sources)
    _propagate_recognized(doc, mentions, occupied, padded)
    _propagate_names(doc, mentions, occupied)
    _title_back_references(doc, mentions, occupied)
    return _link(doc, mentions)


_OPEN_QUOTES = frozenset('«"“')
_CLOSE_QUOTES = frozenset('»"”')


def _quoted(norm: str, start: int, end: int) -> bool:
    """The span is all there is between an opening and a closing quote mark (spaces aside)."""
    before = norm[max(0, start - 3):start].rstrip()
    after = norm[end:end + 3].lstrip()
    return bool(before) and before[-1] in _OPEN_QUOTES and bool(after) and after[0] in _CLOSE_QUOTES


_QUOTE_MARKS = '"«“\''


def _named_after(doc: Doc, start: int) -> bool:
    """The word before `start` (a quote mark in between allowed) is a stadium or prize word of
    the article's language (triggers.json `named_after`: `ملعب سانتياغو برنابيو`, `جائزة نوبل`;
    in ANERcorp (train + dev) the word after one is PERSON 2 times of 55, MISC 27, LOC 8, O 18)."""
    words = default_triggers().named_after.get(doc.language)
    if not words:
        return False
    s = start
    before = doc.norm[max(0, s - 3):s].rstrip()
    if before and before[-1] in _QUOTE_MARKS:
        s = s - (len(doc.norm[max(0, s - 3):s]) - len(before)) - 1
    prev = _word_before(doc, s)
    if prev is None:
        return False
    w = prev[2]
    return w in words or (len(w) > 4 and w[0] in "وفبل" and w[1:] in words)


def _merge_adjacent_people(doc: Doc, tagged: list) -> list:
    """`[محمود صبري] [أبو تريكة]`: two tagger PERSON spans with only a space between them are one
    long name the tagger split, unless the second starts with و (`[وطارق السعيد]`: a list)."""
    out = []
    given = default_triggers().given
    for t in tagged:
        prev = out[-1] if out else None
        first = t.key_text.split(" ", 1)[0]
        listed = first[:1] == "و" and first not in given  # `وطارق السعيد`: the next person of a list
        if (prev is not None and t.type == "PERSON" and prev.type == "PERSON" and not listed
                and not doc.norm[prev.end:t.start].strip() and t.start > prev.end):
            prev.end = t.end
            prev.conf = min(prev.conf, t.conf)
            prev.key_text = doc.norm_folded[prev.start:prev.end]
            continue
        out.append(t)
    return out


def _word_before(doc: Doc, pos: int):
    """The word of doc.norm right before `pos` when only spaces separate them, else None."""
    table = doc_words(doc)
    i = bisect.bisect_right(table, pos, key=_END) - 1
    if i < 0 or doc.norm[table[i][1]:pos].strip():
        return None
    return table[i]


def _is_given(trig, w: str) -> bool:
    return w in trig.given or (len(w) > 3 and w[0] in "وفبل" and w[1:] in trig.given)


def _extend_given_left(doc: Doc, t: _Mention, occupied) -> None:
    """`طلعت [زكريا]`, `لكوفي [أنان]`: the tagger left out a known given name right before the
    person's name; the name starts there (proclitic included, the span convention)."""
    prev = _word_before(doc, t.start)
    if prev is None or not occupied.free_span(prev[0], prev[1]):
        return
    trig = default_triggers()
    if _is_given(trig, prev[2]) and prev[2] not in trig.stop:
        t.start = t.name_start = prev[0]
        t.key_text = doc.norm_folded[t.start:t.end]


def _trim_tagger_title(doc: Doc, t: _Mention) -> None:
    """`الرئيس بشار الأسد` tagged as one PERSON: the title is not part of the name."""
    trig = default_triggers()
    head = _words(doc, t.start, t.start + 120, 1)  # the first word as words_at(doc, t.start, 6) cuts it
    if not head:
        return
    first = head[0][2]
    bare = _title_form(first)
    if first not in trig.titles and bare not in trig.titles:
        return  # no title starts the span (most spans): no need for its other words
    toks = [w for w in words_at(doc, t.start, 6) if w[1] <= t.end]
    if len(toks) < 2:
        return
    first = toks[0][2]
    for w in (first, _title_form(first)):
        n = _match_phrase(trig.titles, toks, 0, w)
        if n and n < len(toks):
            t.start = t.name_start = toks[n][0]
            t.key_text = doc.norm_folded[t.start:t.end]
            return


def _trim_trailing_title(doc: Doc, t: _Mention) -> None:
    """`محمد بن سلمان بن عبدالعزيز ولي العهد` tagged as one PERSON, or up to `ولي`: a title of two
    words or more that starts inside the span after the name and reaches its end is not part of
    the name (ولي العهد، وزير الخارجية، أمير منطقة)."""
    titles = default_triggers().titles
    if not any(w in titles for w in t.key_text.split()[1:]):
        return  # no title word after the first (most spans): no need to tokenize
    toks = words_at(doc, t.start, 12)
    inside = sum(1 for w in toks if w[1] <= t.end)
    if inside < 2:
        return
    for k in range(1, inside):
        word = toks[k][2]
        if word in titles and _ARABIC_LETTER.match(word):
            n = _match_phrase(titles, toks, k, word)
            if n > 1 and k + n >= inside:
                t.end = toks[k - 1][1]
                t.key_text = doc.norm_folded[t.start:t.end]
                return


def _title_form(word: str) -> str:
    """A title word without its proclitic: `والرئيس` -> `الرئيس`, `للحارس` -> `الحارس`,
    `بالمدرب` -> `المدرب` (ل + ال is written لل)."""
    if len(word) <= 3:
        return word
    if word[0] in "وف":
        word = word[1:]
    if word.startswith("لل") and len(word) > 4:
        return "ا" + word[1:]
    if word.startswith(("بال", "كال")) and len(word) > 5:
        return word[1:]
    return word


# Number words a currency follows (normalized): 5.7 مليار ريال, ثلاثة آلاف دولار.
_NUMBER_WORDS = {"الف", "الاف", "مليون", "ملايين", "مليار", "مليارات"}


def _currency_after_number(doc: Doc, t: _Mention) -> bool:
    """A one-word tagger span that is a currency word right after a number (digits or a number word)."""
    words = t.key_text.split()
    if len(words) != 1:
        return False
    currencies = default_triggers().currencies
    if words[0] not in currencies and _bare_name(words[0]) not in currencies:
        return False
    before = doc.norm_folded[max(0, t.start - 40):t.start].split()
    if not before:
        return False
    prev = match_key(before[-1])
    return any(c.isdigit() for c in before[-1]) or prev in _NUMBER_WORDS


def _ends_in_org_head(t: _Mention) -> bool:
    """A Latin-script span of two words or more whose head noun is an organization word
    (`org_tails`: GmbH, University, Council ...): the last word, or the word before `of`."""
    words = t.key_text.split()
    if len(words) < 2 or not t.key_text.isascii():
        return False
    tails = default_triggers().org_tails
    return words[-1] in tails or any(w in tails and nxt == "of" for w, nxt in zip(words[1:], words[2:]))


def _plausible(doc: Doc, t: _Mention, kb) -> bool:
    """Cheap sanity checks on a tagger span: names do not start or end with a stop word, a person does
    not start with a title (`نظيره الروسي`), and no word of a name carries the accusative -an
    ending of adverbs (`هاتفياً`, `معتبراً`)."""
    trig = default_triggers()
    words = t.key_text.split()
    if not words or not any(c.isalpha() for c in t.key_text):
        return False  # `5`: no letters, no name
    first = words[0]
    bare = first[1:] if len(first) > 3 and first[0] in "وف" else first
    if first in trig.stop or bare in trig.stop:
        return False
    if len(words) == 1 and (bare in trig.place_words or _bare_name(first) in trig.place_words):
        return False  # بمحافظة alone: the generic word, not the place after it
    if len(words) == 1 and doc.language == "ar" and (first in kb.arabic_words or bare in kb.arabic_words):
        return False  # يمن "bestows": the tagger learnt it from the Persian spelling of Yemen
    if t.key_text in trig.not_names:
        return False  # رحمه الله after a name: a formula, not an organization
    # nor end with one: `فارس فإن` ("Fars, then ...") after "according to a Fars report"
    last = words[-1]
    if len(words) > 1 and (last in trig.stop or (len(last) > 2 and last[0] in "وف" and last[1:] in trig.stop)):
        return False
    if t.type == "PERSON" and (first in trig.titles or bare in trig.titles or bare in trig.modifiers):
        return False
    if t.type == "PERSON" and len(first) > 4 and first[0] in "لب" and first[1:] in trig.titles:
        return False  # لخادم الحرمين: a title behind ل/ب (a name is not one, the title is the king's)
    s, e = doc.original_span(t.start, t.end)
    return "\u064b" not in doc.original[s:e + 1]


def _combine(doc: Doc, kb, mentions: list, patterns: list, tagged: list, occupied, padded: str,
             context: set) -> None:
    """Merge pattern and tagger mentions into the gazetteer's, deterministically.

    The tagger reads context, the gazetteer knows ids, patterns know titles. Each rule below was
    chosen by measuring, on the ANERcorp dev slice, which source was right where they disagree
    (docs/entities.md has the counts). Per tagger span:
      - no overlap: taken;
      - the same span, same type: the gazetteer mention stays (it has the id);
      - the same span, another type: the tagger's type wins unless the gazetteer entry is a
        curated person/organization with a QID (a city is a football club in the sports pages)
        or the tagger says PERSON of a country;
      - the same type, other boundaries: for people the longer name wins (`بان كي مون` over
        `كي مون`, `حمدان بن محمد بن راشد` over `محمد بن راشد`); for places and organizations in
        Arabic script the shorter (`مكة` in `مكة المكرمة`, `حزب الله` in `حزب الله اللبناني`:
        the adjective after the name is outside it); a Latin-script place takes the tagger's
        (`East Germany`, `New Jersey`: English modifiers come first) but a Latin-script
        organization keeps the shorter (`Google`, not the product `Google Photos`);
      - another type, other boundaries: a tagger ORG/PERSON over places only replaces them
        (`دينامو كييف`); otherwise the gazetteer stays (`فارس` as PERSON inside `وكالة فارس`).
    A chosen tagger span gets an id only by its own text (a KB name of the same type): an id is
    never carried over from a mention with other boundaries (the son is not the father).
    Curated organizations built on a nationality adjective (`وزارة الخارجية الروسية`, `الجيش
    اللبناني`) stay even where the tagger is silent, although ANERcorp leaves them untagged: a
    reader wants the ministry linked (docs/entities.md, "Annotation conventions we do not follow").
    Club-prefix ORG patterns (`دينامو كييف`) take precedence over tagger spans inside them.
    Patterns then fill what is still free; a pattern PERSON that overlaps a tagger PERSON gives
    it its title as the role.
    """
    index = sorted((m for m in mentions if m.type != "DEMONYM"), key=lambda m: m.start)
    starts = [m.start for m in index]
    longest = max((m.end - m.start for m in index), default=0)
    removed: set[int] = set()  # ids of gazetteer mentions that gave way
    clubs = [(p.start, p.end) for p in patterns if p.club]

    def drop(ms):
        for m in ms:
            mentions.remove(m)
            removed.add(id(m))
            occupied.free(m.start, m.end)

    for t in tagged:
        if t.type == "PERSON":
            _trim_tagger_title(doc, t)
            _trim_trailing_title(doc, t)
            _extend_given_left(doc, t, occupied)
            if _named_after(doc, t.start):
                t.type = "MISC"  # ملعب سانتياغو برنابيو: the stadium or prize, not the person
        if t.type != "MISC" and _currency_after_number(doc, t):
            t.type = "MISC"  # 5.7 مليار ريال: the riyal (ANERcorp tags دولار MISC), not Real Madrid
        if t.type != "ORG" and _ends_in_org_head(t):
            t.type = "ORG"  # Eberhard Faber GmbH, National Council of Thailand: the head noun says ORG
        if not _plausible(doc, t, kb):
            continue
        if clubs and any(s <= t.start and t.end <= e and (t.type != "ORG" or (s, e) != (t.start, t.end))
                         for s, e in clubs):
            continue  # دينامو كييف: the tagger's `كييف` (LOC) or whole-span PERSON was wrong on the dev slice
        lo = bisect.bisect_left(starts, t.start - longest)
        hi = bisect.bisect_left(starts, t.end)
        inside = [m for m in index[lo:hi] if m.end > t.start and id(m) not in removed]
        if not inside:
            if not occupied.free_span(t.start, t.end):
                continue
        elif len(inside) == 1 and (inside[0].start, inside[0].end) == (t.start, t.end):
            m = inside[0]
            if m.type == t.type or (m.entry is not None and m.entry.type in ("PERSON", "ORG")
                                    and (m.entry.qid or _curated_over_tagger(doc, kb, m, t))):
                continue
            if t.type == "PERSON" and m.entry is not None and m.entry.subtype == "country":
                continue  # a country is no person (`World War II Hungary`); a team (ORG) it may be
            drop(inside)
        elif all(m.type == t.type for m in inside):
            if t.type == "PERSON":
                take = all(m.start >= t.start and m.end <= t.end for m in inside)  # the tagger's is longer
            elif t.type == "LOC" and t.key_text.isascii():
                take = True  # English puts modifiers first (East Germany, New Jersey): the tagger's span
            else:
                take = all(m.start <= t.start and m.end >= t.end for m in inside)  # the tagger's is shorter
            if not take:
                continue
            drop(inside)
        elif t.type != "LOC" and all(m.start >= t.start and m.end <= t.end and m.entry is not None
                                     and m.entry.type == "LOC" for m in inside):
            drop(inside)
        else:
            continue
        t.entry = _lookup(kb, t, padded, context, doc.language == "ar")
        occupied.take(t.start, t.end)
        mentions.append(t)
    for p in patterns:
        if occupied.free_span(p.start, p.end):
            occupied.take(p.start, p.end)
            mentions.append(p)
        elif p.role and p.type == "PERSON":
            # the tagger took this name with other boundaries: keep the title as its role
            for m in mentions:
                if m.method == "tagger" and m.type == "PERSON" and m.start < p.end and m.end > p.start:
                    m.role, m.role_span = p.role, p.role_span


def _curated_over_tagger(doc: Doc, kb, m: _Mention, t: _Mention) -> bool:
    """A curated person/organization (no QID) keeps its type against the tagger's LOC/PERSON on
    the same span (`فولكسفاغن`, `تويوتا` read as places by the tagger), unless the tagger says
    MISC (ANERcorp tags `يونيفيل` MISC) or the name was found behind a proclitic (`فارنا`, the
    city Varna, is no ف + `ارنا`)."""
    if m.entry.tier != TIER_CURATED or t.type == "MISC":
        return False
    key = match_key(doc.norm_folded[m.start:m.end])  # the whole word is the name
    info = kb.keys.get(key)
    if info is not None and any(kb.entries[i] is m.entry for i, _ in info.entries):
        return True
    return key in kb.quoted_outlets and kb.entries[kb.quoted_outlets[key]] is m.entry  # « الشرق الأوسط »


def _has_id(m: _Mention) -> bool:
    """A QID or a GeoNames id (what the linked-precision figure counts)."""
    return m.entry is not None and bool(m.entry.qid or m.entry.geonames_id)


def _ends_in_tanween(doc: Doc, end: int) -> bool:
    e = doc.original_span(end - 1, end)[1]
    return doc.original[e:e + 1] == "\u064b" or doc.original[e - 1:e] == "\u064b"


def _trim_org(doc: Doc, kb, h: Hit) -> None:
    """Curated aliases sometimes carry a kind word or an adjective (`صحيفة هآرتس`, `حركة حماس`,
    `حزب الله اللبناني`); when the rest alone is also a name of the same organization, the
    mention is that rest (the corpus convention: the kind word is not part of the name)."""
    toks = words_at(doc, h.start, 6)
    toks = [t for t in toks if t[1] <= h.end]
    if len(toks) < 2:
        return
    idx = kb.by_id.get(h.entry.id)
    trig = default_triggers()

    def same(words):
        info = kb.keys.get(" ".join(words))
        return info is not None and any(i == idx for i, _ in info.entries)

    words = [t[2] for t in toks]
    first = words[0][1:] if words[0][:1] in "ول" and words[0][1:] in trig.org_cues else words[0]
    if first in trig.org_cues and same(words[1:]):
        h.start, toks, words = toks[1][0], toks[1:], words[1:]
    last = kb.keys.get(words[-1])
    if len(words) >= 2 and last is not None and any(k == "demonym" for _, k in last.entries) and same(words[:-1]):
        h.end = toks[-2][1]
    elif len(words) >= 2 and h.entry.subtype == "sports_club" and words[-1].startswith("ال"):
        # `ميلان الإيطالي`, `الهلال السعودي`: a club's nationality is outside its name (ANERcorp)
        last = kb.keys.get(words[-1][2:])  # demonym keys have no article
        if last is not None and any(k == "demonym" for _, k in last.entries):
            h.end = toks[-2][1]


def _trim_title(doc: Doc, kb, h: Hit) -> None:
    """Curated aliases sometimes carry a title (`الشيخ محمد بن راشد`); the mention is the name."""
    toks = words_at(doc, h.start)
    if not toks:
        return
    word = toks[0][2]
    trig = default_triggers()
    for w in (word, word[1:] if word[:1] in "وف" else word):
        n = _match_phrase(trig.titles, toks, 0, w)
        if n and n < len(toks) and toks[n - 1][1] < h.end:
            # only when the rest is itself a name of this person (`رهبر انقلاب` is an epithet
            # as a whole: `انقلاب` alone is no name)
            rest = " ".join(match_key(doc.norm_folded[toks[n][0]:h.end]).split())
            info = kb.keys.get(rest)
            if info is not None and any(kb.entries[i].id == h.entry.id for i, _ in info.entries):
                h.start = toks[n][0]
            return


# Generic place words that some aliases start with (قطاع غزة، مدينة غزة، مخيم بلاطة): the entity is the
# specific place, the mention is the name after the cue word (the corpus convention).
_PLACE_CUES = {"قطاع", "مدينه", "شهر", "نوار", "city", "مخيم"}


def _trim_cue(doc: Doc, h: Hit) -> None:
    toks = words_at(doc, h.start, 2)
    if len(toks) == 2 and toks[1][0] < h.end:
        w = toks[0][2]
        if w in _PLACE_CUES or (w[:1] in "وفب" and w[1:] in _PLACE_CUES):  # وقطاع غزة
            h.start = toks[1][0]


class _Occupancy:
    """Which characters of doc.norm already belong to a mention."""

    __slots__ = ("flags",)

    def __init__(self, n: int) -> None:
        self.flags = bytearray(n + 1)

    def free_span(self, s: int, e: int) -> bool:
        return not any(self.flags[s:e])

    def take(self, s: int, e: int) -> None:
        self.flags[s:e] = b"\1" * (e - s)

    def free(self, s: int, e: int) -> None:
        self.flags[s:e] = b"\0" * (e - s)


def _whole_words(norm: str, s: int, e: int) -> tuple[int, int]:
    while s > 0 and norm[s - 1].isalnum():
        s -= 1
    while e < len(norm) and norm[e].isalnum():
        e += 1
    while e > s and not norm[e - 1].isalnum():
        e -= 1
    return s, e


def _strip_clitics(key: str) -> list[str]:
    out = [key]
    for c in _CLITICS:
        if key.startswith(c) and len(key) - len(c) >= 3:
            if c.endswith("ك") and len(key) - len(c) <= KA_SHORT_NAME:
                continue  # كاسيا is no ك + آسيا (the gazetteer's rule)
            out.append(key[len(c):])
            if c.endswith("ل") and c != "ل" and not c.endswith("ال"):
                out.append("ا" + key[len(c) - 1:])
    return out


@lru_cache(maxsize=1 << 14)
def _clitic_keys(text: str) -> tuple[str, ...]:
    """The match key of a span's text, then its forms without proclitics (memoized: the tagger
    finds the same names article after article)."""
    return tuple(_strip_clitics(match_key(text)))


def _lookup(kb, t: _Mention, padded: str, context: set, arabic: bool) -> Entry | None:
    """The KB entry a tagger span names by its own text (proclitics stripped), of the tagger's
    type; a place only where the gazetteer's own guards would accept it (`بريمن` with no cue is
    a football club more often than the city)."""
    if not t.key_text:
        return None
    for i, key in enumerate(_clitic_keys(t.key_text)):
        best = kb.best(key, context, arabic)
        if best is not None and best[1] == "name":
            entry = best[0]
            if entry.type != t.type:
                return None
            if entry.type == "LOC" and not place_ok(entry, kb.keys[key], key, i > 0, padded, t.start + 1, context):
                return None
            return entry
    return None


def _propagate_names(doc: Doc, mentions: list[_Mention], occupied: _Occupancy) -> None:
    """A person named in full once (`سيرغي لافروف`) is the same person when the article later
    writes the surname alone without a title: add those mentions (whole words, proclitics kept)."""
    names = {}
    for m in mentions:
        if m.type == "PERSON" and m.entry is None and m.method != "tagger":
            words = match_key(doc.norm_folded[m.start:m.end]).split()
            if len(words) >= 2 and len(words[-1]) >= 4:
                names.setdefault(words[-1], m.method)
    text = doc.norm_folded
    for surname, method in names.items():
        pos = text.find(surname)
        while pos >= 0:
            s, e = _whole_words(text, pos, pos + len(surname))
            prefix = text[s:pos]
            if e == pos + len(surname) and prefix in ("", "و", "ل", "ب", "ف") and occupied.free_span(s, e):
                occupied.take(s, e)
                mentions.append(_Mention(s, e, "PERSON", method, conf=CONF_PATTERN * 0.9))
            pos = text.find(surname, pos + len(surname))


_PROCLITICS = ("", "و", "ف", "ب", "ل", "وب", "ول", "فب", "فل", "ك")
_ARABIC_LETTER = re.compile(r"[\u0620-\u064a]")


def _propagate_recognized(doc: Doc, mentions: list[_Mention], occupied: _Occupancy, padded: str) -> None:
    """A name recognised once in the article (by a pattern or the tagger) is the same name where
    it recurs as whole words, with or without a proclitic (`البنك التجاري` ... `للبنك التجاري`):
    those occurrences become mentions of the same type (and entry) when nothing else took them."""
    seen: dict[str, _Mention] = {}
    for m in mentions:
        if m.method in ("pattern", "tagger") and m.type in ("PERSON", "ORG") and m.ref is None:
            words = doc.norm_folded[m.name_start:m.end].split()
            if not words:
                continue
            words[0] = _bare_name(words[0])
            key = " ".join(words)
            if len(key) < 4 or key in seen:
                continue
            if len(words) == 1 and _inflected_elsewhere(key, padded):
                continue
            seen[key] = m
    if not seen:
        return
    text = doc.norm_folded
    for key, src in seen.items():
        for form in (key, "ل" + key[1:]) if key.startswith("ال") else (key,):
            pos = text.find(form)
            while pos >= 0:
                s, e = _whole_words(text, pos, pos + len(form))
                if e == pos + len(form) and text[s:pos] in _PROCLITICS and occupied.free_span(s, e):
                    occupied.take(s, e)
                    m = _Mention(s, e, src.type, src.method, src.entry, conf=src.conf * 0.9)
                    m.name_start = pos
                    mentions.append(m)
                pos = text.find(form, pos + len(form))


_ARTICLE_FORMS = frozenset(("ال", "وال", "بال", "فال", "كال", "لل", "ولل"))
_PLURAL_PREFIXES = frozenset(("", "و", "ب", "ل")) | _ARTICLE_FORMS
_NOUN_ENDINGS = frozenset(("ا", "ات", "ين", "ون", "ان"))
_NUMBER_WORDS = frozenset(("مليون", "مليار", "الف", "الاف", "ملايين", "مليارات"))


def _inflected_elsewhere(word: str, padded: str) -> bool:
    """A one-word Arabic name does not take the article or plural/accusative endings, nor follow a
    number; an ordinary noun the tagger once read as a name does (`محافظة` ... `المحافظة`,
    `والمحافظات`; `ريالا`, `مليون ريال`). Such a word is not propagated through the article.
    Only the places where the stem occurs are looked at (str.find), word by word."""
    if word.startswith("ال") or not _ARABIC_LETTER.match(word):
        return False
    stem = word[:-1] if word.endswith("ه") else word
    pos = padded.find(stem)
    while pos >= 0:
        s = padded.rfind(" ", 0, pos) + 1
        e = padded.find(" ", pos)
        prefix, rest = padded[s:pos], padded[pos + len(stem):e]
        if rest == word[len(stem):]:  # the word itself: with the article, or after a number?
            if prefix in _ARTICLE_FORMS:
                return True
            if not prefix:
                prev = padded[padded.rfind(" ", 0, s - 1) + 1:s - 1]
                if prev in _NUMBER_WORDS or prev[:1].isdigit():
                    return True
        elif rest in _NOUN_ENDINGS and prefix in _PLURAL_PREFIXES:
            return True
        pos = padded.find(stem, e)
    return False


def _bare_name(word: str) -> str:
    """The first word of a name without a و/ف/ب/ل proclitic (`للبنك` -> `البنك`)."""
    if word.startswith("لل") and len(word) > 4:
        return "ا" + word[1:]
    if word[:1] in "وفبل" and len(word) > 3 and not word.startswith("ال"):
        rest = word[1:]
        return "ا" + rest[1:] if rest.startswith("لل") else rest
    return word


def _title_back_references(doc: Doc, mentions: list[_Mention], occupied: _Occupancy) -> None:
    """`وزير الخارجية الروسي سيرغي لافروف ... وقال الوزير الروسي`: a later title phrase that
    only one person in the article carries, with no name after it, refers back to that person.
    Phrases: the whole title (two words or more) and ال + its first word + its last word
    (`الوزير الروسي`). A phrase two people share refers to neither."""
    owners: dict[str, set] = {}
    first: dict[str, _Mention] = {}
    for m in mentions:
        if m.type != "PERSON" or not m.role_span:
            continue
        words = match_key(doc.norm_folded[m.role_span[0]:m.role_span[1]]).split()
        words[0] = _bare(words[0]) if len(words[0]) > 4 else words[0]
        phrases = {" ".join(words)} if len(words) >= 2 else set()
        if len(words) >= 2 and words[-1].startswith("ال") and not words[0].startswith("ال") and not words[0].isascii():
            phrases.add("ال" + words[0] + " " + words[-1])
        key = m.entry.id if m.entry is not None else " ".join(match_key(doc.norm_folded[m.start:m.end]).split())
        for p in phrases:
            owners.setdefault(p, set()).add(key)
            first.setdefault(p, m)
    text = doc.norm_folded
    trig = default_triggers()
    for phrase, keys in owners.items():
        if len(keys) != 1:
            continue
        ref = first[phrase]
        pos = text.find(phrase)
        while pos >= 0:
            s, e = _whole_words(text, pos, pos + len(phrase))
            after = words_at(doc, e, 1)
            named_next = after and (after[0][2] in trig.given or not occupied.free_span(after[0][0], after[0][1]))
            if (e == pos + len(phrase) and text[s:pos] in ("", "و", "ف") and s > ref.start
                    and occupied.free_span(s, e) and not named_next):
                occupied.take(s, e)
                m = _Mention(s, e, "PERSON", "pattern", ref.entry, conf=CONF_PATTERN * 0.8)
                m.ref = ref
                mentions.append(m)
            pos = text.find(phrase, pos + len(phrase))


def _link(doc: Doc, mentions: list[_Mention]) -> list[dict]:
    mentions.sort(key=_BY_SPAN)
    groups: dict[str, dict] = {}
    order: list[str] = []
    unlinked: list[_Mention] = []
    for m in mentions:
        if m.entry is not None:
            gid = m.entry.id
            g = groups.get(gid)
            if g is None:
                g = groups[gid] = {"entry": m.entry, "type": m.entry.type, "mentions": [], "demonyms": []}
                order.append(gid)
            (g["demonyms"] if m.kind == "demonym" else g["mentions"]).append(m)
        else:
            unlinked.append(m)

    # Names without an id: group by words; a shorter name inside exactly one longer name of the
    # same type is that entity (surname alone, first+last of a three-word name).
    unlinked.sort(key=lambda m: (-(m.end - m.start), m.start))
    # Candidates are looked up by word: a name equal to or inside another shares its first word.
    named_by_word: dict[str, list[tuple[tuple, str]]] = {}
    group_of: dict[int, str] = {}
    refs = [m for m in unlinked if m.ref is not None]
    for m in unlinked:
        if m.ref is not None:
            continue
        words = _name_words(doc.norm_folded[m.start:m.end])
        if not words:
            continue
        target = None
        for words2, gid in named_by_word.get(words[0], ()):
            if groups[gid]["type"] == m.type and (words == words2 or _contained(words, words2)):
                if target is not None and target != gid:
                    target = "ambiguous"
                    break
                target = gid
        if target is None or target == "ambiguous":
            gid = _local_id(m.type, words)
            if gid not in groups:  # same words: same entity
                groups[gid] = {"entry": None, "type": m.type, "mentions": [], "demonyms": []}
                order.append(gid)
            for w in set(words):
                named_by_word.setdefault(w, []).append((words, gid))
            target = gid
        groups[target]["mentions"].append(m)
        group_of[id(m)] = target
    for m in refs:  # title back-references join their person's group
        gid = group_of.get(id(m.ref))
        if gid is not None:
            groups[gid]["mentions"].append(m)

    total = max(len(doc.norm), 1)
    body_start = _norm_body_start(doc)
    counts = {gid: len(g["mentions"]) + 0.5 * len(g["demonyms"]) for gid, g in groups.items()}
    top = max(counts.values(), default=1) or 1
    # Only a separate JSON title gives mentions a "field"; only a title span inside the body
    # makes `_in_title` look at positions (the two exclude each other).
    split_title = bool(doc.body_offset)
    title_span = doc.raw.title_span
    out = []
    for gid in order:
        g = groups[gid]
        ms, ds = g["mentions"], g["demonyms"]  # lists of this call only: sorted in place
        if len(ms) > 1:
            ms.sort(key=_BY_START)
        if len(ds) > 1:
            ds.sort(key=_BY_START)
        located = [_located(doc, m) for m in ms]
        demonyms = [_located(doc, m) for m in ds] if ds else []
        entry: Entry | None = g["entry"]
        # both lists are sorted by start: the earliest mention is at the head of one of them
        first = min(ms[0].start, ds[0].start) if ms and ds else (ms or ds)[0].start
        if split_title:
            in_title = any("field" in x for x in located) or any("field" in x for x in demonyms)
        else:
            in_title = title_span is not None and _in_title(doc, ms + ds)
        in_lead = any(body_start <= m.start < body_start + LEAD_CHARS for m in ms)
        salience = (0.45 * counts[gid] / top + 0.25 * (1 - first / total)
                    + 0.2 * in_title + 0.1 * in_lead)
        if not ms:
            salience *= 0.5  # known only through an adjective
        roles = []
        for m in ms:
            if m.role_span:
                r = doc.locate(*m.role_span)["text"]
                if r not in roles:
                    roles.append(r)
        if entry is not None:
            name = entry.name.get("en") or entry.name.get(doc.language) or next(iter(entry.name.values()), None)
            native = entry.name.get(doc.language) if doc.language != "en" else None
            native = native or next((entry.name.get(k) for k in ("ar", "fa") if entry.name.get(k)), None)
            subtype, qid, geo, country = entry.subtype, entry.qid, entry.geonames_id, entry.country
        else:
            longest = max(ms, key=lambda m: (m.end - m.name_start, -m.start))
            s, e = doc.original_span(longest.name_start, longest.end)
            text = doc.original[s:e]  # what doc.locate(...)["text"] gives
            name, native = (text, None) if text.isascii() else (text, text)
            subtype = qid = geo = country = None
        conf = max(map(_CONF, ms + ds))
        out.append({
            "id": gid, "type": g["type"], "subtype": subtype, "name": name, "native_name": native,
            "qid": qid, "geonames_id": geo, "country": country, "roles": roles,
            "salience": round(min(1.0, salience), 3), "confidence": round(conf, 3),
            "mentions": located, "demonym_mentions": demonyms,
        })
    out.sort(key=lambda e: (-e["salience"], e["id"]))
    return out


_BY_START = operator.attrgetter("start")
_BY_SPAN = operator.attrgetter("start", "end")
_CONF = operator.attrgetter("conf")


@lru_cache(maxsize=1 << 14)
def _local_id(typ: str, words: tuple[str, ...]) -> str:
    """The deterministic id of a name without a KB entry (memoized: names recur across articles)."""
    return f"local:{typ.lower()}:" + hashlib.sha1(" ".join(words).encode()).hexdigest()[:12]


@lru_cache(maxsize=1 << 14)
def _name_words(folded: str) -> tuple[str, ...]:
    """The words of a name as `_link` groups them (match key, proclitics off); memoized: the same
    names recur across articles."""
    return tuple(_bare(w) for w in match_key(folded).split())


def _bare(word: str) -> str:
    if word.startswith("لل") and len(word) > 4:  # للبنك = ل + البنك
        return "ا" + word[1:]
    for c in ("و", "ب", "ل", "ف"):
        if word.startswith(c) and len(word) > 4:
            return word[1:]
    return word


def _contained(short: tuple, long: tuple) -> bool:
    if len(short) >= len(long):
        return False
    n = len(short)
    return any(long[i:i + n] == short for i in range(len(long) - n + 1)) or (
        n == 2 and short[0] == long[0] and short[-1] == long[-1])


def _located(doc: Doc, m: _Mention) -> dict:
    # doc.original_span + doc.locate_original, inlined (called for every mention of the article)
    origin = doc.norm_origin
    s = origin[m.start]
    e = origin[m.end - 1] + 1 if m.end > m.start else s
    original = doc.original
    while e < len(original) and original[e] in _MARKS:  # a final vowel mark belongs to the word
        e += 1
    off = doc.body_offset
    if s < off:
        return {"span": [s, e], "text": original[s:e], "field": "title", "method": m.method}
    return {"span": [s - off, e - off], "text": original[s:e], "method": m.method}


def _norm_body_start(doc: Doc) -> int:
    if doc.body_offset == 0:
        return 0
    return bisect.bisect_left(doc.norm_origin, doc.body_offset)


def _in_title(doc: Doc, ms) -> bool:
    span = doc.raw.title_span
    if span is None or doc.body_offset:
        return False
    return any(span[0] <= doc.norm_origin[m.start] < span[1] for m in ms)
