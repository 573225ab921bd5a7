"""The agency/outlet registry (service/data/sources/agencies.json) and the cue-word files,
loaded once at import and compiled into a few regular expressions.

Names are matched in the normalized, case-folded text (`doc.norm_folded`): every alias goes
through the same `normalize_key()` as the text, so hamza forms, diacritics, Persian yeh/kaf and
ZWNJ never block a match.  Latin abbreviations (AP, SPA, MAP) are matched case-sensitively in
`doc.norm` because in lower case they are ordinary words.
"""

from __future__ import annotations

import json
import re

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..text.chars import native_class
from ..text.matcher import Matcher
from ..text.normalize import normalize_key

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "sources"
# Arabic proclitics that may be glued to the first word of a name: و ف (and/so), ب ل ك (by/to/as).
PROCLITICS = r"(?:[وف]?[بلك]?)"
# Bounded whitespace between the words of a name (a line break or a double space is fine).
_GAP = r"\s{1,3}"


@dataclass(frozen=True, slots=True)
class Outlet:
    id: str
    kind: str
    name_en: str
    names: dict  # {"en": ..., "ar": ..., "fa": ...}
    country: str
    language: str
    timezone: str
    domains: tuple[str, ...]
    qid: str | None

    def describe(self, language: str | None = None) -> dict:
        native = self.names.get(language or "") if language in ("ar", "fa") else None
        return {"id": self.id, "name": self.name_en, "native_name": native or None, "kind": self.kind,
                "country": self.country, "qid": self.qid}


@dataclass(frozen=True, slots=True)
class NameForm:
    outlet: Outlet
    ambiguous: bool  # counts only with a cue (a city, month or common noun too)
    lam_form: bool = False  # the "ال" lost its alef after a ل proclitic (للجزيرة)
    has_outlet_word: bool = False  # the form itself starts with "وكالة", "خبرگزاری", "newspaper" ...


def _load_json(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _trie_regex(words: list[str]) -> str:
    """A regex alternation organised as a character trie: one pass, no per-alias backtracking."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict) -> str:
        ends = "" in node
        branches = []
        for ch in sorted(k for k in node if k):
            piece = _GAP if ch == " " else re.escape(ch)
            branches.append(piece + emit(node[ch]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Longer names are preferred: the optional tail is greedy.
        return f"(?:{body})?" if ends else body

    return emit(trie)


def _is_latin_abbreviation(text: str) -> bool:
    return text.isascii() and len(text.replace(".", "")) <= 5 and not text.islower() and " " not in text


class Registry:
    def __init__(self, data_dir: Path = DATA_DIR) -> None:
        raw = _load_json(data_dir / "agencies.json")
        cues = {p.stem: _load_json(p) for p in sorted((data_dir / "cues").glob("*.json"))}
        self.cues = cues
        self.outlets: dict[str, Outlet] = {}
        self.forms: dict[str, list[NameForm]] = {}  # normalized folded form -> candidates
        self.cased: dict[str, list[NameForm]] = {}  # Latin abbreviation (exact case) -> candidates
        self.by_domain: dict[str, Outlet] = {}
        outlet_words = {normalize_key(w) for c in cues.values() for w in c.get("outlet_words", [])}
        for e in raw["entries"]:
            o = Outlet(id=e["id"], kind=e["kind"], name_en=e["name"]["en"], names=e["name"],
                       country=e["country"], language=e["language"], timezone=e["timezone"],
                       domains=tuple(e["domains"]), qid=e.get("qid"))
            self.outlets[o.id] = o
            for d in o.domains:
                self.by_domain[d.lower()] = o
            needs_cue = set(e.get("needs_cue", []))
            # Ambiguity belongs to the normalized form: "الرياضي" and "الریاضی" are one key.
            needs_cue_keys = {normalize_key(n) for n in needs_cue}
            names = [n for n in e["name"].values() if n]
            for lang_aliases in e["aliases"].values():
                names.extend(lang_aliases)
            names.extend(e.get("abbreviations", []))
            names.extend(needs_cue)
            for name in names:
                if _is_latin_abbreviation(name):
                    self.cased.setdefault(name, []).append(NameForm(o, name in needs_cue))
                    continue
                key = normalize_key(name)
                if len(key) < 2:
                    continue
                ambiguous = key in needs_cue_keys
                starts_outlet = any(key.startswith(w + " ") for w in outlet_words)
                self._add(key, NameForm(o, ambiguous, has_outlet_word=starts_outlet))
                if key.startswith("ال"):
                    self._add(key[1:], NameForm(o, ambiguous, lam_form=True, has_outlet_word=starts_outlet))
        # Aho-Corasick finds every name in one C-level pass (a 900-way regex alternation cost
        # ~0.4 ms per article).  Keys are " name " with every proclitic variant, searched in a
        # copy of the text whose punctuation is blanked (same length), so each hit is a whole word.
        words: dict[str, tuple[str, int]] = {}
        for key, forms in self.forms.items():
            blank = " ".join(key.translate(BLANK_PUNCT).split())
            for pre in _PROCLITIC_VARIANTS:
                if forms[0].lam_form and not pre.endswith("ل"):
                    continue
                words[" " + pre + blank + " "] = (key, len(pre))
        self.automaton = Matcher(words)
        self.cased_automaton = Matcher({" " + key.translate(BLANK_PUNCT) + " ": key for key in self.cased})
        self.name_re = re.compile(r"(?<!\w)(?P<pre>" + PROCLITICS + r")(?P<name>"
                                  + _trie_regex(list(self.forms)) + r")(?!\w)")
        self.cased_re = re.compile(r"(?<![A-Za-z0-9])(?P<name>" + _trie_regex(list(self.cased))
                                   + r")(?![A-Za-z0-9])")
        # Outlet word right before a name, on the same line ("وكالة" + "فارس", not across the title gap).
        self.outlet_word_end_re = re.compile(
            r"(?<!\w)" + PROCLITICS + "(?:" + _trie_regex(sorted(outlet_words)) + r")[ \t\"']{1,3}\Z")
        self.before_re = _cue_regex([c for v in cues.values() for c in v.get("before", [])], at_end=False)
        self.after_re = _cue_regex([c for v in cues.values() for c in v.get("after", [])], at_end=False)
        # First words of the translation notes: a cheap substring pre-test before the regex.
        self.translation_stems = sorted({normalize_key(c).split()[0] for v in cues.values()
                                         for c in v.get("translation_notes", [])})
        self.translation_re = _cue_regex([c for v in cues.values() for c in v.get("translation_notes", [])],
                                         at_end=False)

    def scan(self, folded: str, norm: str | None = None, prefer: str | None = None
             ) -> list[tuple[int, int, int, NameForm]]:
        """Registry names: (start incl. proclitics, name start, end, form), leftmost longest,
        no overlaps.  Names match whole words, after optional proclitics (و ف ب ل ك)."""
        hits = []
        padded = " " + blank_punct(folded) + " "
        for last, (key, pre_len) in self.automaton.iter(padded):
            # padded index i is text index i - 1; the key has one space on each side
            end = last - 1
            pre = end - len(key) - pre_len
            hits.append((pre, pre + pre_len, end, pick(self.forms[key], prefer)))
        if norm is not None and _HAS_LATIN_CAPS.search(norm):
            padded = " " + blank_punct(norm) + " "
            for last, key in self.cased_automaton.iter(padded):
                end = last - 1
                hits.append((end - len(key), end - len(key), end, self.cased[key][0]))
        hits.sort(key=lambda h: (h[0], -h[2]))
        out, last_end = [], -1
        for h in hits:
            if h[0] >= last_end:
                out.append(h)
                last_end = h[2]
        return out

    def _add(self, key: str, form: NameForm) -> None:
        bucket = self.forms.setdefault(key, [])
        if all(f.outlet.id != form.outlet.id for f in bucket):
            bucket.append(form)

    @lru_cache(maxsize=8192)  # bylines and datelines repeat a lot; the registry never changes
    def lookup_form(self, text: str, prefer: str | None = None) -> NameForm | None:
        """Exact lookup of a whole string (a publisher field, a dateline segment).

        `prefer`: an outlet id (the publisher) that wins when a name fits several outlets
        ("الجزيرة" in a Saudi Al-Jazirah byline is the paper, not the channel)."""
        text = text.strip()
        if text in self.cased:
            return self.cased[text][0]
        key = normalize_key(text)
        forms = self.forms.get(key)
        if forms is None and "." in key:  # "أ. ف. ب" written with spaces after the dots
            forms = self.forms.get(" ".join(key.replace(".", " ").split()))
        if not forms or forms[0].lam_form:
            return None
        return pick(forms, prefer)

    def lookup_name(self, text: str) -> Outlet | None:
        form = self.lookup_form(text)
        return form.outlet if form else None

    def lookup_domain(self, domain: str | None) -> Outlet | None:
        """arabic.cnn.com -> cnn.com: the longest registered parent domain wins."""
        if not domain:
            return None
        parts = domain.lower().strip(".").split(".")
        if parts and parts[0] == "www":
            parts = parts[1:]
        for i in range(len(parts) - 1):
            hit = self.by_domain.get(".".join(parts[i:]))
            if hit:
                return hit
        return None


_PROCLITIC_VARIANTS = ("", "و", "ف", "ب", "ل", "ك", "وب", "ول", "وك", "فب", "فل", "فك")
# Every character that is not part of a word becomes a space in the scanned copy.
_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~«»“”„‘’…–—،؛؟٪٫٬\n\r\t\x0b\x0c\u00a0"
BLANK_PUNCT = str.maketrans({c: " " for c in _PUNCT})  # for the (short) keys
# For whole texts a regex substitution is faster than str.translate with a dict table, and the
# native CharMap (one pass) faster than both.
_PUNCT_RE = re.compile("[" + re.escape(_PUNCT) + "]")
_char_map = native_class("CharMap")
_native_blank = _char_map([(ord(c), ord(" ")) for c in _PUNCT]).apply if _char_map else None
_HAS_LATIN_CAPS = re.compile(r"[A-Z]")


def blank_punct(text: str) -> str:
    """`text` with every character of _PUNCT as a space."""
    return _PUNCT_RE.sub(" ", text) if _native_blank is None else _native_blank(text)[0]


def pick(forms: list[NameForm], prefer: str | None) -> NameForm:
    """The preferred outlet's form when it is a candidate, else the first listed."""
    if prefer is not None and len(forms) > 1:
        for f in forms:
            if f.outlet.id == prefer:
                return f
    return forms[0]


def _proclitic_start(text: str, start: int) -> int | None:
    """Where the word holding a name at `start` begins, if only proclitics precede the name."""
    if start == 0 or not text[start - 1].isalnum():
        return start
    c1 = text[start - 1]
    if c1 in "وفبلك" and (start == 1 or not text[start - 2].isalnum()):
        return start - 1
    if c1 in "بلك" and start >= 2 and text[start - 2] in "وف" and (start == 2 or not text[start - 3].isalnum()):
        return start - 2
    return None


def _cue_regex(phrases: list[str], at_end: bool) -> re.Pattern:
    """Cue phrases, normalized like the text.  A phrase ending in a one-letter proclitic
    ("وفقا ل") glues onto the next word; every other phrase must end at a word boundary."""
    glued, free = [], []
    for p in phrases:
        key = normalize_key(p)
        (glued if key.rsplit(" ", 1)[-1] in ("ل", "ب") and " " in key else free).append(key)
    parts = []
    if free:
        parts.append("(?:" + _trie_regex(free) + r")(?!\w)")
    if glued:
        parts.append("(?:" + _trie_regex(glued) + ")")
    return re.compile(r"(?<!\w)" + PROCLITICS + "(?:" + "|".join(parts) + ")")


REGISTRY = Registry()
