"""Per-language date vocabulary (service/data/dates/<lang>.json) and the patterns built from it.

Each language file lists month names per calendar, weekdays, ordinals, relative words, units and
modifiers in natural spelling.  Here every entry is normalized with `normalize_key` (the same
folding `doc.norm_folded` has) and turned into longest-first alternations, which are assembled
into ~25 small compiled patterns, one per expression shape ("branch": day-month-year, relative
day, weekday, time range, ...).  Branch-local groups are named `<branch>_<slot>`.  An
Aho-Corasick automaton of the entries that can open a branch (plus digits) tells the extractor
where to try which branches, so an article is scanned once, not once per branch or word.

Adding a language = adding a JSON file with the same keys.  Unknown languages get the
language-neutral branches only (ISO and numeric dates).
"""

from __future__ import annotations

import json
import re

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..text.matcher import Matcher
from ..text.normalize import normalize_key

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "dates"

# Spaces between words of one expression: normalized text has plain spaces; never cross a newline
# (title and body are separated by a blank line).
S = " {1,3}"
S0 = " {0,3}"
SEP = "[ ,]{1,4}"  # between a day/month and a year: "12 November, 2023"

DAY_NUM = r"(?:3[01]|[12]\d|0?[1-9])(?!\d)"
YEAR_NUM = r"(?:1[3-9]\d\d|20\d\d)(?![\d:])"
MONTH_NUM = r"(?:1[0-2]|0?[1-9])(?!\d)"
EN_SUFFIX = r"(?:st|nd|rd|th)?"
D12 = r"\d{1,2}"
D2 = r"\d\d"
MINUTE = r"[0-5]\d"
DIGITS3 = r"\d{1,3}(?!\d)"
DECADE_NUM = r"(?:1[89]|20)?[0-9]0"
DIGIT = "<digit>"


def _alt(words, *, min_len: int = 1) -> str:
    """Alternation of normalized words (multi-word entries match 1-3 spaces), as a prefix trie: the
    regex engine then tests each character once instead of every word in turn (long word lists such as
    month names or "twenty-one" ... "fifty-nine" are tried at many positions).  The trie prefers the
    longer word, like a longest-first alternation."""
    keys = {normalize_key(w) for w in words if len(normalize_key(w)) >= min_len}
    if not keys:
        return "(?!)"  # matches nothing: the slot is absent in this language
    return "(?:" + _trie_rx(_trie(keys)) + ")"


def _trie(words) -> dict:
    """Character trie of `words`; the key "" marks the end of a word."""
    root: dict = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}
    return root


def _trie_rx(node: dict) -> str:
    alts, optional = [], "" in node
    for ch in sorted(c for c in node if c):
        alts.append((S if ch == " " else re.escape(ch)) + _trie_rx(node[ch]))
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return "(?:" + body + ")?" if optional else body


def _start_finder(lx: Lexicon, opens: dict) -> None:
    """Without proclitics, find candidate starts with two regexes instead of a Python loop over every
    automaton hit (in English most hits are "a", "in", "on" inside longer words).  Both patterns open
    with a character class, so the regex engine skips ahead in C: `starts` matches the character before
    a word start (the text gets a leading space) and captures the longest entry there; `digit_starts`
    captures the entry at a digit and swallows the rest of the number.  Entries that are prefixes of
    the captured one and end at a non-letter open their branches too: the union is kept per entry.
    The classes test ASCII only; the extractor checks the exact rule (str.isalpha) on each hit."""
    def trie(words, end):
        def rx(node):
            alts = [re.escape(ch) + rx(node[ch]) for ch in sorted(c for c in node if c)]
            if "" in node:
                alts.append(end)  # after the longer entries: the regex takes the longest
            return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return rx(_trie(words))
    digit = [w for w in opens if w[0].isdigit()]
    word = [w for w in opens if not w[0].isdigit()]
    lx.starts = re.compile(rf"[^a-zA-Z](?=({trie(word, '(?![a-zA-Z])')}))") if word else None
    # (the rest of the number only after a digit: "4th2" holds a second number)
    lx.digit_starts = re.compile(rf"({trie(digit, '')})(?:(?<=[0-9])[0-9]+)?") if digit else None
    for w in opens:
        names = set()
        for i in range(1, len(w) + 1):
            p = w[:i]
            if p in opens and (i == len(w) or w[0].isdigit() or not w[i].isalpha()):
                names |= opens[p]
        lx.start_names[w] = tuple(sorted(names, key=lx.order.get))


def _norm_map(mapping: dict) -> dict:
    return {normalize_key(k): v for k, v in mapping.items()}


def key(text: str) -> str:
    """Lookup key for a matched slot (whitespace collapsed; the text is already normalized)."""
    return " ".join(text.split())


@dataclass
class Lexicon:
    language: str
    months: dict = field(default_factory=dict)  # key -> (calendar, month)
    ambiguous_months: set = field(default_factory=set)
    weekdays: dict = field(default_factory=dict)  # key -> ISO weekday 0=Monday
    ambiguous_weekdays: set = field(default_factory=set)
    ordinals: dict = field(default_factory=dict)
    cardinals: dict = field(default_factory=dict)
    relative_days: dict = field(default_factory=dict)
    parts_of_day: dict = field(default_factory=dict)
    parts_of_day_after: dict = field(default_factory=dict)
    tonight: dict = field(default_factory=dict)
    now: set = field(default_factory=set)
    units: dict = field(default_factory=dict)
    dual_units: dict = field(default_factory=dict)
    unit_nouns: dict = field(default_factory=dict)
    modifiers_after: dict = field(default_factory=dict)
    modifiers_before: dict = field(default_factory=dict)
    ago_before: set = field(default_factory=set)
    ago_after: set = field(default_factory=set)
    later_before: set = field(default_factory=set)
    later_after: set = field(default_factory=set)
    am: set = field(default_factory=set)
    pm: set = field(default_factory=set)
    night_of: set = field(default_factory=set)
    calendar_suffixes: dict = field(default_factory=dict)
    decades: dict = field(default_factory=dict)
    year_blockers: set = field(default_factory=set)
    time_fractions: dict = field(default_factory=dict)
    period_parts: dict = field(default_factory=dict)
    ordinals_quarter: dict = field(default_factory=dict)
    ordinals_half: dict = field(default_factory=dict)  # "the first half of 2016" -> 1
    named_times: dict = field(default_factory=dict)
    span_units: dict = field(default_factory=dict)
    span_dual_units: dict = field(default_factory=dict)
    span_counts: dict = field(default_factory=dict)
    time_zones: dict = field(default_factory=dict)
    minute_numbers: dict = field(default_factory=dict)  # "خمس وعشرين" -> 25 ("الثامنة وخمس وعشرين دقيقة")
    ordinals_week: dict = field(default_factory=dict)  # "الأسبوع الثالث من" -> 3, "الأخير" -> -1
    # "الجمعة الأولى من" -> 1 (feminine or "الأخير" only: "يوم الاثنين الرابع من شوال" is the 4th)
    ordinals_nth_weekday: dict = field(default_factory=dict)
    equivalence: re.Pattern | None = None  # "الموافق" between a Hijri and a Gregorian date
    holidays: dict = field(default_factory=dict)
    # Parts of day without a day ("في الصباح", "في وقت متأخر من المساء", "الصباح الباكر") and the
    # early/late modifiers that narrow them; adverbs ("صباحا") only ever join a day.
    bare_parts: dict = field(default_factory=dict)
    part_adverbs: dict = field(default_factory=dict)
    part_mods_before: dict = field(default_factory=dict)
    part_mods_after: dict = field(default_factory=dict)
    span_before: dict = field(default_factory=dict)  # "آخر 3 سنوات": -1
    # "سأعود يوم الأحد الثاني." (a masculine ordinal ending the clause: the nth weekday of the month)
    ordinals_weekday_end: dict = field(default_factory=dict)
    nth_weekday_before: dict = field(default_factory=dict)  # "أول يوم جمعة من يوليو" -> 1
    modifiers_after_far: dict = field(default_factory=dict)  # "الأسبوع بعد المقبل" -> 2
    bare_period_prep: re.Pattern | None = None  # "منذ بداية العام", "بنهاية العام": a bare period needs one
    hour_words: dict = field(default_factory=dict)  # "السابعة" -> 7: a bare hour, only next to a day
    night_pm: set = field(default_factory=set)  # "12 في الليل" is midnight
    end_of_day_words: set = field(default_factory=set)  # "نهاية اليوم": 23:59 of that day
    part_no_halves: set = field(default_factory=set)  # "فجر" is MO but not 08-10: never split into halves
    bare_part_prep: re.Pattern | None = None
    hour_range_to: re.Pattern | None = None  # "إلى", not "و"/"-": an unmarked hour range needs a real "to"
    week_before: re.Pattern | None = None  # "الأسبوع المقبل الاثنين": a week right before an ambiguous weekday
    wd_clock_after: re.Pattern | None = None  # "الاثنين 8-9 صباحا": a marked clock right after an ambiguous weekday
    week_of: re.Pattern | None = None  # "أسبوع 16 سبتمبر": the week holding that day
    wd_range_after: re.Pattern | None = None  # "... من الثلاثاء إلى الخميس": a weekday that opens a range
    wd_range_before: re.Pattern | None = None  # "بين الجمعة والأحد": an ambiguous weekday ending a range
    branches: dict = field(default_factory=dict)  # branch name -> compiled pattern
    order: dict = field(default_factory=dict)  # branch name -> priority (lower wins)
    automaton: object = None  # first words -> (length, is_digit, branches they open)
    starts: re.Pattern | None = None  # without proclitics: where a word entry begins (_start_finder)
    digit_starts: re.Pattern | None = None  # without proclitics: where a digit entry begins
    start_names: dict = field(default_factory=dict)  # entry -> branches opened by it and its prefix entries
    proclitics: str = ""
    future: re.Pattern | None = None
    range_to: re.Pattern | None = None
    range_from: re.Pattern | None = None
    joiner: re.Pattern | None = None
    prep_before: re.Pattern | None = None
    count_before: re.Pattern | None = None
    point_modifiers: set = field(default_factory=set)
    year_words: set = field(default_factory=set)
    vague_plural_units: set = field(default_factory=set)  # "منذ سنوات": no count, no date
    count_part: re.Pattern | None = None  # one count of a compound duration
    year_number_words: dict = field(default_factory=dict)  # "ألفين" -> 2000, "وعشرين" -> 20
    year_number_rx: re.Pattern | None = None
    year_centuries: dict = field(default_factory=dict)  # "تسعة عشر" -> 19 ("تسعة عشر تسعة وتسعين" = 1999)
    year_pair_rx: re.Pattern | None = None  # (hundreds, rest) of such a year
    today_block: re.Pattern | None = None  # "اليوم الوطني": اليوم starting a name
    rules: dict = field(default_factory=dict)  # the conventions profile's switches (empty: the news reading)
    clock_minutes: dict = field(default_factory=dict)  # "half" -> 30, "a quarter" -> 15, "twenty" -> 20
    clock_hours: dict = field(default_factory=dict)  # "seven" -> 7 ("half past seven")
    quarter_blocked_mods: set = field(default_factory=set)  # "the last quarter" is the fourth (or a match's)
    month_range_after: re.Pattern | None = None
    within_words: set = field(default_factory=set)  # "within 5 days": a stretch from publication, not a point
    clock_and_words: set = field(default_factory=set)  # "و" joins two clocks into a range only after "بین"
    latin: bool = False  # written in Latin script (English): some shapes differ (see _build)
    two_digit_years: str = ""  # "05/05/89": "month_first" (English) or "day_first" (Arabic); "" = not read
    name_before: re.Pattern | None = None  # "عين اليوم": a newspaper called اليوم


def _load_json(language: str) -> dict:
    path = DATA_DIR / f"{language}.json"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


CONVENTIONS = ("news", "recognizers")  # reading conventions a language file may define (see docs/dates.md)


def _with_conventions(data: dict, conventions: str) -> tuple[dict, dict]:
    """The language data with a conventions profile applied, and the profile's code switches.

    A profile (`"conventions": {"recognizers": {...}}` in the language file) may `extend` a word
    list or map, `replace` a key, and set `rules` read by the resolvers; "news" is the file as it
    is. A language without the profile reads every text the news way."""
    if conventions not in CONVENTIONS:
        raise ValueError(f"unknown date conventions {conventions!r}; expected one of {', '.join(CONVENTIONS)}")
    profile = (data.get("conventions") or {}).get(conventions) or {}
    if not profile:
        return data, {}
    data = dict(data)
    for name, more in profile.get("extend", {}).items():
        old = data.get(name)
        data[name] = {**(old or {}), **more} if isinstance(more, dict) else list(old or []) + list(more)
    data.update(profile.get("replace", {}))
    rules: dict = {}
    for name, value in profile.get("rules", {}).items():  # word lists and maps folded like every key
        if isinstance(value, list):
            value = frozenset(normalize_key(w) for w in value)
        elif isinstance(value, dict):
            value = _norm_map(value)
        rules[name] = value
    return data, rules


def _build(language: str, conventions: str = "news") -> Lexicon:
    data, rules = _with_conventions(_load_json(language), conventions)
    lx = Lexicon(language=language)
    lx.rules = rules
    lx.two_digit_years = data.get("two_digit_years", "")
    for calendar, names in data.get("months", {}).items():
        for name, month in names.items():
            lx.months.setdefault(normalize_key(name), (calendar, month))
    lx.ambiguous_months = {normalize_key(w) for w in data.get("ambiguous_months", [])}
    lx.weekdays = _norm_map(data.get("weekdays", {}))
    lx.ambiguous_weekdays = {normalize_key(w) for w in data.get("ambiguous_weekdays", [])}
    for name in ("ordinals", "cardinals", "relative_days", "parts_of_day", "parts_of_day_after", "tonight",
                 "units", "dual_units", "unit_nouns", "modifiers_after", "modifiers_before",
                 "calendar_suffixes", "decades", "time_fractions", "period_parts", "ordinals_quarter", "ordinals_half",
                 "named_times", "holidays", "span_units", "span_dual_units", "span_counts",
                 "time_zones", "minute_numbers", "ordinals_week", "ordinals_nth_weekday", "bare_parts",
                 "part_adverbs", "part_mods_before", "part_mods_after", "hour_words", "span_before",
                 "ordinals_weekday_end", "nth_weekday_before", "modifiers_after_far", "clock_minutes", "clock_hours"):
        setattr(lx, name, _norm_map(data.get(name, {})))
    for name in ("now", "ago_before", "ago_after", "later_before", "later_after", "am", "pm", "night_of",
                 "year_blockers", "point_modifiers", "year_words", "vague_plural_units", "night_pm",
                 "end_of_day_words", "part_no_halves", "quarter_blocked_mods", "within_words", "clock_and_words"):
        setattr(lx, name, {normalize_key(w) for w in data.get(name, [])})

    A = {name: _alt(data.get(name, [])) for name in (
        "weekday_prefixes", "night_of", "day_of", "year_words", "year_of", "month_words", "ago_before",
        "ago_after", "later_before", "later_after", "range_from", "range_to", "time_words", "am", "pm",
        "now", "year_preps", "date_words", "minute_words", "quarter_words", "relative_blockers_after",
        "approx_words", "week_ordinal_words", "rest_words", "from_now", "one_after", "count_joiners", "pm_before", "nth_of", "minus_words",
        "numeric_date_preps", "bare_unit_nouns", "bare_period_after", "bare_day_preps",
        "rest_day_nouns", "minutes_after", "minutes_before", "clock_past", "clock_to", "count_from_date",
        "short_year_words")}
    month = _alt(lx.months)
    weekday = _alt(lx.weekdays)
    weekday_bare = _alt([w[2:] for w in lx.weekdays if w.startswith("ال")])  # "أول يوم جمعة"
    ordinal = _alt(lx.ordinals)
    cardinal = _alt(lx.cardinals)
    units = _alt(lx.units)
    duals = _alt(lx.dual_units)
    unit_nouns = _alt(lx.unit_nouns)
    mod_after = _alt(lx.modifiers_after)
    mod_before = _alt(lx.modifiers_before)
    reldays = _alt(lx.relative_days)
    parts = _alt(lx.parts_of_day)
    parts_after = _alt(lx.parts_of_day_after)
    # Parts of day that may open a weekday ("صباح الأحد"); "ليلة الجمعة" is the night_of reading.
    day_parts = _alt([k for k, v in lx.parts_of_day.items() if v != "NI"])
    tonight = _alt(lx.tonight)
    calsuf = _alt(lx.calendar_suffixes)
    decades = _alt(lx.decades)
    blockers = _alt(lx.year_blockers)
    fracs = _alt(lx.time_fractions)
    pparts = _alt(lx.period_parts)
    qords = _alt(lx.ordinals_quarter)
    named_times = _alt(lx.named_times)
    span_units = _alt(lx.span_units)
    span_duals = _alt(lx.span_dual_units)
    span_counts = _alt(lx.span_counts)
    zones = _alt(lx.time_zones)
    span_count_rx = rf"{span_counts}|(?:ال{S0})?\d{{1,3}}(?!\d)"  # "الساعات الثلاث", "الساعات الـ24"
    mins = rf"(?:{D12}|{_alt(lx.minute_numbers)})"
    holidays = _alt(lx.holidays)
    month_nouns = _alt([k for k, v in lx.unit_nouns.items() if v == "month"])
    latin = lx.latin = language not in ("ar", "fa", "ur", "ps", "ckb")
    day = DAY_NUM + (EN_SUFFIX if latin else r"(?:[.\-/](?= ))?")
    # A year, optionally followed by a calendar suffix ("1445 هـ", "2023م"); the suffix must end a word.
    year = rf"{YEAR_NUM}(?:{S0}{calsuf}(?![^\W\d_]))?"
    # A year in words ("ألفين وثمانية عشر", "two thousand and twenty"): a thousands word and up to
    # four parts, summed by _year_value; only where a digit year would stand.
    ywords = data.get("year_number_words") or {}
    if ywords:
        lx.year_number_words = _norm_map({**ywords["thousands"], **ywords["parts"]})
        yparts = rf"(?:{S0}(?:{_alt(ywords['joiners'])})?{S0}|-)(?:{_alt(ywords['parts'])})"
        # "ألفين" alone is 2000, but "ألف" alone is "a thousand" ("5 مارس ألف شخص"): it needs a part.
        k2 = [w for w, v in ywords["thousands"].items() if v >= 2000]
        k1 = [w for w, v in ywords["thousands"].items() if v < 2000]
        pair = ""
        if ywords.get("centuries"):
            # "تسعة عشر تسعة وتسعين" (1999): hundreds and the rest as two numbers, the English way of
            # saying a year; the rest is 10-99 ("تسعة عشر تسعة" is not a year)
            lx.year_centuries = _norm_map(ywords["centuries"])
            pv = ywords["parts"]
            p1, p20 = _alt([w for w, v in pv.items() if v < 10]), _alt([w for w, v in pv.items() if 20 <= v <= 90 and v % 10 == 0])
            p10, p11 = _alt([w for w, v in pv.items() if v == 10]), _alt([w for w, v in pv.items() if 11 <= v <= 19])
            rest = rf"(?:(?:{p1}){S0}(?:{_alt(ywords['joiners'])}){S0}(?:{p20})|{p20}|(?:{p1}){S}(?:{p10})|{p11}|{p10})"
            lx.year_pair_rx = re.compile(rf"({_alt(lx.year_centuries)}){S}({rest})")
            pair = rf"|{_alt(lx.year_centuries)}{S}{rest}"
        year_in_words = rf"(?:{_alt(k2)}(?:{yparts}){{0,4}}|{_alt(k1)}(?:{yparts}){{1,4}}{pair})(?![^\W\d_])"
        year = rf"(?:{year}|{year_in_words})"
        lx.year_number_rx = re.compile(_alt(lx.year_number_words))
        # "عام مائتين وسبعة وستين": a three-digit year in words, only after a year word (see short_year)
        hundreds = _alt([w for w, v in ywords["parts"].items() if 100 <= v <= 900])
        short_year_words = rf"(?:{hundreds})(?:{yparts}){{0,3}}(?![^\W\d_])"
    else:
        short_year_words = year_in_words = "(?!)"
    # "عام 247", "سنة 980 م": a three-digit year after an indefinite year word ("العام 596 رجلا" is "this
    # year, 596 men")
    # ("عام 300 قبل الميلاد" is BC: not read)
    bc = rf"(?!{S0}{_alt(data['era_before_words'])})" if data.get("era_before_words") else ""
    short_year = rf"(?:[1-9]\d\d(?![\d:]){bc}(?:{S0}{calsuf}(?![^\W\d_]))?|{short_year_words}{bc})"

    def g(branch: str, slot: str, body: str) -> str:
        return f"(?P<{branch}_{slot}>{body})"

    # Month, optionally doubled "تشرين الثاني/نوفمبر" or "نوفمبر (تشرين الثاني)".
    def mon(b: str) -> str:
        return g(b, "mon", month) + rf"(?:{S0}[/(]{S0}{month}\)?)?" + (r"(?:\.(?= ?\d))?" if latin else "")

    # "الشهر المقبل", "هذا الشهر", "next month": a month named relative to publication
    def relmon(b: str) -> str:
        return (rf"(?:{g(b, 'rmodb', mod_before)}{S}{month_nouns}|{month_nouns}{S}{g(b, 'rmoda', mod_after)})")

    def wdpart(b: str) -> str:
        return (rf"(?:(?:{g(b, 'night', A['night_of'])}|{g(b, 'part', day_parts)}(?:{S}{A['weekday_prefixes']})?"
                rf"|{A['weekday_prefixes']}){S})?"
                + g(b, "wd", weekday) + rf"[ ,]{{1,4}}(?:(?:{A['weekday_prefixes']}|{A['date_words']}){S})?")

    def yearpart(b: str) -> str:
        return (rf"(?:{SEP}(?:{A['year_of']}{S})?(?:{A['year_words']}{S})?{g(b, 'year', year)})?")

    num = rf"(?:\d{{1,3}}|{cardinal})"
    # A day of the month in cardinal words ("واحد وعشرين مايو"): the compound numbers up to 31
    day_card = _alt([k for k, v in lx.minute_numbers.items() if 1 <= v <= 31]) if lx.minute_numbers and not latin else "(?!)"
    day_card13 = _alt([k for k, v in lx.minute_numbers.items() if 13 <= v <= 31]) if lx.minute_numbers and not latin else "(?!)"
    # One count of a compound duration ("و 21 يوما", "وساعتين", "وشهر واحد"); see _ago.
    count_part = (rf"(?:(?P<n>{num}){S}(?P<u>{units})|(?P<d>{duals})|(?P<o>{units}))"
                  rf"(?:{S}{A['one_after']}(?![^\W\d_]))?(?![^\W\d_])")
    lx.count_part = re.compile(count_part)
    count_part = re.sub(r"\(\?P<\w+>", "(?:", count_part)  # unnamed inside the branch pattern
    more_counts = rf"(?:{S0}[,،]?{S0}(?:{A['count_joiners']})?{S0}{count_part}){{1,3}}"

    def clock(b: str, i: str) -> str:
        """An hour (digits or "الخامسة"), optional :minutes, fraction ("والنصف"), minutes ("و 30 دقيقة"), am/pm."""
        return (rf"(?:ال{S0})?(?:{g(b, 'h' + i, hour)}(?:[:.]{g(b, 'mi' + i, MINUTE)}(?::{g(b, 's' + i, MINUTE)})?)?(?!\d|[.,]\d)"
                + (")" if latin else rf"|{g(b, 'hw' + i, ordinal)})")  # "at first" is not 1 o'clock
                + rf"(?:{S0}{g(b, 'frac' + i, fracs)}|{S0}و{S0}{g(b, 'mins' + i, mins)}{S}{A['minute_words']})?"
                # "الخامسة والنصف إلا ثلاث دقائق": minutes before the hour
                rf"(?:{S0}{A['minus_words']}{S0}{g(b, 'minus' + i, mins)}{S}{A['minute_words']})?"
                rf"(?:{S0}(?:{g(b, 'am' + i, A['am'])}|{g(b, 'pm' + i, A['pm'])})(?![^\W\d_]))?"
                rf"(?:{S0}\(?{g(b, 'tz' + i, zones)}\)?(?![^\W\d_]))?")  # "بتوقيت مكة المكرمة", "GMT"
    hour = r"(?:[01]?\d|2[0-3])"
    # English clock words: "half", "a quarter", "twenty" (minutes); "seven" (hours); "o'clock"
    cmin = rf"(?:{_alt(lx.clock_minutes)}|[1-5]?\d(?!\d))"
    chour = rf"(?:{_alt(lx.clock_hours)}|1[0-2]|0?[1-9])(?!\d)"
    oclock = r"o['’]? {0,2}clock"

    branches = {
        # "من 12 إلى 15 نوفمبر", "12-15 November 2023", "November 12-15"
        "drange": (rf"(?:{A['range_from']}{S})?{g('drange', 'd1', day)}{S0}{A['range_to']}{S0}{g('drange', 'd2', day)}"
                   rf"(?:{S}{A['day_of']})?{S0}(?:{mon('drange')}{yearpart('drange')}|{relmon('drange')})"
                   + (rf"|{mon('drange2')}{S0}{g('drange2', 'd1', day)}{S0}{A['range_to']}{S0}{g('drange2', 'd2', day)}"
                      rf"{yearpart('drange2')}" if latin else
                      # "في شهر نوفمبر بين 19 و20.": the month first, then its days after "بين"/"من", ending
                      # the clause ("في نوفمبر بين 19 و20 بالمئة" is a share)
                      rf"|(?:{A['month_words']}{S})?{mon('drange3')}{yearpart('drange3')}{S}{A['range_from']}{S}"
                      rf"{g('drange3', 'd1', DAY_NUM)}{S0}{A['range_to']}{S0}{g('drange3', 'd2', DAY_NUM)}"
                      rf"(?={S0}(?:[,،.;:!?؟)\n]|$))" if data.get("month_then_days") else "")),
        # "بين عامي 2019 و2021", "between 2019 and 2021"
        "yrange": (rf"{A['range_from']}{S}(?:{A['year_words']}{S}|{A['year_preps']}{S})?{g('yrange', 'y1', year)}"
                   rf"{S0}{A['range_to']}{S0}(?:{A['year_words']}{S})?{g('yrange', 'y2', year)}"
                   # "2014-2018", "1436-1437 هـ": two digit years joined by a hyphen
                   rf"|(?<![\d/.\-]){g('yrange', 'y3', YEAR_NUM)}{S0}-{S0}{g('yrange', 'y4', year)}(?![-/.]?\d)"
                   # English "2014 to 2018", "2014~2018", "1939 through 1945" (not "1500 to 2000 soldiers")
                   + (rf"|(?<![\d/.\-]){g('yrange', 'y5', YEAR_NUM)}(?:{S0}~{S0}|{S}(?:to|through|till|until){S})"
                      rf"{g('yrange', 'y6', YEAR_NUM)}(?![-/.]?\d|{S0}(?:{blockers}|%))" if latin else "")),
        # "05-Aug-2016", "2019/aug/01", "Sep-23-2020", "Dec-2018": a month name glued between digits
        # with one separator throughout (English only)
        "nmon": ((rf"{g('nmon', 'd', DAY_NUM)}(?P<nmon_s1>[-/.]){g('nmon', 'mon', month)}(?P=nmon_s1){g('nmon', 'y', YEAR_NUM)}"
                  rf"|{g('nmon', 'y2', YEAR_NUM)}(?P<nmon_s2>[-/.]){g('nmon', 'mon2', month)}(?P=nmon_s2){g('nmon', 'd2', DAY_NUM)}"
                  rf"|{g('nmon', 'mon3', month)}(?P<nmon_s3>[-/]){g('nmon', 'd3', DAY_NUM)}(?P=nmon_s3){g('nmon', 'y3', YEAR_NUM)}"
                  rf"|{g('nmon', 'mon4', month)}[-/]{g('nmon', 'y4', YEAR_NUM)}") + r"(?![-/.]?\d)" if latin else "(?!)"),
        # "الجمعة الأولى من رمضان", "the second Monday of next month": waits for the month (see _join)
        "nwday": ((rf"(?:the{S})?{g('nwday', 'ord', _alt(lx.ordinals_nth_weekday))}{S}{g('nwday', 'wd', weekday)}"
                   if latin else
                   rf"(?:(?:{A['weekday_prefixes']}{S})?{g('nwday', 'wd', weekday)}{S}{g('nwday', 'ord', _alt(lx.ordinals_nth_weekday))}"
                   rf"|{g('nwday', 'ordb', _alt(lx.nth_weekday_before))}{S}{A['weekday_prefixes']}{S}{g('nwday', 'wdb', weekday_bare)})")
                  + rf"(?={S}{A['nth_of']}{S})"),
        # "الأحد 28 نوفمبر 2023", "ليلة الجمعة 12 تشرين الثاني/نوفمبر", "الثاني عشر من نوفمبر", "12th of May"
        # "16. نوفمبر. 2016": a dot after the day allows one after the month before the year
        "dmy": (rf"(?:{wdpart('dmy')})?(?:(?:the{S})?{g('dmy', 'day', DAY_NUM + EN_SUFFIX if latin else DAY_NUM + r'(?:[-/](?= ))?')}"
                + ("" if latin else r"(?P<dmy_dot>\.(?= ))?")
                + rf"|{g('dmy', 'ord', ordinal)}|{g('dmy', 'card', day_card)})"
                rf"(?:{S}{A['day_of']})?{S0}(?:{A['month_words']}{S})?(?:{mon('dmy')}"
                + ("" if latin else r"(?(dmy_dot)(?:\.(?= ?\d))?)")
                + rf"{yearpart('dmy')}|{relmon('dmy')})"),
        # "November 12, 2023", "Monday, Jan 4th"
        # ("مايو تسعة وعشرين": a day in cardinal words after the month only when it ends the clause)
        "mdy": (rf"(?:{wdpart('mdy')})?{mon('mdy')}[ .,\-/]{{0,3}}(?:(?:the{S})?{g('mdy', 'day', day)}|{g('mdy', 'ord', ordinal)}"
                rf"|{g('mdy', 'card', day_card)}(?={S0}(?:[,،.;:!?؟)\n]|$)))"
                rf"(?![\d:]){yearpart('mdy')}"),
        # "يوم الجمعة 15،": a weekday and a day of an unnamed month (this month or the last)
        "wdd": (rf"{wdpart('wdd')}" + (rf"(?:the{S})?" if latin else "") + rf"(?:{g('wdd', 'day', DAY_NUM)}"
                # "عدت يوم الجمعة في خمسة عشر.": a day 13-31 in cardinal words after في (a clock is an
                # ordinal word or 1-12: "الليلة في 7")
                + (rf"|في{S}{g('wdd', 'card', day_card13)}" if not latin else "") + ")"
                + (EN_SUFFIX if latin else "") + r"(?![:.]\d)"  # "Thursday 19:00", "يوم الجمعة 15:00" is a clock
                + rf"(?={S0}(?:[,.;:!?)\n]|$|و |and |(?:{A['range_to']}){S}{weekday})"
                # "Friday the 26th at 4", "Monday 21 at 9:30 am": a clock may follow in English
                + (rf"|{S}(?:{A['time_words']}){S}\d|{S}\d{{1,2}}(?:[:.]\d\d)?{S0}(?:{A['am']}|{A['pm']})(?![^\W\d_])"
                   if latin else "") + ")"),
        # "يوم الأحد الثاني.", "الثلاثاء الحادي والثلاثين": a weekday and an ordinal ending the clause
        # (no month follows): the nth weekday of the month (masculine 1-5) or a day of the month (see _wdo)
        "wdo": (rf"{wdpart('wdo')}" + (rf"(?:the{S})?" if latin else "")
                + rf"{g('wdo', 'ord', _alt(list(lx.ordinals) + list(lx.ordinals_weekday_end)))}"
                rf"(?={S0}(?:[,،.;:!?؟)\n]|$))"),
        # "عيد الفطر", "يوم عرفة", "Christmas 2015", "نوروز"
        "hol": (rf"(?:{A['weekday_prefixes']}{S})?" + (rf"(?:{g('hol', 'modb', mod_before)}{S})?" if latin else "")
                + rf"{g('hol', 'name', holidays)}{yearpart('hol')}"
                # "Easter Island", "the Good Friday Agreement" are names
                + rf"(?!{S}{_alt(data.get('holiday_blockers_after', []))}(?![^\W\d_]))"),
        # "2023-11-28", "2023/11/28", "1445/05/14 هـ"
        "ymd": (rf"(?:{wdpart('ymd')})?{g('ymd', 'y', YEAR_NUM)} {{0,2}}(?P<ymd_sep>[-/.]) {{0,2}}{g('ymd', 'm', MONTH_NUM)} {{0,2}}(?P=ymd_sep)"
                rf" {{0,2}}{g('ymd', 'd', DAY_NUM)}(?:{S0}{g('ymd', 'cal', calsuf)}(?![^\W\d_]))?"),
        # "28/11/2023", "28.11.2023", "11/28/2023"
        "dmyn": (rf"(?:{wdpart('dmyn')})?{g('dmyn', 'a', D12)} {{0,2}}(?P<dmyn_sep>[-/.]) {{0,2}}{g('dmyn', 'b', D12)}"
                 rf" {{0,2}}(?P=dmyn_sep) {{0,2}}{g('dmyn', 'y', YEAR_NUM)}(?:{S0}{g('dmyn', 'cal', calsuf)}(?![^\W\d_]))?"),
        # English "from 10/1 to 11/7", "between 5/1-5/7, 2020": a range of month/day pairs after "from"/"between"
        "mdrange": (rf"{A['range_from']}{S}{g('mdrange', 'a', D12)}/{g('mdrange', 'b', D12)}{S0}(?:to|through|until|till|and|-)"
                    rf"{S0}{g('mdrange', 'c', D12)}/{g('mdrange', 'd', D12)}(?:(?:/|,{S0}){g('mdrange', 'y', YEAR_NUM)})?(?![\d/]|{S0}(?:of|%|percent)\b)"  # "from 1/3 to 1/2 of voters" is a share
                    if latin else "(?!)"),
        # "05/05/89", "3-7-07", "18-9-15": a two-digit year (slash or hyphen, never dots: "1.2.16"); English
        # month/day, Arabic day/month ("18-9-15 هـ" would be a Hijri year: left out)
        "dmy2": (rf"(?<![\d/.\-]){g('dmy2', 'a', D12)}(?P<dmy2_sep>[-/]){g('dmy2', 'b', D12)}(?P=dmy2_sep)"
                 rf"{g('dmy2', 'y', D2)}(?![\d/\-]|[.:]\d|{S0}%|{S0}{calsuf}(?![^\W\d_]))" if data.get("two_digit_years") else "(?!)"),
        # "يوم 22/04", "on 4/22": a day and month only after a date word
        "dmn": (rf"(?:{A['weekday_prefixes']}|{A['date_words']}){S}{g('dmn', 'a', D12)}/{g('dmn', 'b', D12)}"
                r"(?![\d/])"
                # "سأعود 22/04.": a zero-padded pair (two digits each, a leading zero) ending the clause is a
                # date without a date word (fractions, scores and article numbers are not zero-padded)
                + (rf"|(?<![\d/.\-])(?=0|\d\d/0){g('dmn', 'a2', D2)}/{g('dmn', 'b2', D2)}(?![\d/])"
                   rf"(?={S0}(?:[,،.;:!?؟)\n]|$))" if data.get("zero_padded_day_month") else "")),
        # "سأعود في 22/4", "حتى 4-22": a day and month after a date preposition, ending the clause
        # ("في 2-3 أيام" is a count, "في 4.22 مليار" a number)
        # "بدأت في 3 أغسطس وانتهت في 15.": a bare day number after a preposition, ending the clause; a
        # helper, kept only after a date with a month earlier in the same sentence (see _bare_days)
        "bdn": (rf"{A['bare_day_preps']}{S}{g('bdn', 'day', DAY_NUM)}(?![.,/:\-]\d)(?={S0}(?:[.,،;:!?؟)\n]|$))"),
        "dmnp": (rf"{A['numeric_date_preps']}{S}{g('dmnp', 'a', D12)}[-/.]{g('dmnp', 'b', D12)}"
                 rf"(?![-/.]?\d)(?={S0}(?:[,،.;:!?؟)\n]|$))"),
        # "3/2015", "2015-3": a month of a year in digits
        "ymn": (rf"{g('ymn', 'y', YEAR_NUM)}[-/.]{g('ymn', 'm', MONTH_NUM)}(?![-/.]?\d)"
                rf"|(?<![\d/.\-]){g('ymn', 'm2', MONTH_NUM)}[-/]{g('ymn', 'y2', YEAR_NUM)}(?![-/.]?\d)"),
        # "نوفمبر 2023", "شهر رمضان 1445 هـ", "November of 2023"
        "my": rf"(?:{A['month_words']}{S})?{mon('my')}{SEP}(?:{A['year_of']}{S})?(?:{A['year_words']}{S})?{g('my', 'year', year)}",
        # "نوفمبر الماضي", "شهر رمضان", "last November"; a bare month name only if it is unambiguous
        "mon": (rf"(?:{g('mon', 'modb', mod_before)}{S})?(?:{g('mon', 'mw', A['month_words'])}{S})?{mon('mon')}"
                rf"(?:{S}{g('mon', 'moda', mod_after)})?"),
        # "مساء أمس", "صباح اليوم", "أول أمس", "yesterday morning", "الليلة", "tonight", "الآن"
        "rel": (rf"(?:{g('rel', 'part', parts)}{S})?{g('rel', 'day', reldays)}(?:{S}{g('rel', 'parta', parts_after)})?"
                rf"(?:{S0}[,(]?{S0}{g('rel', 'wd', weekday)}\)?)?"
                rf"|{g('rel', 'tonight', tonight)}|{g('rel', 'now', A['now'])}"),
        # "الأيام القليلة الماضية", "الأشهر الثلاثة المقبلة", "اليومين الماضيين", "3 أيام القادمة",
        # "the last three weeks", "the next 5 days": a stretch of time ending/starting at publication
        "span": (rf"{g('span', 'units', span_units)}{S}{g('span', 'count', span_count_rx)}{S}{g('span', 'moda', mod_after)}"
                 rf"|{g('span', 'duals', span_duals)}{S}{g('span', 'moda2', mod_after)}"
                 rf"|{g('span', 'num', num)}{S}{g('span', 'unit', units)}{S}{g('span', 'moda3', mod_after)}"
                 # "الثلاثة عقود القادمة", "2 العقود الماضية": the count before the noun
                 + ("" if latin else
                    rf"|{g('span', 'count6', span_count_rx)}{S}{g('span', 'unit6', units)}{S}{g('span', 'moda6', mod_after)}"
                    rf"|{g('span', 'num7', DIGITS3)}{S}{g('span', 'units7', span_units)}{S}{g('span', 'moda7', mod_after)}")
                 + (rf"|(?:the{S})?{g('span', 'modb', mod_before)}{S}{g('span', 'num4', num)}{S}{g('span', 'unit4', units)}"
                    rf"(?!{S}of{S})"  # "the last 3 weeks of this year" is a part of that year (nfirst)
                    if latin else
                    # "آخر 3 سنوات" (not "آخر 3 أيام من رمضان": the last days of something else)
                    rf"|{g('span', 'lastb', _alt(lx.span_before))}{S}{g('span', 'num5', num)}{S}{g('span', 'unit5', units)}"
                    rf"(?!{S}(?:{A['day_of']})(?![^\W\d_]))")),
        # "منذ يومين", "قبل ثلاثة أيام", "بعد أسبوع", "two days ago", "in 3 weeks", "دو روز پیش"
        # (a count without "ago"/"in" is a duration, not a date: one of the two is required)
        "ago": (rf"{g('ago', 'pre', A['ago_before'] + '|' + A['later_before'])}{S}"
                rf"(?:{g('ago', 'num', num)}{S}{g('ago', 'unit', units)}|{g('ago', 'dual', duals)}|{g('ago', 'one', units)})"
                rf"(?:{S}{A['one_after']}(?![^\W\d_]))?"
                # "منذ شهر و21 يوما", "بعد عامين وثلاثة أشهر": a compound count, summed in _ago
                rf"{g('ago', 'more', more_counts)}?"
                rf"(?:{S}{g('ago', 'fromnow', A['from_now'])})?"
                # "قبل يومين من الانتخابات", "بعد ثلاثة أيام على": counted from an event, not from publication
                rf"(?!{S0}(?:\d|(?:{cardinal}{S})?{A['relative_blockers_after']}(?![^\W\d_])|{weekday}))"
                rf"|(?:{g('ago', 'num2', num)}{S}{g('ago', 'unit2', units)}|{g('ago', 'dual2', duals)}|{g('ago', 'one2', units)})"
                # "1 month and 21 days ago", "2 years, 3 months ago"
                + (rf"{g('ago', 'more2', more_counts)}?" if latin else "")
                + rf"{S}{g('ago', 'post', A['ago_after'] + '|' + A['later_after'])}"),
        # "الأسبوع الثالث (من نوفمبر)", "the last week (of July)": joined with the month/year that follows
        "nweek": (rf"(?:the{S})?{g('nweek', 'ord', _alt(lx.ordinals_week))}{S}{A['week_ordinal_words']}(?={S}of{S})"
                  if latin else rf"{A['week_ordinal_words']}{S}{g('nweek', 'ord', _alt(lx.ordinals_week))}"),
        # "بقية العام", "باقي هذا الأسبوع", "the rest of the month": from publication to the end of it
        "rest": (rf"{A['rest_words']}{S}(?:(?:the|{mod_before}){S})?(?:{g('rest', 'noun', unit_nouns)}"
                 rf"|{g('rest', 'day', A['rest_day_nouns'])})"
                 rf"(?:{S}{g('rest', 'moda', mod_after)})?"),
        # "الأسبوع الماضي", "هذا العام", "last week", "هفته گذشته" (a modifier is required)
        "unit": (rf"{g('unit', 'modb', mod_before)}{S}{g('unit', 'noun', unit_nouns)}(?:{S}{g('unit', 'moda', mod_after)})?"
                 rf"|{g('unit', 'noun2', unit_nouns)}{S}{g('unit', 'moda2', mod_after)}"
                 # "الأسبوع بعد المقبل", "العام قبل الماضي": two periods away
                 rf"|{g('unit', 'noun3', unit_nouns)}{S}{g('unit', 'far', _alt(lx.modifiers_after_far))}"
                 # "عطلة نهاية الأسبوع" alone: a noun that names a period without a modifier
                 rf"|{g('unit', 'bare', A['bare_unit_nouns'])}"),
        # "ليلة الجمعة", "يوم الأحد", "الخميس المقبل", "last Friday", "شب جمعه"
        # "صباح الأحد", "مساء يوم الثلاثاء", "الثلاثاء صباحا": the day with its part of day
        "wday": (rf"(?:{g('wday', 'modb', mod_before)}{S})?(?:(?:{g('wday', 'part', day_parts)}{S}"
                 rf"(?:{g('wday', 'modb2', mod_before)}{S})?(?:{A['weekday_prefixes']}{S})?|(?:{g('wday', 'night', A['night_of'])}|"
                 rf"{g('wday', 'pre', A['weekday_prefixes'])}){S}))?{g('wday', 'wd', weekday)}"
                 rf"(?:{S}{g('wday', 'moda', mod_after)})?"
                 rf"(?:{S}{g('wday', 'parta', parts_after)}(?![^\W\d_]))?"),
        # "عام 2023", "سنة 1445 هـ", "in 2019", "2023م": a year needs a year word or a calendar suffix
        "year": (rf"(?:{g('year', 'ctx', A['year_words'] + '|' + A['year_preps'])}{S}{g('year', 'y', year)}"
                 rf"|{g('year', 'y2', YEAR_NUM)}{S0}{g('year', 'cal', calsuf)}(?![^\W\d_])"
                 + (rf"|{A['short_year_words']}{S}{g('year', 'ys', short_year)}" if data.get("short_year_words") else "")
                 # English "in 1969 and 1970", "2014 through May 2018": a bare year right after another date
                 # and a range word (checked in _year; "and"/"to" are too frequent to open the branch)
                 + (rf"|(?<=[ ~\-]){g('year', 'y3', YEAR_NUM)}" if latin else "") + ")"
                 rf"(?!{S0}(?:{blockers}|%|[-/.]\d)" + (rf"|[ \-]{{0,3}}[qh][1-4]\b|[-/.]{month}\b" if latin else "") + ")"),
        # ("in 2017 Q1", "from 2019-aug-01" belong to other branches)
        # "the 19th century", "the twenty-first century" (not "20th Century Fox": century_blockers)
        "cent": (rf"(?:{g('cent', 'n', '[12]?[0-9]')}(?:st|nd|rd|th)|{g('cent', 'ord', ordinal)})[ \-]{{1,3}}century"
                 rf"(?!{S}{_alt(data.get('century_blockers', []))}(?![^\W\d_]))" if latin else "(?!)"),
        # "الثمانينيات", "the 1990s", "the eighties"
        "decade": (rf"{g('decade', 'word', decades)}|(?:the{S})?{g('decade', 'num', DECADE_NUM)}'?s\b"
                   if latin else g('decade', 'word', decades)),
        # "من 5 إلى 6 مساء", "بين الساعة 4 مساء و5 مساء", "from 3:00 to 4:30 pm"
        "trange": (rf"(?:{g('trange', 'from', A['range_from'])}{S})?(?:{g('trange', 'tw1', A['time_words'])}{S0})?{clock('trange', '1')}"
                   rf"{S0}{g('trange', 'to', A['range_to'])}{S0}(?:{g('trange', 'tw2', A['time_words'])}{S0})?{clock('trange', '2')}"
                   rf"(?!{S0}{A['minute_words']})"),  # "الثامنة و20 دقيقة" is 8:20, not 8 to 20
        # "الساعة 5 مساء", "5:30 pm", "at 10 am", "الساعة الخامسة والنصف": a clock needs "الساعة"/"at",
        # a colon, or am/pm
        # ("بعد الظهر الساعة 7": a part of day before the clock makes it pm)
        "time": (rf"(?:{g('time', 'ppre', A['pm_before'])}{S0}(?=\d|{A['time_words']}))?(?:"
                 rf"(?:{g('time', 'tw0', A['time_words'])}{S0})?{g('time', 'named', named_times)}"
                 rf"|(?:{g('time', 'tw', A['time_words'])}{S0}{clock('time', '')}"
                 rf"|{g('time', 'hc', hour)}:{g('time', 'mic', MINUTE)}(?::{g('time', 'sc', MINUTE)})?(?![\d:])"
                 rf"(?:{S0}(?:{g('time', 'amc', A['am'])}|{g('time', 'pmc', A['pm'])})(?![^\W\d_]))?"
                 rf"(?:{S0}\(?{g('time', 'tzc', zones)}\)?(?![^\W\d_]))?"
                 rf"|{g('time', 'hh5', '(?:1[0-2]|[1-9])')}{g('time', 'mm5', MINUTE)}(?!\d){S0}"
                 rf"(?:{g('time', 'am5', A['am'])}|{g('time', 'pm5', A['pm'])})(?![^\W\d_])"
                 rf"|(?:{g('time', 'h3', hour)}" + (rf"(?:\.{g('time', 'mi3', MINUTE)})?" if latin else "")  # "8.10 pm"
                 + rf"|{g('time', 'hw3', ordinal)})(?:{S0}{g('time', 'frac3', fracs)})?{S0}"
                 rf"(?:{g('time', 'am3', A['am'])}|{g('time', 'pm3', A['pm'])})(?![^\W\d_])"
                 # "9 مساءً وثلاثة أرباع": the fraction after am/pm (only when there was none before)
                 rf"(?(time_frac3)|(?:{S0}{g('time', 'frac3b', fracs)}(?![^\W\d_]))?)"
                 rf"(?:{S0}\(?{g('time', 'tz3', zones)}\)?(?![^\W\d_]))?"
                 # "عشرين دقيقة بعد الخامسة", "ثلاث دقائق قبل الثامنة": minutes after/before an hour word
                 + (rf"|{g('time', 'mins6', mins)}{S}{A['minute_words']}{S}(?:{g('time', 'after6', A['minutes_after'])}"
                    rf"|{g('time', 'before6', A['minutes_before'])}){S}{g('time', 'hw6', _alt(lx.hour_words))}"
                    rf"(?:{S0}(?:{g('time', 'am6', A['am'])}|{g('time', 'pm6', A['pm'])})(?![^\W\d_]))?"
                    if data.get("minutes_after") and lx.hour_words else "")
                 # English "half past seven", "ten past 9 in the evening", "a quarter to eight", "20 minutes to
                 # 6", "seven o'clock": minutes after/before an hour; "to" needs "quarter", "minutes" or a
                 # marker after the hour ("from five to ten years" is a count)
                 + (rf"|{g('time', 'mq', cmin)}(?:{S}{g('time', 'mw', 'minutes?|mins?')})?{S}(?:{g('time', 'past', A['clock_past'])}"
                    rf"|{g('time', 'to', A['clock_to'])}){S}{g('time', 'hq', chour)}"
                    rf"(?:(?:{S0}{g('time', 'oc', oclock)})?{S0}(?:{g('time', 'amq', A['am'])}|{g('time', 'pmq', A['pm'])})(?![^\W\d_])"
                    rf"|{S0}{g('time', 'oc2', oclock)}"
                    rf"|(?!{S0}(?:[-:.]\d|(?!(?:and|or|on|at|in|this|tonight|today|tomorrow|yesterday|when|every)\b)[^\W\d_])))"
                    rf"|{g('time', 'ho', chour)}{S0}{oclock}"
                    rf"(?:{S0}(?:{g('time', 'amo', A['am'])}|{g('time', 'pmo', A['pm'])})(?![^\W\d_]))?"
                    if latin and lx.clock_hours else "")
                 # English "nine thirty a m", "at five-thirty", "one in the morning": an hour in words, its
                 # minutes in words; kept with am/pm, or with "at" and minutes (see _clock_words)
                 + (rf"|(?:{g('time', 'tw7', A['time_words'])}{S})?{g('time', 'h7', _alt(lx.clock_hours))}"
                    rf"(?:[ \-]{{1,3}}{g('time', 'm7', _alt([w for w, v in lx.clock_minutes.items() if v >= 10 and w not in ('quarter', 'a quarter', 'half')]))}(?!-))?"
                    rf"(?:{S0}(?:{g('time', 'am7', A['am'])}|{g('time', 'pm7', A['pm'])})(?![^\W\d_]))?"
                    if latin and lx.clock_hours else "")
                 # "الثامنة والنصف", "السابعة إلا ربع": an hour word with a fraction is a clock time
                 + (rf"|{g('time', 'hw4', ordinal)}{S0}(?:{g('time', 'frac4', fracs)}"
                    rf"|و{S0}{g('time', 'mins4', mins)}(?:{S}{A['minute_words']}|(?={S0}(?:{A['am']}|{A['pm']})(?![^\W\d_]))))"
                    rf"(?:{S0}{A['minus_words']}{S0}{g('time', 'minus4', mins)}{S}{A['minute_words']})?"
                    rf"(?:{S0}(?:{g('time', 'am4', A['am'])}|{g('time', 'pm4', A['pm'])})(?![^\W\d_]))?" if not latin else "")
                 + "))"),
        # "الربع الثالث", "the third quarter", "Q3"
        "qtr": (rf"{A['quarter_words']}{S}{g('qtr', 'ord', qords)}"
                # "الربع الثالث من ألفين وعشرين": a year in words (a digit year joins in _pair)
                + (rf"(?:{S}{A['year_of']}{S}(?:{A['year_words']}{S})?{g('qtr', 'yw', year_in_words)})?" if not latin else "")
                + (rf"|(?:the{S})?{g('qtr', 'ord2', qords)}{S}quarter"
                   # "Q3", "Q3 2015", "H1 2016", "2017 Q1", "2019-H2": a quarter or half of a year in short form
                   rf"|{g('qtr', 'qh', '[qh]')}{g('qtr', 'qn', '[1-4]')}(?:(?:{S0}-{S0}|{S}(?:of{S})?){g('qtr', 'y', YEAR_NUM)})?"
                   rf"|{g('qtr', 'y0', YEAR_NUM)}(?:{S0}-{S0}|{S})?{g('qtr', 'qh0', '[qh]')}{g('qtr', 'qn0', '[1-4]')}"
                   # "the first half of 2016" (a half waits for its year: "the first half" of a match is not one)
                   rf"|(?:the{S})?{g('qtr', 'hord', _alt(lx.ordinals_half))}{S}half(?={S}of{S})" if latin else "")),
        # "في الصباح", "في وقت متأخر من المساء", "الصباح الباكر", and "في وقت متأخر من" before
        # "مساء الثلاثاء" (a helper joined with that day); "صباحا" after a date (joined only)
        "dpart": (rf"{g('dpart', 'mod', _alt(lx.part_mods_before))}(?={S}{_alt(lx.parts_of_day)}{S})"
                  rf"|(?:{g('dpart', 'mod2', _alt(lx.part_mods_before))}{S})?{g('dpart', 'bare', _alt(lx.bare_parts))}"
                  rf"(?:{S}{g('dpart', 'moda', _alt(lx.part_mods_after))})?"
                  rf"|{g('dpart', 'adv', _alt(lx.part_adverbs))}"),
        # "في السابعة", "في 7": a bare hour, kept only when it sits next to a day ("الليلة في 7"); "يوم 15"
        # next to a clock ("الساعة 8 مساء يوم 15") is a day of this month
        "btime": (rf"(?:{g('btime', 'hw', _alt(lx.hour_words))}|{g('btime', 'h', '(?:3[01]|[12][0-9]|0?[1-9])')}"
                  rf"(?::{g('btime', 'mi', MINUTE)})?(?![\d/:-]|[.,]\d))" if lx.hour_words else "(?!)"),
        # "ثمانية وأربعين مساء", "خمسة عشر وثلاثين مساء": a clock in cardinal words needs am/pm, and
        # not a day after it ("خمسة وعشرون مساء أمس" is a count of people, then "مساء أمس")
        "tcard": ((rf"{g('tcard', 'h', _alt([k for k, v in lx.minute_numbers.items() if v <= 23]))}"
                   rf"(?:{S0}و{S0}|{S}){g('tcard', 'mi', mins)}{S0}"
                   rf"(?:{g('tcard', 'am', A['am'])}|{g('tcard', 'pm', A['pm'])})(?![^\W\d_])"
                   rf"(?!{S}(?:{reldays}|{weekday}|{A['weekday_prefixes']}|{tonight}))") if not latin else "(?!)"),
        # "two weeks before Christmas", "3 days after January 12th", "four months from tomorrow": a count
        # counted from the date that follows (a helper: "two days after the attack" has no date to join)
        "cnt": (rf"{g('cnt', 'num', num)}{S}{g('cnt', 'unit', units)}{g('cnt', 'more', more_counts)}?{S}"
                rf"{g('cnt', 'dir', A['count_from_date'])}(?={S})" if latin and data.get("count_from_date") else "(?!)"),
        # "the first six months of 2023", "the last 3 weeks of this year": waits for its period (see _pair)
        "nfirst": (rf"{g('nfirst', 'w', 'first|last')}{S}{g('nfirst', 'num', num)}{S}{g('nfirst', 'unit', units)}"
                   rf"(?={S}of{S})" if latin else "(?!)"),
        # "مطلع", "أواخر", "early", "mid-": joined with the month/year/week that follows
        # "بداية العام حتى الآن", "منتصف الشهر.": a part of this week/month/year; the bare noun must end
        # the clause or go on with "و"/"حتى" ("منتصف الشهر نفسه", "نهاية الأسبوع الثاني" are other periods)
        "ppu": (rf"{g('ppu', 'w', pparts)}{S}" + (rf"the{S}" if latin else "") + rf"{g('ppu', 'noun', unit_nouns)}"
                rf"(?={S0}(?:[.,،;:!?؟)\n]|$|(?:{A['bare_period_after']}) ?[^\W\d_]))"),  # "by the end of the year"
        # "the end of 2000", "mid-2001", "late 1989": in English the year is part of the branch (a bare
        # year is not a mention on its own; "late"/"early" would otherwise open the year branch)
        "pp": (rf"{g('pp', 'w', pparts)}(?:{S0}{g('pp', 'y', YEAR_NUM)}(?!'?s\b|{S0}(?:{blockers}|%|[-/.]\d))"
               rf"|(?={S0}[^\W\d_]|[ \-]{{0,3}}{DECADE_NUM}'?s\b|{S0}[12]?\d(?:st|nd|rd|th)[ \-]century))" if latin else rf"{g('pp', 'w', pparts)}(?={S0}[^\W\d_])"),
    }
    if not data:  # unknown language: only the language-neutral numeric shapes
        branches = {k: branches[k] for k in ("ymd", "dmyn")}
    # One compiled pattern per branch, tried only where one of its first words occurs (see below).
    lx.branches = {name: re.compile(rf"(?P<{name}>{rx})(?![^\W_])") for name, rx in branches.items()}

    # Which words can open which branch.  Scanning the text once with an Aho-Corasick automaton of
    # these entries (plus digits) and trying only the branches they open is ~20x cheaper than letting
    # one big alternation try every branch at every position of the article.
    wd_starts = ["night_of", "weekday_prefixes", "@weekdays", "@parts_of_day"]
    starts = {
        "drange": ["range_from", DIGIT] + (["@months"] if latin or data.get("month_then_days") else [])
                  + (["month_words"] if data.get("month_then_days") else []),
        "nmon": [DIGIT, "@months"] if latin else [],
        "yrange": ["range_from", DIGIT],
        "dmy": wd_starts + [DIGIT, "@ordinals"] + (["#the"] if latin else ["@minute_numbers"]),
        "mdy": wd_starts + ["@months"],
        "wdd": wd_starts,
        "hol": ["weekday_prefixes", "@holidays"] + (["@modifiers_before"] if latin else []),
        "ymd": wd_starts + [DIGIT],
        "dmyn": wd_starts + [DIGIT],
        "dmn": ["weekday_prefixes", "date_words"] + ([DIGIT] if data.get("zero_padded_day_month") else []),
        "dmy2": [DIGIT] if data.get("two_digit_years") else [],
        "mdrange": ["range_from"] if latin else [],
        "dmnp": ["numeric_date_preps"],
        "bdn": ["bare_day_preps"],
        "wdo": wd_starts if lx.ordinals_weekday_end or latin else [],
        "ymn": [DIGIT],
        "span": ["@span_units", "@span_dual_units", "@cardinals", DIGIT] + (["#the", "@modifiers_before"] if latin else ["@span_before", "@span_counts"]),
        "my": ["month_words", "@months"],
        "mon": ["@modifiers_before", "month_words", "@months"],
        "ago": ["ago_before", "later_before", "@cardinals", DIGIT, "@units", "@dual_units"],
        "unit": ["@modifiers_before", "@unit_nouns"],
        "rel": ["@parts_of_day", "@relative_days", "@tonight", "now"],
        "wday": ["@modifiers_before"] + wd_starts,
        "year": ["year_words", "year_preps", "short_year_words", DIGIT],
        "decade": ["@decades"] + (["#the", DIGIT] if latin else []),
        "cent": [DIGIT, "@ordinals"] if latin else [],  # "the" before it joins in _cent (it is too frequent to open a branch)
        "trange": ["range_from", "time_words", DIGIT, "@ordinals"],
        "time": ["time_words", DIGIT, "@ordinals", "@named_times", "pm_before"] + (
            ["@minute_numbers"] if data.get("minutes_after") else []) + ["@clock_minutes", "@clock_hours"],
        # ("q1".."h2" as whole entries: a one-letter "q"/"h" would hit inside most words)
        "qtr": ["quarter_words"] + (["#the", "@ordinals_quarter", "@ordinals_half", "#q1", "#q2", "#q3", "#q4", "#h1",
                                     "#h2", DIGIT] if latin else []),
        "ppu": ["@period_parts"],
        "cnt": [DIGIT, "@cardinals"] if latin else [],
        "nfirst": ["#first", "#last"] if latin else [],
        "pp": ["@period_parts"],
        "dpart": ["@part_mods_before", "@bare_parts", "@part_adverbs"],
        "tcard": [] if latin else ["@minute_numbers"],
        "btime": ["@hour_words", DIGIT] if lx.hour_words else [],
        "rest": ["rest_words"],
        "nwday": (["#the", "@ordinals_nth_weekday"] if latin else ["weekday_prefixes", "@weekdays", "@nth_weekday_before"]),
        "nweek": (["#the", "@ordinals_week"] if latin else ["week_ordinal_words"]),
    }
    order = {name: i for i, name in enumerate(lx.branches)}
    opens: dict[str, set] = {}
    for name in lx.branches:
        for src in starts[name]:
            if src == DIGIT:
                words = list("0123456789")
            elif src.startswith("#"):
                words = [src[1:]]
            elif src.startswith("@"):
                words = list(getattr(lx, src[1:]))
            else:
                words = data.get(src, [])
            for w in words:
                # The whole entry, not just its first word: "ما بين" must not fire on every "ما".
                entry = normalize_key(w)
                if entry:
                    opens.setdefault(entry, set()).add(name)
    lx.automaton = Matcher({word: (len(word), word[0].isdigit(), tuple(sorted(names, key=order.get)))
                            for word, names in opens.items()})
    lx.order = order
    lx.proclitics = "" if latin else "وفبل"
    if not lx.proclitics:
        _start_finder(lx, opens)

    fut = [re.escape(normalize_key(w)).replace(r"\ ", " ") for w in data.get("future_cues", [])]
    if data.get("future_prefix_regex"):
        fut.append(data["future_prefix_regex"])
    lx.future = re.compile("|".join(fut)) if fut else None
    if data.get("today_blockers"):
        lx.today_block = re.compile(rf"{S0}{_alt(data['today_blockers'])}(?![^\W\d_])")
    if data.get("today_blocked_before"):
        lx.name_before = re.compile(rf"(?<![^\W\d_]){_alt(data['today_blocked_before'])}{S}\Z")
    if data.get("equivalence_words"):
        lx.equivalence = re.compile(rf"[ ,(]{{0,3}}{_alt(data['equivalence_words'])}[ ,(]{{0,3}}\Z")
    # Prepositions that make an ambiguous month name a month ("في مارس", "in May"); none in Persian,
    # where "در می" is the verb prefix می, not May.
    month_preps = _alt(data.get("month_preps", []))
    lx.prep_before = re.compile(rf"(?<![^\W\d_]){month_preps}{S}\Z") if data.get("month_preps") else None
    # A unit after a vague count is not "one unit ago": "صدها سال پیش", "hundreds of years ago".
    vague = [normalize_key(w) for w in data.get("vague_counts", [])] + [normalize_key(w) for w in data.get("cardinals", {})]
    lx.count_before = re.compile(rf"(?:\d|(?<![^\W\d_]){_alt(vague)}){S}(?:of{S})?\Z") if vague else None
    lx.range_to = re.compile(rf"{S0}{A['range_to']}{S0}\Z")
    # English "Jan-Feb 2017", "from March to May": an ambiguous month that opens a range of months
    lx.month_range_after = re.compile(rf"{S0}{A['range_to']}{S0}{month}(?![^\W\d_])") if latin else None
    week_nouns = _alt([k for k, v in lx.unit_nouns.items() if v == "week"])
    if data.get("bare_period_preps"):
        # a preposition word, or a one-letter one glued to the period word ("بنهاية")
        lx.bare_period_prep = re.compile(rf"(?<![^\W\d_])[وف]?{_alt(data['bare_period_preps'])}(?:{S})?\Z")
    if data.get("week_of_words"):
        lx.week_of = re.compile(rf"(?<![^\W\d_]){_alt(data['week_of_words'])}{S}\Z")
    lx.wd_range_after = re.compile(rf"{S0}{A['range_to']}{S0}(?:{A['weekday_prefixes']}{S})?{weekday}")
    unamb_weekday = _alt([w for w in lx.weekdays if w not in lx.ambiguous_weekdays])
    lx.wd_range_before = re.compile(rf"(?<![^\W\d_])(?:{A['range_from']}{S}{unamb_weekday}{S0}{A['range_to']}"
                                    rf"|{A['weekday_prefixes']}{S}{weekday}{S0}و){S0}\Z")  # "يومي الأحد والاثنين"
    lx.week_before = re.compile(rf"(?:{week_nouns}{S}{mod_after}|{mod_before}{S}{week_nouns})[ ,،]{{1,3}}\Z")
    # "الاثنين 8-9 صباحا", "الأحد الساعة 10": a clock with its marker (a clock word before it, or am/pm
    # after digits or a digit range) makes an ambiguous weekday a weekday ("the two" is never followed by one)
    dclock = r"\d{1,2}(?:[:.][0-5]\d)?"
    lx.wd_clock_after = re.compile(
        rf"[ ,،]{{1,3}}(?:(?:{A['time_words']}){S0}(?:\d|{ordinal})"
        rf"|(?:{A['range_from']}{S})?{dclock}(?:{S0}(?:[-–]|{A['range_to']}){S0}{dclock})?{S0}"
        rf"{_alt([w for w in data.get('am', []) + data.get('pm', []) if len(w) > 1])}(?![^\W\d_]))")  # ("ص" is also a page)
    if data.get("hour_range_to"):
        lx.hour_range_to = re.compile(rf"(?<![^\W\d_]){_alt(data['hour_range_to'])}(?![^\W\d_])")
    if data.get("bare_part_preps"):
        lx.bare_part_prep = re.compile(rf"(?<![^\W\d_]){_alt(data['bare_part_preps'])}{S}\Z")
    lx.range_from = re.compile(rf"(?:^|[\s(]){A['range_from']}{S}\Z")
    # What may sit between a date and a time (or a time and a date) that belong together.
    lx.joiner = re.compile(rf"[ ,،]{{0,3}}(?:(?:{A['weekday_prefixes']}|{A['day_of']}|{A['time_words']}|في|at|on|در){S})?"
                           rf"(?:{A['approx_words']}{S})?\Z")
    return lx


@lru_cache(maxsize=None)
def lexicon(language: str, conventions: str = "news") -> Lexicon:
    """The lexicon for a language code under a reading-conventions profile (cached; built once per
    process)."""
    if conventions not in CONVENTIONS:
        raise ValueError(f"unknown date conventions {conventions!r}; expected one of {', '.join(CONVENTIONS)}")
    name = language if (DATA_DIR / f"{language}.json").exists() else "und"
    if conventions != "news" and not (_load_json(name).get("conventions") or {}).get(conventions):
        return lexicon(language)  # no such profile for this language: the news reading
    return _build(name, conventions)


# Build the shipped languages and their profiles at import time so the first article does not pay
# for it (~40 ms each).
for _path in sorted(DATA_DIR.glob("*.json")):
    for _conventions in CONVENTIONS:
        lexicon(_path.stem, _conventions)
