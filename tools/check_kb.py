"""Check the curated knowledge base of people and organizations.

    python tools/check_kb.py            # validate, print counts; exit 1 on any error
    python tools/check_kb.py --markdown # also print the counts table used in docs/kb-curation.md
    python tools/check_kb.py --corpus   # also review aliases against the development data (if present)

--corpus (development aid, never part of the tests) looks up every alias in ANERcorp train and the
SaudiNewsNet dev sample under <repo>/../shared/data (or $NEWS_ENRICHER_DEV_DATA), with Arabic
proclitics stripped from the first word, and prints (a) aliases whose ANERcorp hits are mostly
untagged tokens (likely ordinary words), (b) the most frequent aliases in the news sample, and
(c) how many ANERcorp PERS/ORG spans are exactly an alias. It prints counts only, never text.

Checks (see docs/kb-curation.md for the rules behind them):
- every line is one JSON object with exactly the agreed keys, written as UTF-8 (no \\u escapes);
- ids are unique; `id` equals `qid` when a QID is given, else `local:person:<slug>` / `local:org:<slug>`;
- type matches the file (people.jsonl = PERSON, orgs.jsonl = ORG), subtype is one of the agreed values;
- every entry has English and Arabic names; each name also appears among that language's aliases;
- ar/fa aliases are Arabic script, en aliases are Latin script;
- no alias (after service.text.normalize.normalize_key) points to two entries, unless it is listed
  in AMBIGUOUS below (truly ambiguous names that news really uses for both);
- no one-word alias is an ordinary word listed in COMMON_WORDS (such names are listed in full only).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from service.text.normalize import normalize_key  # noqa: E402

KB_DIR = ROOT / "service" / "data" / "kb"
FILES = {"people.jsonl": "PERSON", "orgs.jsonl": "ORG",
         # read by the gazetteer only, not by the tagger's features (no retrain needed)
         "gazetteer_only/people.jsonl": "PERSON", "gazetteer_only/orgs.jsonl": "ORG"}
KEYS = {"id", "qid", "type", "subtype", "name", "aliases", "roles", "country"}
LANGS = {"ar", "fa", "en"}
SUBTYPES = {
    "head_of_state", "head_of_government", "minister", "spokesperson", "militant_leader",
    "religious_leader", "politician", "diplomat", "international_org", "ministry", "armed_group",
    "party", "company", "news_agency", "government_body", "military", "court", "ngo", "media",
    "university", "sports_club", "other",
}
QID_RE = re.compile(r"^Q[1-9][0-9]{0,9}$")
LOCAL_RE = {"PERSON": re.compile(r"^local:person:[a-z0-9]+(?:-[a-z0-9]+)*$"),
            "ORG": re.compile(r"^local:org:[a-z0-9]+(?:-[a-z0-9]+)*$")}
ARABIC_SCRIPT = re.compile(r"^[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF\u200c\u200d 0-9()\-./'\"]+$")
LATIN_SCRIPT = re.compile(r"^[A-Za-z+\u00C0-\u024F\u1E00-\u1EFF0-9 .,'&()\-/ʻʼ’]+$")

# Aliases (normalized keys) that news truly uses for more than one entry; allowed to collide.
# Keep this list short and explained in docs/kb-curation.md.
AMBIGUOUS: set[str] = set()

# One-word forms that are ordinary Arabic/Persian/English words: never aliases on their own.
# (The entity is still listed under its full name, e.g. "حركة فتح", "نادي الهلال".)
COMMON_WORDS = {
    normalize_key(w) for w in (
        "الأسد", "أسد", "عون", "سلام", "بري", "فتح", "أمل", "الهلال", "هلال", "النصر", "نصر",
        "الأهلي", "أهلي", "الاتحاد", "اتحاد", "القاعدة", "قاعدة", "الجزيرة", "جزيرة", "العربية",
        "الشباب", "الوحدة", "الرجاء", "رجاء", "العين", "عين", "السد", "سد", "الوداد", "النهضة",
        "الوفاق", "الاستقلال", "استقلال", "الأمل", "الشعب", "الأمة", "الحرية",
        "العدالة", "التنمية", "المستقبل", "مستقبل", "الكتائب", "التقدم", "الإصلاح", "الوطن",
        "البناء", "الفتح", "الدعوة", "الحكمة", "صادق", "أمين", "الأمين", "سعيد", "كريم", "جميل",
        "منصور", "حسن", "رئيس", "الرئيس", "الملك", "الأمير", "الشيخ", "المرشد", "الإمام",
        "البابا", "الخارجية", "الدفاع", "الداخلية", "الجيش", "الحكومة", "المجلس", "البرلمان",
        "دولت", "مجلس", "ارتش", "سپاه", "تیم", "باشگاه", "آمازون", "Apple", "Amazon", "Shell",
        "Total", "Hope", "Future", "Al", "Liberty",
        # surnames that are ordinary words (Raisi = main, Rouhani = spiritual/cleric, Zarif = witty,
        # Musk = mask/holder, Pence = pence/pliers, Kanaani = Canaanite, Mokhber = informant, Kerry = deafness)
        "رئيسي", "روحاني", "روحانی", "ظريف", "ظریف", "ماسك", "ماسک", "بنس", "پنس", "كنعاني",
        "مخبر", "إسلامي", "اسلامی", "کری", "عارف", "شكري", "مرسي", "مرسی",
        # Sadr = chest, Maliki/Jaafari = schools of law, Sudani = Sudanese, Sharaa = religious law,
        # Deif = guest, Hayya = snake, Mishal = torch, Nakhala = bran, Arafat = the mountain, Bennett = girl
        "الصدر", "المالكي", "مالکی", "الجعفري", "السوداني", "الشرع", "الضيف", "الحية", "مشعل",
        "النخالة", "عرفات", "بنت", "اسد", "الحكيم", "المهندس", "الراعي",
        # Sarraj = lamp, Menfi = exiled, Bashir = herald, Burhan = proof, Muttaqi = pious, Cologne
        "السراج", "المنفي", "البشير", "البرهان", "برهان", "متقي", "كولن",
        # Lula = "if not for", Merz = border (fa), Cameron = Cameroon
        "لولا", "مرز", "كاميرون", "کامرون", "محرز",
        # short organization names that are ordinary words (Nusra = support, Hashd = crowd,
        # Ikhwan = brothers, Basij = mobilization, Nujaba = nobles)
        "النصرة", "الحشد", "العصائب", "النجباء", "الإخوان", "اخوان", "بسیج", "پاسداران",
        # agency/party short forms that are words or places (Qena, "with us", Omani, Petra,
        # conscious, loyalty, Anatolia, resurrection)
        "قنا", "بنا", "العمانية", "بترا", "واع", "وفا", "الأناضول", "آناتولی", "البعث", "Fars", "Mehr",
        "Petra", "SPA", "MENA", "Amal",
        # media/company short forms that are words (squares, lighthouse, pyramids, the free,
        # trading, swap, reconstruction, pastures, camels, Amazon river)
        "الميادين", "المنار", "الأهرام", "الحرة", "تداول", "مبادلة", "مبادله", "إعمار", "المراعي",
        "أبل", "أمازون", "الجزیره", "العربیه", "كاف", "الريال", "دورتموند", "میلان", "Milan", "Inter",
        # found with --corpus: the house (Elbit), cup (CAS), pest (EFE in Persian spelling)
        "البيت", "كاس", "افه",
    ) if w
}


def script_ok(lang: str, text: str) -> bool:
    return bool(LATIN_SCRIPT.match(text)) if lang == "en" else bool(ARABIC_SCRIPT.match(text))


def check(markdown: bool = False) -> int:
    errors: list[str] = []
    warnings: list[str] = []
    ids: Counter[str] = Counter()
    qids: Counter[str] = Counter()
    owners: dict[str, set[str]] = defaultdict(set)
    by_subtype: Counter[tuple[str, str]] = Counter()
    lang_cov: Counter[tuple[str, str]] = Counter()
    n_alias: Counter[str] = Counter()
    n_qid: Counter[str] = Counter()

    for fname, etype in FILES.items():
        path = KB_DIR / fname
        if not path.exists():
            errors.append(f"{fname}: missing")
            continue
        for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{fname}:{lineno}"
            if not raw.strip():
                errors.append(f"{where}: empty line")
                continue
            if "\\u" in raw:
                errors.append(f"{where}: ASCII-escaped text; write UTF-8")
            try:
                e = json.loads(raw)
            except json.JSONDecodeError as exc:
                errors.append(f"{where}: invalid JSON ({exc})")
                continue
            if not isinstance(e, dict) or set(e) != KEYS:
                errors.append(f"{where}: keys must be exactly {sorted(KEYS)}")
                continue
            eid, qid = e["id"], e["qid"]
            where = f"{where} {eid}"
            ids[eid] += 1
            if qid is not None:
                qids[qid] += 1
                n_qid[etype] += 1
                if not (isinstance(qid, str) and QID_RE.match(qid)) or eid != qid:
                    errors.append(f"{where}: qid must look like Q123 and equal id")
            elif not (isinstance(eid, str) and LOCAL_RE[etype].match(eid)):
                errors.append(f"{where}: id without qid must be a local:{etype.lower() if etype == 'ORG' else 'person'}:<slug> id")
            if e["type"] != etype:
                errors.append(f"{where}: type {e['type']!r} in {fname} (expected {etype})")
            if e["subtype"] not in SUBTYPES:
                errors.append(f"{where}: unknown subtype {e['subtype']!r}")
            by_subtype[(etype, e["subtype"])] += 1
            c = e["country"]
            if c is not None and not (isinstance(c, str) and re.fullmatch(r"[A-Z]{2}", c)):
                errors.append(f"{where}: country must be ISO 3166-1 alpha-2 or null")
            if not isinstance(e["roles"], list) or not all(isinstance(r, str) and r.strip() for r in e["roles"]):
                errors.append(f"{where}: roles must be a list of non-empty strings")
            name, aliases = e["name"], e["aliases"]
            if not isinstance(name, dict) or not set(name) <= LANGS or not name.get("en") or not name.get("ar"):
                errors.append(f"{where}: name needs at least en and ar (keys among {sorted(LANGS)})")
                continue
            if not isinstance(aliases, dict) or not set(aliases) <= LANGS:
                errors.append(f"{where}: aliases must be an object with keys among {sorted(LANGS)}")
                continue
            for lang in LANGS:
                if name.get(lang):
                    lang_cov[(etype, lang)] += 1
            keys_here: dict[str, str] = {}
            for lang, forms in aliases.items():
                keys_lang: dict[str, str] = {}
                if not isinstance(forms, list) or not all(isinstance(f, str) and f.strip() for f in forms):
                    errors.append(f"{where}: aliases.{lang} must be a list of non-empty strings")
                    continue
                if name.get(lang) and name[lang] not in forms:
                    errors.append(f"{where}: name.{lang} {name[lang]!r} missing from aliases.{lang}")
                for f in forms:
                    if f != f.strip() or "  " in f:
                        errors.append(f"{where}: stray whitespace in alias {f!r}")
                    if not script_ok(lang, f):
                        errors.append(f"{where}: alias {f!r} is not in the script of {lang!r}")
                    k = normalize_key(f)
                    if k in keys_lang:
                        warnings.append(f"{where}: aliases.{lang} {keys_lang[k]!r} and {f!r} normalize the same")
                        continue
                    keys_lang[k] = f
                    keys_here[k] = f
                    n_alias[lang] += 1
                    if " " not in k and k in COMMON_WORDS:
                        errors.append(f"{where}: alias {f!r} is an ordinary word on its own; list the full name")
                    if len(k.replace(" ", "")) < 3 and not k.isascii():
                        errors.append(f"{where}: alias {f!r} is too short to match safely")
            for lang, n in name.items():
                if n and not script_ok(lang, n):
                    errors.append(f"{where}: name.{lang} {n!r} is not in the script of {lang!r}")
            for k in keys_here:
                owners[k].add(eid)

    for i, n in ids.items():
        if n > 1:
            errors.append(f"duplicate id {i} ({n}x)")
    for q, n in qids.items():
        if n > 1:
            errors.append(f"duplicate qid {q} ({n}x)")
    shared = {k: sorted(v) for k, v in owners.items() if len(v) > 1}
    for k, v in sorted(shared.items()):
        if k in AMBIGUOUS:
            print(f"ambiguous (allowed): {k!r} -> {', '.join(v)}")
        else:
            errors.append(f"alias {k!r} points to several entries: {', '.join(v)}")
    for k in sorted(AMBIGUOUS - set(shared)):
        warnings.append(f"AMBIGUOUS lists {k!r} but no two entries share it any more")

    total = sum(by_subtype.values())
    print(f"entries: {total} (PERSON {sum(v for (t, _), v in by_subtype.items() if t == 'PERSON')}, "
          f"ORG {sum(v for (t, _), v in by_subtype.items() if t == 'ORG')}); with QID: "
          f"PERSON {n_qid['PERSON']}, ORG {n_qid['ORG']}")
    print(f"aliases (distinct per entry after normalization): ar {n_alias['ar']}, fa {n_alias['fa']}, en {n_alias['en']}")
    print("names per language: " + ", ".join(f"{t} {l} {lang_cov[(t, l)]}" for t in dict.fromkeys(FILES.values()) for l in ("en", "ar", "fa")))
    if markdown:
        print("\n| type | subtype | entries |\n|---|---|---:|")
        for (t, s), n in sorted(by_subtype.items()):
            print(f"| {t} | {s} | {n} |")
    for w in warnings:
        print("warning:", w)
    for err in errors:
        print("ERROR:", err)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


_PROCLITICS = ("وال", "فال", "بال", "كال", "لل", "ال", "وب", "ول", "وك", "فب", "فل", "و", "ف", "ب", "ل", "ك")


def _first_word_variants(word: str) -> list[str]:
    """The word itself plus its forms without Arabic proclitics (و ف ب ل ك, keeping ال)."""
    out = [word]
    for p in _PROCLITICS:
        if word.startswith(p) and len(word) - len(p) >= 2:
            rest = word[len(p):]
            if p.endswith("ال") or p == "لل":
                out.append("ال" + rest)  # بالأمم -> الأمم, للأمم -> الأمم
                if p in ("ال", "لل"):
                    continue
            else:
                out.append(rest)
    return out


def corpus_report() -> int:
    import gzip
    import os

    data = Path(os.environ.get("NEWS_ENRICHER_DEV_DATA") or ROOT.parent / "shared" / "data")
    aner = data / "ner" / "ar_anercorp_train.jsonl"
    news = data / "news" / "ar_saudinewsnet_dev.jsonl.gz"
    if not aner.exists() and not news.exists():
        print(f"--corpus: development data not found under {data}; nothing to review")
        return 0
    owners: dict[str, set[str]] = defaultdict(set)
    etype: dict[str, str] = {}
    for fname, t in FILES.items():
        for raw in (KB_DIR / fname).read_text(encoding="utf-8").splitlines():
            e = json.loads(raw)
            etype[e["id"]] = t
            for forms in e["aliases"].values():
                for f in forms:
                    owners[normalize_key(f)].add(e["id"])
    max_len = max(len(k.split()) for k in owners)

    def hits(words: list[str]):
        for i in range(len(words)):
            for first in _first_word_variants(words[i]):
                for n in range(max_len, 0, -1):
                    key = " ".join([first] + words[i + 1:i + n])
                    if n <= len(words) - i and key in owners:
                        yield i, n, key
                        break

    if aner.exists():
        tagged: Counter[str] = Counter()
        total: Counter[str] = Counter()
        gold = {"PERS": 0, "ORG": 0}
        gold_hit = {"PERS": 0, "ORG": 0}
        for raw in aner.open(encoding="utf-8"):
            sent = json.loads(raw)
            words = [normalize_key(w) or "_" for w in sent["tokens"]]
            tags = sent["tags"]
            found = {(i, n) for i, n, _ in hits(words)}
            for i, n, key in hits(words):
                total[key] += 1
                if all(t != "O" for t in tags[i:i + n]):
                    tagged[key] += 1
            i = 0
            while i < len(tags):  # gold PERS/ORG spans
                if tags[i].startswith("B-") and tags[i][2:] in gold:
                    j = i + 1
                    while j < len(tags) and tags[j] == "I-" + tags[i][2:]:
                        j += 1
                    gold[tags[i][2:]] += 1
                    gold_hit[tags[i][2:]] += (i, j - i) in found
                    i = j
                else:
                    i += 1
        print("\nANERcorp train: aliases with >= 3 hits of which under half are tagged entities:")
        for key, n in total.most_common():
            if n >= 3 and tagged[key] / n < 0.5:
                print(f"  {key!r}: {tagged[key]}/{n} tagged -> {', '.join(sorted(owners[key]))}")
        for t in gold:
            print(f"ANERcorp train gold {t} spans exactly equal to an alias: {gold_hit[t]}/{gold[t]}")
    if news.exists():
        freq: Counter[str] = Counter()
        docs = 0
        with gzip.open(news, "rt", encoding="utf-8") as fh:
            for raw in fh:
                a = json.loads(raw)
                docs += 1
                words = normalize_key((a.get("title") or "") + " " + (a.get("text") or "")).split()
                words = [w.strip(".,:;!?\"'()[]") for w in words]
                for _, _, key in hits(words):
                    freq[key] += 1
        print(f"\nSaudiNewsNet dev ({docs} articles): the 60 most frequent aliases")
        for key, n in freq.most_common(60):
            print(f"  {n:5d} {key!r} -> {', '.join(sorted(owners[key]))}")
        print(f"distinct aliases seen: {len(freq)}; entries seen: {len({i for k in freq for i in owners[k]})}")
    return 0


if __name__ == "__main__":
    rc = check(markdown="--markdown" in sys.argv[1:])
    if "--corpus" in sys.argv[1:]:
        corpus_report()
    sys.exit(rc)
