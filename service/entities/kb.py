"""The knowledge base: every named thing the gazetteer can recognize, loaded from data files.

Files (service/data/kb/ unless noted), all optional except the derived country file:
  countries.jsonl      countries, territories, continents (built by tools/build_kb.py)
  cities.tsv           cities from GeoNames (built by tools/build_kb.py)
  places_extra.jsonl   hand-curated regions and places (Gaza Strip, West Bank, ...)
  demonyms.tsv         nationality adjectives -> country (hand-reviewed)
  common_words.txt     one-word aliases that are ordinary words (never matched alone)
  people.jsonl, orgs.jsonl   curated people and organizations (curated-data work)
  gazetteer_only/     more curated data the tagger does NOT read as features (features.py
                       reads only the top folder), so coverage can grow without a retrain:
                       people.jsonl, orgs.jsonl (curated format), places.jsonl (places_extra
                       format), city_aliases.tsv (city_aliases format), common_words.txt
                       (as above), persian_collisions.txt (Persian spellings that are ordinary
                       Arabic words: no name in Arabic documents), wrong_aliases.tsv (entry id,
                       alias: a derived alias that names another entry)
  ../sources/agencies.json   news agencies (sources work), loaded as ORG/news_agency

Each alias becomes a normalized key (service.text.normalize.normalize_key); a key can point to
several entries; ties resolve by tier (curated > country/extra place > city) then population.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from ..text.normalize import normalize_key

DATA = Path(__file__).resolve().parents[1] / "data"
KB_DIR = DATA / "kb"

# Curated records the gazetteer reads but the tagger's features do not (a sub-folder: features.py
# reads only the files of KB_DIR itself), so adding names there needs no retrain.
GAZETTEER_ONLY = "gazetteer_only"

# Tiers: lower wins when one key names several entries.
TIER_CURATED, TIER_PLACE, TIER_DEMONYM, TIER_CITY = 0, 1, 2, 3

# One-word city aliases need this many people (or a cue word such as "مدينة") to be matched:
# in a trial on real news a floor removed every common-word collision (FINDINGS).
CITY_ONE_WORD_MIN_POP = 200_000
# Very short one-word aliases (<= 3 letters) collide even more: they need a large city.
CITY_SHORT_MIN_POP = 1_000_000
# Cities outside the region our news covers most are written in Arabic script mostly through
# GeoNames' alternate names (Persian, Urdu, transliterations) that collide with Arabic words
# (Kyiv as کیف = "how"); one-word aliases of those need a large city or a cue word.
FOREIGN_ONE_WORD_MIN_POP = 1_000_000
REGION = frozenset(
    "SA AE QA KW BH OM YE IQ SY LB JO PS IL EG LY TN DZ MA SD SS MR SO DJ ER IR AF PK TR AZ".split())

_NONWORD = re.compile(r"[^\w]+")
# Persian kaf and yeh: Arabic writes ك and ي, so an alias with either is a Persian spelling.
_PERSIAN_LETTERS = re.compile("[\u06a9\u06cc]")


@lru_cache(maxsize=1 << 16)
def match_key(text: str) -> str:
    """The form keys take inside the matcher: normalized, folded, punctuation -> single space.
    (Memoized: the entity stage asks for the same names again and again, article after article.)"""
    return " ".join(_NONWORD.sub(" ", normalize_key(text)).split())


@dataclass(slots=True)
class Entry:
    id: str
    type: str  # PERSON | ORG | LOC | MISC
    subtype: str | None
    name: dict  # lang -> canonical name
    country: str | None = None
    geonames_id: int | None = None
    qid: str | None = None
    roles: list = field(default_factory=list)
    population: int = 0
    tier: int = TIER_CURATED


@dataclass(slots=True)
class KeyInfo:
    """What one normalized key points at."""

    entries: list  # [(entry index, kind)] kind: "name" | "demonym"
    latin_case: str | None = None  # "upper" (acronym: exact case) | "title" (capitalized) | None
    needs_cue: bool = False  # a small-city one-word alias: only with a cue word before it
    well_known: bool = False  # listed with cue=no in city_aliases.tsv (a proclitic is fine: وجنيف)
    natural: str = ""
    # (entry, kind) pairs reached only through Persian aliases: ترکیه (Türkiye) folds to the
    # Arabic demonym تركية.  In Arabic documents they give way to the key's other readings (best).
    persian_only: frozenset = frozenset()


class KnowledgeBase:
    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.keys: dict[str, KeyInfo] = {}
        self.by_id: dict[str, int] = {}
        self.common_words: set[str] = set()
        self.given_names: set[str] = set()
        # Persian spellings that fold onto ordinary Arabic words (یمن -> يمن "bestows"): in
        # Arabic documents these keys name nothing (gazetteer_only/persian_collisions.txt).
        self.arabic_words: set[str] = set()
        # Outlet names that are also places or words (agencies.json `needs_cue`: `الشرق الأوسط`,
        # `الرياض`): key -> entry index; they name the outlet only inside quotes (`« الشرق الأوسط »`).
        self.quoted_outlets: dict[str, int] = {}
        self._not_persian: dict[str, set] = {}  # while building: key -> pairs with a non-Persian alias

    # -- building ---------------------------------------------------------------------------
    def add_entry(self, entry: Entry) -> int:
        if entry.id in self.by_id:  # same id from two files: keep the first, merge names
            idx = self.by_id[entry.id]
            for lang, n in entry.name.items():
                self.entries[idx].name.setdefault(lang, n)
            return idx
        self.entries.append(entry)
        self.by_id[entry.id] = len(self.entries) - 1
        return len(self.entries) - 1

    def add_alias(self, idx: int, alias: str, kind: str = "name", needs_cue: bool = False,
                  persian: bool | None = None) -> None:
        """`persian`: the alias comes from a Persian list (None: judged by its letters)."""
        key = match_key(alias)
        # Two letters of Arabic script match inside too many words (ان، ات، لي); Latin
        # acronyms (UN, US) are kept: they must match in capitals.
        if len(key.replace(" ", "")) < (2 if key.isascii() else 3):
            return
        info = self.keys.get(key)
        if info is None:
            info = self.keys[key] = KeyInfo(entries=[], natural=alias)
            if alias.isascii() and any(c.isalpha() for c in alias):
                letters = "".join(c for c in alias if c.isalpha())
                info.latin_case = "upper" if letters.isupper() and len(letters) <= 6 else "title"
            info.needs_cue = needs_cue
        elif not needs_cue:
            info.needs_cue = False
        if (idx, kind) not in info.entries:
            info.entries.append((idx, kind))
        if not (_PERSIAN_LETTERS.search(alias) if persian is None else persian):
            self._not_persian.setdefault(key, set()).add((idx, kind))

    def finish(self) -> None:
        """Mark the pairs each key reaches only through Persian aliases."""
        for key, info in self.keys.items():
            written = self._not_persian.get(key, ())
            if len(written) < len(info.entries):
                info.persian_only = frozenset(p for p in info.entries if p not in written)
        self._not_persian = {}

    def best(self, key: str, place_context: set[str] | None = None,
             arabic: bool = False) -> tuple[Entry, str] | None:
        """The entry a key means here: lowest tier, then the article's countries, then population.
        In an Arabic document (`arabic`) a Persian spelling gives way to the key's Arabic reading:
        an entry's Arabic name or demonym, or an ordinary word (`arabic_words`)."""
        info = self.keys.get(key)
        if not info:
            return None
        entries = info.entries
        if arabic:
            if key in self.arabic_words:
                return None
            if info.persian_only:  # the Arabic reading, where the key has one besides the Persian
                entries = [p for p in entries if p not in info.persian_only] or entries
        if len(entries) == 1:  # most keys name one thing: no ranking needed
            idx, kind = entries[0]
            return self.entries[idx], kind
        ctx = place_context or set()

        def rank(item):
            # A place in a country the article names counts eight times its population: enough
            # to prefer Tripoli (LB, 229k) to Tripoli (LY, 1.3M) in a Lebanese story, not enough
            # for Geneva, Illinois (22k) over Geneva (202k) in a story that also names America.
            e = self.entries[item[0]]
            return (e.tier, -e.population * (8 if e.country in ctx else 1), e.id)

        idx, kind = min(entries, key=rank)
        return self.entries[idx], kind


def _read_jsonl(path: Path) -> Iterable[dict]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip() and not line.startswith("#")]


def _aliases(rec: dict) -> list[tuple[str, bool]]:
    """(alias, from a Persian list) of a record's names and aliases."""
    out = [(n, lang == "fa") for lang, n in (rec.get("name") or {}).items() if n]
    for lang, names in (rec.get("aliases") or {}).items():
        out.extend((a, lang == "fa") for a in names if a)
    return out


def _load_curated(kb: KnowledgeBase, records: Iterable[dict]) -> None:
    for rec in records:
        if rec.get("type") not in ("PERSON", "ORG", "LOC", "MISC"):
            continue
        qid = rec.get("qid")
        entry = Entry(
            id=rec.get("id") or qid, type=rec["type"], subtype=rec.get("subtype"),
            name=dict(rec.get("name") or {}), country=rec.get("country"), qid=qid,
            geonames_id=rec.get("geonames_id"), roles=list(rec.get("roles") or []),
            tier=TIER_CURATED,
        )
        if not entry.id:
            continue
        idx = kb.add_entry(entry)
        for alias, persian in _aliases(rec):
            kb.add_alias(idx, alias, persian=persian)


def _load_agencies(kb: KnowledgeBase, path: Path) -> None:
    """The sources work's agency registry (read-only): agencies and outlets as ORG/news_agency.

    Names it marks `needs_cue` (also a city or a common word) are left to the sources stage.
    """
    if not path.exists():
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return
    items = data.get("entries", []) if isinstance(data, dict) else data
    for rec in items if isinstance(items, list) else []:
        if not isinstance(rec, dict) or not rec.get("id"):
            continue
        names = {k: v for k, v in (rec.get("name") or {}).items() if isinstance(v, str) and v}
        qid = rec.get("qid") if isinstance(rec.get("qid"), str) else None
        local = "local:org:" + re.sub(r"[^a-z0-9]+", "-", str(rec["id"]).lower()).strip("-")
        idx = kb.add_entry(Entry(id=qid or local, type="ORG", subtype="news_agency", name=names,
                                 country=rec.get("country"), qid=qid, tier=TIER_CURATED))
        skip = {match_key(a) for a in rec.get("needs_cue") or []}
        aliases = list(names.values()) + list(rec.get("abbreviations") or [])
        for more in (rec.get("aliases") or {}).values():
            aliases.extend(more)
        for alias in aliases:
            key = match_key(alias)
            if isinstance(alias, str) and len(key) >= 3 and key not in skip:
                kb.add_alias(idx, alias)
        for key in skip:
            kb.quoted_outlets.setdefault(key, idx)


def _place_alias_ok(kb: KnowledgeBase, alias: str) -> bool:
    key = match_key(alias)
    return " " in key or key not in kb.common_words


def _load_places(kb: KnowledgeBase) -> None:
    extra = list(_read_jsonl(KB_DIR / "places_extra.jsonl")) + list(_read_jsonl(KB_DIR / GAZETTEER_ONLY / "places.jsonl"))
    for rec in extra:
        idx = kb.add_entry(Entry(
            id=rec["id"], type="LOC", subtype=rec.get("subtype"), name=dict(rec["name"]),
            country=rec.get("country"), geonames_id=rec.get("geonames_id"), tier=TIER_PLACE,
        ))
        for alias, persian in _aliases(rec):
            if _place_alias_ok(kb, alias):
                kb.add_alias(idx, alias, persian=persian)
    iso_index: dict[str, int] = {}
    for rec in _read_jsonl(KB_DIR / "countries.jsonl"):
        idx = kb.add_entry(Entry(
            id=rec["id"], type="LOC", subtype=rec["subtype"], name=dict(rec["name"]),
            country=rec.get("iso"), geonames_id=rec.get("geonames_id"),
            population=rec.get("population") or 0, tier=TIER_PLACE,
        ))
        if rec.get("iso"):
            iso_index[rec["iso"]] = idx
        for alias, persian in _aliases(rec):
            if _place_alias_ok(kb, alias):
                kb.add_alias(idx, alias, persian=persian)
    path = KB_DIR / "demonyms.tsv"
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            iso, lang, form = line.split("\t")[:3]
            if iso in iso_index:
                kb.add_alias(iso_index[iso], form, kind="demonym")
    path = KB_DIR / "cities.tsv"
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or not line.strip():
                continue
            gid, cc, pop, name_en, ar_names, en_names = line.split("\t")
            pop = int(pop)
            entry = Entry(id=f"geonames:{gid}", type="LOC", subtype="city", name={"en": name_en},
                          country=cc, geonames_id=int(gid), population=pop, tier=TIER_CITY)
            idx = None
            for alias in [a for a in ar_names.split("|") + en_names.split("|") if a]:
                key = match_key(alias)
                if key in kb.common_words or key in kb.given_names:  # فلاديمير: a name, not the city
                    continue
                info = kb.keys.get(key)
                # Never let a city alias shadow a country, a person or a demonym.
                if info and any(kb.entries[i].tier < TIER_CITY for i, _ in info.entries):
                    continue
                one_word = " " not in key
                needs_cue = one_word and (
                    pop < CITY_ONE_WORD_MIN_POP or (len(key) <= 3 and pop < CITY_SHORT_MIN_POP)
                    or (cc not in REGION and pop < FOREIGN_ONE_WORD_MIN_POP))
                if idx is None:
                    if not alias.isascii():
                        entry.name.setdefault("ar", alias)
                    idx = kb.add_entry(entry)
                kb.add_alias(idx, alias, needs_cue=needs_cue)


def _load_city_aliases(kb: KnowledgeBase) -> None:
    lines = []
    for path in (KB_DIR / "city_aliases.tsv", KB_DIR / GAZETTEER_ONLY / "city_aliases.tsv"):
        if path.exists():
            lines += path.read_text(encoding="utf-8").splitlines()
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        gid, alias, cue = (line.split("\t") + ["", ""])[:3]
        idx = kb.by_id.get(f"geonames:{gid.strip()}")
        if idx is None:
            continue
        if alias.strip() and alias.strip() != "-":
            kb.add_alias(idx, alias.strip(), needs_cue=cue.strip() != "no")
        if cue.strip() == "no":
            for key in [match_key(n) for n in kb.entries[idx].name.values() if n] + [match_key(alias)]:
                info = kb.keys.get(key)
                if info is not None and any(i == idx for i, _ in info.entries):
                    info.needs_cue = False
                    info.well_known = True


def _drop_wrong_aliases(kb: KnowledgeBase) -> None:
    """gazetteer_only/wrong_aliases.tsv: entry id, alias: a name the derived data gives the wrong
    entry (pycountry's Arabic name of Moldova is the Maldives')."""
    path = KB_DIR / GAZETTEER_ONLY / "wrong_aliases.tsv"
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        entry_id, alias = (part.strip() for part in line.split("\t")[:2])
        key, idx = match_key(alias), kb.by_id.get(entry_id)
        info = kb.keys.get(key)
        if info is None or idx is None:
            continue
        info.entries = [p for p in info.entries if p[0] != idx]
        if not info.entries:
            del kb.keys[key]


def _load_common_words(kb: KnowledgeBase) -> None:
    for path, target in ((KB_DIR / "common_words.txt", kb.common_words),
                         (KB_DIR / GAZETTEER_ONLY / "common_words.txt", kb.common_words),
                         (KB_DIR / GAZETTEER_ONLY / "persian_collisions.txt", kb.arabic_words),
                         (KB_DIR / "given_names.txt", kb.given_names)):
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    target.add(match_key(line))


def build_kb(extra_records: Iterable[dict] = (), curated_files: bool = True) -> KnowledgeBase:
    """Load every KB file; `extra_records` (curated format) are added first (tests, overrides).
    `curated_files=False` leaves out people/orgs/agencies (tests that bring their own)."""
    kb = KnowledgeBase()
    _load_common_words(kb)
    _load_curated(kb, extra_records)
    if curated_files:
        _load_curated(kb, _read_jsonl(KB_DIR / "people.jsonl"))
        _load_curated(kb, _read_jsonl(KB_DIR / "orgs.jsonl"))
        for name in ("people.jsonl", "orgs.jsonl"):
            _load_curated(kb, _read_jsonl(KB_DIR / GAZETTEER_ONLY / name))
        _load_agencies(kb, DATA / "sources" / "agencies.json")
    _load_places(kb)
    _load_city_aliases(kb)
    _drop_wrong_aliases(kb)
    kb.finish()
    return kb


@lru_cache(maxsize=1)
def default_kb() -> KnowledgeBase:
    return build_kb()
