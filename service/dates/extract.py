"""Find temporal expressions in `doc.norm_folded` and resolve them against the publication time.

One pass of the language's precompiled regex (see lexicon.py) yields candidate expressions;
each branch has a small resolver below that turns the matched slots into a `_M` (dates as
`datetime.date`, still in norm offsets).  A second pass over the short list of candidates
joins neighbours: `A to B` into intervals, a date and a clock time into a datetime.
Finally every candidate becomes the output dict (original-text span, ISO value, TIMEX3, flags).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from ..document import Doc
from . import calendars as C
from .lexicon import Lexicon, key, lexicon

# How far around a mention we look for future-tense cues (characters of normalized text):
# about one clause before it and a few words after it.
_TENSE_BEFORE = 60
_TENSE_AFTER = 30
_SENTENCE_END = re.compile(r"[.!?\n]")
_TRAILING = "\u0640\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652"  # tatweel, harakat


@dataclass(slots=True)
class _M:
    s: int
    e: int
    gran: str  # day | month | year | week | decade | datetime | time | interval
    start: date | None = None
    end: date | None = None
    timex: str = ""
    value: str | None = None
    calendar: str = C.GREGORIAN
    cal_value: str | None = None
    relative: bool = False
    anchored: bool = False  # the anchor (publication time) was used to resolve it
    conf: float = 0.9
    flags: list = field(default_factory=list)
    part: str | None = None
    clock: tuple | None = None  # (h, m, s) for times
    clock2: tuple | None = None  # end of a time range
    offset: str | None = None  # UTC offset named in the text ("بتوقيت مكة المكرمة" -> +03:00)
    kind: str = ""  # branch name
    explicit: tuple = (False, False)  # am/pm written with the clock (and the range end): a part of day keeps off


class _Ctx:
    __slots__ = ("doc", "lx", "text", "anchor", "ref", "lang", "found")

    def __init__(self, doc: Doc, lx: Lexicon, anchor: datetime | None) -> None:
        self.doc, self.lx, self.text, self.anchor = doc, lx, doc.norm_folded, anchor
        self.ref = anchor.date() if anchor else None
        self.found: list = []  # items found so far, in text order (see _bdn)
        self.lang = lx.language

    def future(self, s: int, e: int) -> bool:
        """Does the clause around [s, e) speak about the future (سوف، سـ، will, خواهد ...)?"""
        if self.lx.future is None:
            return False
        before = self.text[max(0, s - _TENSE_BEFORE):s]
        cut = None
        for cut in _SENTENCE_END.finditer(before):
            pass
        if cut is not None:
            before = before[cut.end():]
        after = self.text[e:e + _TENSE_AFTER]
        stop = _SENTENCE_END.search(after)
        if stop:
            after = after[:stop.start()]
        return bool(self.lx.future.search(before + " # " + after))


# ---------------------------------------------------------------- helpers

def _g(m: re.Match, branch: str, slot: str) -> str | None:
    name = f"{branch}_{slot}"
    return m.group(name) if name in m.re.groupindex else None


def _iso(d: date) -> str:
    return d.isoformat()


def _month_lookup(lx: Lexicon, text: str) -> tuple[str, int] | None:
    return lx.months.get(key(text))


def _day_value(lx: Lexicon, m: re.Match, branch: str) -> int | None:
    raw = _g(m, branch, "day")
    if raw:
        return int(re.sub(r"\D", "", raw)[:2] or 0) or None
    raw = _g(m, branch, "ord")
    if raw:
        return lx.ordinals.get(key(raw))
    raw = _g(m, branch, "card")
    return lx.minute_numbers.get(key(raw)) if raw else None


def _year_value(raw: str | None, lx: Lexicon) -> tuple[int | None, str | None]:
    """(year, calendar named by a suffix such as هـ / م / ه.ش, or None)."""
    if not raw:
        return None, None
    if not raw[0].isdigit():  # a year in words: the sum of its number words
        pair = lx.year_pair_rx.fullmatch(raw) if lx.year_pair_rx is not None else None
        if pair:  # "تسعة عشر تسعة وتسعين": hundreds, then the rest
            return lx.year_centuries[key(pair.group(1))] * 100 + _year_value(pair.group(2), lx)[0], None
        return sum(lx.year_number_words.get(w.group(), 0) for w in lx.year_number_rx.finditer(raw)), None
    digits = re.match(r"\d{3,4}", raw)
    suffix = raw[digits.end():].strip()
    return int(digits.group()), (lx.calendar_suffixes.get(key(suffix)) if suffix else None)


def _default_calendar(year: int, lang: str) -> str | None:
    """Calendar of a bare year number: 13xx-14xx is Hijri in Arabic and Solar Hijri in Persian."""
    if 1300 <= year < 1600:
        return {"fa": C.SOLAR, "ar": C.HIJRI}.get(lang, C.HIJRI)
    return C.GREGORIAN


def _resolve_day(ctx: _Ctx, cal: str, month: int, day: int, year: int | None, s: int, e: int,
                 flags: list) -> tuple[date, int] | None:
    """Gregorian date for day/month[/year] in `cal`; a missing year is the most recent match on or
    before publication, or the next one when the tense says future."""
    if year is not None:
        d = C.to_gregorian(cal, year, month, day)
        return (d, year) if d else None
    if ctx.ref is None:
        return None
    here = C.from_gregorian(cal, ctx.ref)
    if here is None:
        return None
    future = ctx.future(s, e)
    y = here[0]
    d = C.to_gregorian(cal, y, month, day)
    if d is None:  # e.g. 29 February or day 30 of a short month: try neighbouring years
        for y in (here[0] - 1, here[0] + 1, here[0] - 2, here[0] - 3):
            d = C.to_gregorian(cal, y, month, day)
            if d:
                break
        if d is None:
            return None
    if future and d < ctx.ref:
        nd = C.to_gregorian(cal, y + 1, month, day)
        if nd:
            d, y = nd, y + 1
        flags.append("future_by_tense")
    elif not future and d > ctx.ref:
        pd = C.to_gregorian(cal, y - 1, month, day)
        if pd:
            d, y = pd, y - 1
    elif future:
        flags.append("future_by_tense")
    flags.append("year_inferred")
    return d, y


def _resolve_month(ctx: _Ctx, cal: str, month: int, year: int | None, shift: int | None, s: int, e: int,
                   flags: list) -> tuple[int, tuple[date, date]] | None:
    if year is None:
        if ctx.ref is None:
            return None
        here = C.from_gregorian(cal, ctx.ref)
        if here is None:
            return None
        y, cur = here[0], here[1]
        if shift == 1 or (shift is None and ctx.future(s, e)):
            if month < cur or (shift == 1 and month == cur):
                y += 1
            if shift is None:
                flags.append("future_by_tense")
        elif shift == -1:
            if month >= cur:
                y -= 1
        elif shift is None and month > cur:
            y -= 1
        flags.append("year_inferred")
        year = y
    rng = C.month_range(cal, year, month)
    return (year, rng) if rng else None


def _weekday_check(m_flags: list, d: date, wd: int | None, night: bool) -> None:
    """Flag a weekday that contradicts the date; the date itself is never changed.
    'ليلة الجمعة 12' may name the Thursday the 12th (its evening) or the Friday the 12th."""
    if wd is None:
        return
    actual = d.weekday()
    if actual == wd or (night and actual == (wd - 1) % 7):
        return
    m_flags.append("weekday_mismatch")


def _cal_value(cal: str, y: int, mo: int | None = None, d: int | None = None) -> str | None:
    if cal == C.GREGORIAN:
        return None
    out = f"{y:04d}"
    if mo:
        out += f"-{mo:02d}"
        if d:
            out += f"-{d:02d}"
    return out


def _part_of(m: re.Match, lx: Lexicon, b: str) -> str | None:
    """Part of day named with the weekday of a date branch ("ليلة الجمعة 12" NI, "مساء الأحد 5" EV)."""
    if _g(m, b, "night"):
        return "NI"
    raw = _g(m, b, "part")
    return lx.parts_of_day.get(key(raw)) if raw else None


def _weekday_of(lx: Lexicon, raw: str | None) -> int | None:
    return lx.weekdays.get(key(raw)) if raw else None


# ---------------------------------------------------------------- branch resolvers

def _date_branch(m: re.Match, ctx: _Ctx, b: str) -> _M | None:
    lx = ctx.lx
    day = _day_value(lx, m, b)
    rel = _relmon(m, ctx, b)
    mon = rel or (_month_lookup(lx, _g(m, b, "mon")) if _g(m, b, "mon") else None)
    if mon is None or day is None:
        return None
    cal, month = mon[:2]
    year = mon[2] if rel else _year_value(_g(m, b, "year"), lx)[0]
    if _g(m, b, "card") and year is None:
        if _g(m, b, "mon") and key(_g(m, b, "mon")) in lx.ambiguous_months:
            return None  # "خمسة رمضان", "ثلاثة مارس": a count before a word, not a date
        if b == "dmy" and not _after_prep(ctx, m.start()):
            return None  # "مدينة ستة أكتوبر" is a name: a day in words needs "في"/"منذ"... or a year
    s, e = m.span()
    flags: list = []
    res = _resolve_day(ctx, cal, month, day, year, s, e, flags)
    if res is None:
        return None
    d, y = res
    wd = _weekday_of(lx, _g(m, b, "wd"))
    night = bool(_g(m, b, "night"))
    _weekday_check(flags, d, wd, night)
    timex = (f"{y:04d}" if year is not None else "XXXX") + f"-{month:02d}-{day:02d}"
    if rel:  # "20 من الشهر المقبل": resolved against publication, so the TIMEX is concrete
        return _M(s, e, "day", d, d, _iso(d), relative=True, anchored=True, conf=0.85, flags=flags, kind=b)
    if cal != C.GREGORIAN:
        timex = _iso(d) if year is not None else timex  # TIMEX3 is Gregorian; keep the Hijri in calendar_value
        if year is None:
            timex = "XXXX-XX-XX"
    conf = 0.95 if year is not None else 0.85
    if "weekday_mismatch" in flags:
        conf -= 0.1
    out = _M(s, e, "day", d, d, timex, calendar=cal, cal_value=_cal_value(cal, y, month, day),
             anchored=year is None, conf=conf, flags=flags, kind=b, part=_part_of(m, lx, b))
    return out


def _relmon(m: re.Match, ctx: _Ctx, b: str) -> tuple[str, int, int] | None:
    """(calendar, month, year) of "الشهر المقبل"/"this month" in a date branch, or None."""
    if f"{b}_rmodb" not in m.re.groupindex or ctx.ref is None:
        return None
    modb, moda = _g(m, b, "rmodb"), _g(m, b, "rmoda")
    if not (modb or moda):
        return None
    lx = ctx.lx
    shift = lx.modifiers_before.get(key(modb)) if modb else lx.modifiers_after.get(key(moda))
    if shift is None:
        return None
    d = _add_months(ctx.ref.replace(day=1), shift)
    return C.GREGORIAN, d.month, d.year


def _nmon(m, ctx):
    """"05-Aug-2016", "2019/aug/01", "Sep-23-2020": a full date; "Dec-2018": a month."""
    lx = ctx.lx
    raw_mon = next(r for r in (_g(m, "nmon", k) for k in ("mon", "mon2", "mon3", "mon4")) if r)
    cal, month = lx.months[key(raw_mon)]
    y = int(next(r for r in (_g(m, "nmon", k) for k in ("y", "y2", "y3", "y4")) if r))
    raw_d = next((r for r in (_g(m, "nmon", k) for k in ("d", "d2", "d3")) if r), None)
    s, e = m.span()
    if raw_d is None:
        rng = C.month_range(cal, y, month)
        if rng is None:
            return None
        return _M(s, e, "month", rng[0], rng[1], f"{y:04d}-{month:02d}" if cal == C.GREGORIAN else "",
                  calendar=cal, cal_value=_cal_value(cal, y, month), conf=0.9, kind="my")
    d = C.to_gregorian(cal, y, month, int(raw_d))
    if d is None:
        return None
    return _M(s, e, "day", d, d, _iso(d) if cal == C.GREGORIAN else "", calendar=cal,
              cal_value=_cal_value(cal, y, month, int(raw_d)), conf=0.9, kind="dmy")


def _dmy(m, ctx):
    return _date_branch(m, ctx, "dmy")


def _mdy(m, ctx):
    mon = key(_g(m, "mdy", "mon"))
    # "May 5" style needs a capital for ambiguous English months ("may" the verb).
    if mon in ctx.lx.ambiguous_months and not _capitalized(ctx, m.start("mdy_mon")):
        return None
    return _date_branch(m, ctx, "mdy")


def _after_prep(ctx: _Ctx, pos: int) -> bool:
    """Is the word before `pos` a preposition that introduces a time ("في مارس", "in May")?"""
    return ctx.lx.prep_before is not None and ctx.lx.prep_before.search(ctx.text, max(0, pos - 16), pos) is not None


def _capitalized(ctx: _Ctx, pos: int) -> bool:
    ch = ctx.doc.norm[pos]
    return not ch.isalpha() or not ch.islower()


def _numeric(ctx: _Ctx, m: re.Match, y: int, mo: int, d: int, cal_raw: str | None, flags: list) -> _M | None:
    lx = ctx.lx
    cal = lx.calendar_suffixes.get(key(cal_raw)) if cal_raw else None
    if cal is None:
        cal = _default_calendar(y, ctx.lang)
        if cal != C.GREGORIAN:
            flags.append("calendar_inferred")
    g = C.to_gregorian(cal, y, mo, d)
    if g is None:
        return None
    b = m.lastgroup
    wd = _weekday_of(lx, _g(m, b, "wd")) if b in ("ymd", "dmyn") else None
    _weekday_check(flags, g, wd, bool(_g(m, b, "night")) if b in ("ymd", "dmyn") else False)
    s, e = m.span()
    return _M(s, e, "day", g, g, _iso(g), calendar=cal, cal_value=_cal_value(cal, y, mo, d),
              conf=0.9, flags=flags, kind=b, part=_part_of(m, lx, b) if b in ("ymd", "dmyn") else None)


def _ymd(m, ctx):
    return _numeric(ctx, m, int(_g(m, "ymd", "y")), int(_g(m, "ymd", "m")), int(_g(m, "ymd", "d")),
                    _g(m, "ymd", "cal"), [])


def _dmyn(m, ctx):
    a, b = int(_g(m, "dmyn", "a")), int(_g(m, "dmyn", "b"))
    y = int(_g(m, "dmyn", "y"))
    flags: list = []
    if a > 12 and b <= 12:
        d, mo = a, b
    elif b > 12 and a <= 12:
        mo, d = a, b
    elif ctx.lang == "en":  # US order in English text; both readings are possible
        mo, d = a, b
        if a != b:
            flags.append("ambiguous_day_month_order")
    else:  # day/month order everywhere else (Arabic, Persian, European news)
        d, mo = a, b
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return _numeric(ctx, m, y, mo, d, _g(m, "dmyn", "cal"), flags)


def _mdrange(m, ctx):
    """English "from 10/1 to 11/7": month/day (day/month when the first cannot be a month) to month/day."""
    def md(x: str, y: str) -> tuple[int, int] | None:
        a, b = int(x), int(y)
        mo, d = (b, a) if a > 12 and b <= 12 else (a, b)
        return (mo, d) if 1 <= mo <= 12 and 1 <= d <= 31 else None
    p, q = md(_g(m, "mdrange", "a"), _g(m, "mdrange", "b")), md(_g(m, "mdrange", "c"), _g(m, "mdrange", "d"))
    if p is None or q is None or ctx.ref is None:
        return None
    s, e = m.span()
    flags: list = []
    raw_y = _g(m, "mdrange", "y")
    try:
        if raw_y:  # the year is written once, after the end
            end = date(int(raw_y), *q)
            start = date(end.year if p <= q else end.year - 1, *p)
        else:
            res = _resolve_day(ctx, C.GREGORIAN, p[0], p[1], None, s, e, flags)
            if res is None:
                return None
            start = res[0]
            end = date(start.year if q > p else start.year + 1, *q)
    except ValueError:
        return None
    return _M(s, e, "interval", start, end, f"({_iso(start)},{_iso(end)},P{(end - start).days}D)",
              anchored=not raw_y, conf=0.75, flags=flags, kind="mdrange")


def _dmy2(m, ctx):
    """English "05/05/89": month/day (day/month when the first cannot be a month) and a two-digit year,
    in this century up to 20 years past publication, else the last one ("03/18/40" = 1940). Arabic
    "18-9-15": day/month (month/day when the second cannot be a month)."""
    if ctx.ref is None:
        return None
    a, b = int(_g(m, "dmy2", "a")), int(_g(m, "dmy2", "b"))
    flags: list = []
    if ctx.lx.two_digit_years == "day_first":
        d, mo = (b, a) if b > 12 and a <= 12 else (a, b)
    elif a > 12 and b <= 12:
        d, mo = a, b
    else:
        mo, d = a, b
        if b <= 12 and a != b:
            flags.append("ambiguous_day_month_order")
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    yy = int(_g(m, "dmy2", "y"))
    century = ctx.ref.year // 100 * 100
    y = century + yy if yy <= ctx.ref.year % 100 + 20 else century - 100 + yy
    flags.append("century_inferred")
    return _numeric(ctx, m, y, mo, d, None, flags)


def _dmn(m, ctx, b="dmn"):
    a, b_ = int(_g(m, b, "a") or _g(m, b, "a2")), int(_g(m, b, "b") or _g(m, b, "b2"))
    d, mo = (b_, a) if ctx.lang == "en" else (a, b_)
    if mo > 12 and d <= 12:  # "22/04" in English text is still day/month, "4/22" in Arabic month/day
        d, mo = mo, d
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    flags: list = []
    s, e = m.span()
    if b == "dmnp":
        s = m.start("dmnp_a")  # "في 22/4": the preposition is not part of the date
    res = _resolve_day(ctx, C.GREGORIAN, mo, d, None, s, e, flags)
    if res is None:
        return None
    g, _ = res
    return _M(s, e, "day", g, g, f"XXXX-{mo:02d}-{d:02d}", anchored=True, conf=0.75 if b == "dmn" else 0.65,
              flags=flags, kind=b)


def _bdn(m, ctx):
    # Only right after a Gregorian day-month date of the same sentence with words between ("... 3 أغسطس
    # وانتهت في 15"); else the digits stay free for the other branches ("3 أغسطس في 7" is a clock).
    prev = ctx.found[-1] if ctx.found else None
    n = int(_g(m, "bdn", "day"))
    if (prev is None or prev.gran != "day" or prev.kind not in ("dmy", "mdy") or not prev.start
            or prev.calendar != C.GREGORIAN or prev.start.day >= n or m.start() - prev.e > 80
            or not _WORD.search(ctx.text, prev.e, m.start()) or _SENTENCE_END.search(ctx.text, prev.e, m.start())):
        ref = ctx.ref
        if (ctx.lx.rules.get("bare_day_this_month") and ref and n <= C.month_length(C.GREGORIAN, ref.year, ref.month)
                and (prev is None or m.start() - prev.e > 6)  # "الليلة في 7": an hour of that night
                and not _month_follows(ctx, m.end())):  # "يوم 2. أكتوبر" is a date
            # conventions profile: "عدت إلى 27" is the 27th of the publication month
            d = ref.replace(day=n)
            return _M(m.start("bdn_day"), m.end(), "day", d, d, f"XXXX-XX-{n:02d}", anchored=True, conf=0.5,
                      flags=["month_inferred", "year_inferred"], kind="bdnp")
        return None
    out = _M(m.start("bdn_day"), m.end(), "bdn", None, None, "", kind="bdn")  # waits for a month (see _week_ranges)
    out.clock = (int(_g(m, "bdn", "day")),)
    return out


def _month_follows(ctx: _Ctx, pos: int) -> bool:
    """Does a month name follow ("يوم 2. أكتوبر")?"""
    mm = _NEXT_WORDS.match(ctx.text, pos)
    return mm is not None and any(key(w) in ctx.lx.months for w in (mm.group(1), mm.group(0).strip(" .")))


_NEXT_WORDS = re.compile(r"[ .,]{0,3}([^\W\d_]+)(?: [^\W\d_]+)?")


def _dmnp(m, ctx):
    return _dmn(m, ctx, "dmnp")


def _my(m, ctx):
    lx = ctx.lx
    mon = _month_lookup(lx, _g(m, "my", "mon"))
    if mon is None:
        return None
    cal, month = mon
    year, _ = _year_value(_g(m, "my", "year"), lx)
    s, e = m.span()
    rng = C.month_range(cal, year, month)
    if rng is None:
        return None
    return _M(s, e, "month", rng[0], rng[1], f"{year:04d}-{month:02d}" if cal == C.GREGORIAN else "",
              calendar=cal, cal_value=_cal_value(cal, year, month), conf=0.9, kind="my")


def _mon(m, ctx):
    lx = ctx.lx
    raw = key(_g(m, "mon", "mon"))
    mon = lx.months.get(raw)
    if mon is None:
        return None
    modb, mw, moda = _g(m, "mon", "modb"), _g(m, "mon", "mw"), _g(m, "mon", "moda")
    if raw in lx.ambiguous_months and not (modb or mw or moda or _after_prep(ctx, m.start())
                                           or _in_month_range(ctx, m.start(), m.end())):
        return None
    if ctx.lang == "en" and raw in lx.ambiguous_months and not _capitalized(ctx, m.start("mon_mon")):
        return None
    if ctx.lang == "en" and raw in lx.ambiguous_months and not _capitalized(ctx, m.start("mon_mon")):
        return None  # "may", "march" are words first
    shift = lx.modifiers_before.get(key(modb)) if modb else (lx.modifiers_after.get(key(moda)) if moda else None)
    cal, month = mon
    s, e = m.span()
    flags: list = []
    if shift and lx.rules.get("named_month_shift_by_year") and cal == C.GREGORIAN and ctx.ref is not None:
        # conventions profile: "سبتمبر الماضي" is September of last year, "المقبل" of next year
        y = ctx.ref.year + shift
        first, last = C.month_range(C.GREGORIAN, y, month)
        return _M(s, e, "month", first, last, f"{y:04d}-{month:02d}", relative=True, anchored=True,
                  conf=0.8, flags=flags, kind="mon")
    res = _resolve_month(ctx, cal, month, None, shift, s, e, flags)
    if res is None:
        return None
    y, (first, last) = res
    timex = f"XXXX-{month:02d}" if shift is None else f"{first.year:04d}-{first.month:02d}"
    if cal != C.GREGORIAN:
        timex = ""
    return _M(s, e, "month", first, last, timex, calendar=cal, cal_value=_cal_value(cal, y, month),
              relative=shift is not None, anchored=True, conf=0.8 if (modb or mw or moda) else 0.7,
              flags=flags, kind="mon")


def _in_month_range(ctx: _Ctx, s: int, e: int) -> bool:
    """English "Jan-Feb", "from March to May", "between March and May": an ambiguous month name right
    after another month and a range word, or right before them."""
    lx = ctx.lx
    if not lx.latin:
        return False
    prev = ctx.found[-1] if ctx.found else None
    if prev is not None and prev.gran in ("month", "day") and s - prev.e <= 12 and lx.range_to.match(ctx.text[prev.e:s]):
        return True
    return bool(lx.month_range_after.match(ctx.text, e))


def _add_months(d: date, n: int) -> date:
    y, mo = divmod(d.month - 1 + n, 12)
    y += d.year
    mo += 1
    last = C.month_length(C.GREGORIAN, y, mo)
    return date(y, mo, min(d.day, last))


def _ago(m, ctx):
    lx = ctx.lx
    if ctx.ref is None:
        return None
    pre = _g(m, "ago", "pre")
    post = _g(m, "ago", "post")
    num_raw = _g(m, "ago", "num") or _g(m, "ago", "num2")
    unit_raw = _g(m, "ago", "unit") or _g(m, "ago", "unit2")
    dual = _g(m, "ago", "dual") or _g(m, "ago", "dual2")
    one = _g(m, "ago", "one") or _g(m, "ago", "one2")
    if dual:
        n, unit = 2, lx.dual_units.get(key(dual))
    elif one:
        if pre and key(pre) in lx.rules.get("later_needs_count", ()):
            return None  # "في شهر رمضان" is not "in one month", "في أيام" not "in some days"
        if key(one) in lx.vague_plural_units:
            # "قبل أيام", "years ago": a time before (after) publication, but how long is not said:
            # no value rather than a wrong "one day ago"; TIMEX3 PAST_REF / FUTURE_REF.
            word = key(pre or post)
            past = word in lx.ago_before or word in lx.ago_after
            s, e = m.span()
            unit = lx.units.get(key(one))
            return _M(s, e, "datetime" if unit in ("hour", "minute") else unit, None, None,
                      "PAST_REF" if past else "FUTURE_REF", relative=True, anchored=True, conf=0.6,
                      flags=["vague"], kind="vague")
        if lx.count_before is not None and lx.count_before.search(ctx.text, max(0, m.start() - 16), m.start()):
            return None
        n, unit = 1, lx.units.get(key(one))
    else:
        n = int(num_raw) if num_raw.isdigit() else lx.cardinals.get(key(num_raw))
        unit = lx.units.get(key(unit_raw))
    if not n or not unit:
        return None
    counts = [(n, unit)]
    more = _g(m, "ago", "more") or _g(m, "ago", "more2")
    for part in lx.count_part.finditer(more or ""):  # "منذ شهر و21 يوما": sum the counts
        if part.group("d"):
            counts.append((2, lx.dual_units.get(key(part.group("d")))))
        elif part.group("o"):
            if key(part.group("o")) in lx.vague_plural_units:
                return None
            counts.append((1, lx.units.get(key(part.group("o")))))
        else:
            raw = part.group("n")
            counts.append((int(raw) if raw.isdigit() else lx.cardinals.get(key(raw)), lx.units.get(key(part.group("u")))))
    months = days = minutes = 0
    for k, u in counts:
        if not k or u not in _COUNT_UNITS:
            return None
        factor, kind_ = _COUNT_UNITS[u]
        if kind_ == "m":
            months += k * factor
        elif kind_ == "d":
            days += k * factor
        else:
            minutes += k * factor
    word = key(pre or post)
    sign = -1 if word in lx.ago_before or word in lx.ago_after else 1
    s, e = m.span()
    ref = ctx.ref
    if (len(counts) == 1 and word in lx.rules.get("later_span_words", ()) and unit in lx.rules.get("later_last_unit", ())
            and not _g(m, "ago", "fromnow") and months):
        # conventions profile: "بعد 3 سنوات" is the third year from publication, a one-year stretch
        start = _add_months(ref, months - _COUNT_UNITS[unit][0]) + timedelta(days=1)
        end = _add_months(ref, months)
        return _M(s, e, "interval", start, end, f"({_iso(start)},{_iso(end)},P1{unit[0].upper()})",
                  relative=True, anchored=True, conf=0.7, kind="span")
    if (len(counts) == 1 and word in lx.rules.get("later_span_words", ()) and unit in lx.rules.get("later_span_units", ())
            and not _g(m, "ago", "fromnow")):  # "بعد أسبوعين من الآن" stays a point
        # conventions profile: "بعد يومين" is the stretch up to two days from publication, not the day
        if unit in ("hour", "minute"):
            return _clock_span(ctx, s, e, n, unit, 1)
        start, end = ref + timedelta(days=1), ref + timedelta(days=days)
        return _M(s, e, "interval", start, end, f"({_iso(start)},{_iso(end)},P{n}{'W' if unit == 'week' else 'D'})",
                  relative=True, anchored=True, conf=0.7, kind="span")
    if word in lx.within_words:  # "within 5 days": from publication up to that far (the specs' reading too)
        if minutes:
            if months or days or ctx.anchor is None:
                return None
            return _clock_span(ctx, s, e, minutes, "minute", 1)
        end = _add_months(ref, months) + timedelta(days=days - 1)
        if end < ref:
            return None
        return _M(s, e, "interval", ref, end, f"({_iso(ref)},{_iso(end + timedelta(days=1))},P{(end - ref).days + 1}D)",
                  relative=True, anchored=True, conf=0.75, kind="span")
    if minutes and ctx.anchor is not None:
        moment = ctx.anchor + sign * timedelta(days=days, minutes=minutes)
        if months:
            moment = moment.replace(year=_add_months(moment.date(), sign * months).year,
                                    month=_add_months(moment.date(), sign * months).month,
                                    day=_add_months(moment.date(), sign * months).day)
        out = _M(s, e, "datetime", moment.date(), moment.date(), moment.strftime("%Y-%m-%dT%H:%M"),
                 relative=True, anchored=True, conf=0.8, kind="ago")
        out.value = moment.isoformat(timespec="seconds")
        return out
    d = _add_months(ref, sign * months) + timedelta(days=sign * days)
    return _M(s, e, "day", d, d, _iso(d), relative=True, anchored=True, conf=0.8, kind="ago")


def _counts(m: re.Match, ctx: _Ctx, b: str) -> tuple[int, int] | None:
    """(months, days) of a counted duration "2 weeks", "1 month and 21 days" in branch `b`."""
    lx = ctx.lx
    raw = _g(m, b, "num")
    counts = [(int(raw) if raw.isdigit() else lx.cardinals.get(key(raw)), lx.units.get(key(_g(m, b, "unit"))))]
    for part in lx.count_part.finditer(_g(m, b, "more") or ""):
        if not part.group("n"):
            return None
        raw = part.group("n")
        counts.append((int(raw) if raw.isdigit() else lx.cardinals.get(key(raw)), lx.units.get(key(part.group("u")))))
    months = days = 0
    for k, u in counts:
        if not k or u not in _COUNT_UNITS or _COUNT_UNITS[u][1] == "t":
            return None
        factor, kind_ = _COUNT_UNITS[u]
        if kind_ == "m":
            months += k * factor
        else:
            days += k * factor
    return months, days


_THE_BEFORE = re.compile(r"(?<![^\W\d_])the {1,3}\Z")  # "the 19th century": the article joins the mention


def _nfirst(m, ctx):
    lx = ctx.lx
    raw = _g(m, "nfirst", "num")
    n = int(raw) if raw.isdigit() else lx.cardinals.get(key(raw))
    unit = lx.units.get(key(_g(m, "nfirst", "unit")))
    if not n or unit not in ("day", "week", "month"):
        return None
    the = _THE_BEFORE.search(ctx.text, max(0, m.start() - 6), m.start())
    out = _M(the.start() if the else m.start(), m.end(), "nfirst", None, None, "", kind="nfirst")  # waits for its period
    out.clock = (1 if key(_g(m, "nfirst", "w")) == "first" else -1, n, unit)
    return out


def _first_of(a: _M, b: _M) -> _M | None:
    """"the first six months of 2023": that many units from the start of the period (or to its end)."""
    side, n, unit = a.clock
    if unit == "month":
        start, end = (b.start, _add_months(b.start, n) - timedelta(days=1)) if side > 0 else (
            _add_months(b.end + timedelta(days=1), -n), b.end)
    else:
        days = n * (7 if unit == "week" else 1)
        start, end = (b.start, b.start + timedelta(days=days - 1)) if side > 0 else (
            b.end - timedelta(days=days - 1), b.end)
    if start < b.start or end > b.end:
        return None
    return _M(a.s, b.e, "interval", start, end, f"({_iso(start)},{_iso(end + timedelta(days=1))},P{n}{unit[0].upper()})",
              relative=b.relative, anchored=b.anchored, conf=b.conf - 0.1, flags=list(b.flags), kind="nfirst")


def _cnt(m, ctx):
    got = _counts(m, ctx, "cnt")
    if got is None:
        return None
    out = _M(m.start(), m.end(), "cnt", None, None, "", kind="cnt")  # waits for its date (see _pair)
    sign = -1 if key(_g(m, "cnt", "dir")) == "before" else 1
    out.clock = (sign * got[0], sign * got[1])
    return out


# Units of a counted duration: (factor, "m" months | "d" days | "t" minutes).
_COUNT_UNITS = {"decade": (120, "m"), "year": (12, "m"), "month": (1, "m"), "fortnight": (14, "d"), "week": (7, "d"), "day": (1, "d"),
                "hour": (60, "t"), "minute": (1, "t")}


def _week_range(d: date) -> tuple[date, date]:
    first = d - timedelta(days=d.weekday())
    return first, first + timedelta(days=6)


def _unit(m, ctx):
    lx = ctx.lx
    if ctx.ref is None:
        return None
    noun = _g(m, "unit", "noun") or _g(m, "unit", "noun2") or _g(m, "unit", "noun3") or _g(m, "unit", "bare")
    modb, moda = _g(m, "unit", "modb"), _g(m, "unit", "moda") or _g(m, "unit", "moda2")
    unit = lx.unit_nouns.get(key(noun))
    shift = lx.modifiers_after.get(key(moda)) if moda else lx.modifiers_after_far.get(key(_g(m, "unit", "far") or ""))
    if moda and key(moda) in lx.rules.get("unit_shift", {}) and unit in ("month", "year"):
        shift = lx.rules["unit_shift"][key(moda)]  # conventions profile: "الشهر التالي" = the month after next
    if shift is None and modb:
        shift = lx.modifiers_before.get(key(modb))
    if _g(m, "unit", "bare") and unit == "weekend":
        # "عطلة نهاية الأسبوع" alone: the last weekend begun by publication, the coming one in a future clause
        shift = 0 if ctx.ref.weekday() >= 5 or ctx.future(*m.span()) or lx.rules.get("bare_weekend_this_week") else -1
    if unit is None or shift is None:
        return None
    if lx.count_before is not None and lx.count_before.search(ctx.text, max(0, m.start() - 16), m.start()):
        return None  # "صدها سال پیش", "three years ago" belong to other readings
    s, e = m.span()
    ref = ctx.ref
    if unit == "week":
        first, last = _week_range(ref + timedelta(days=7 * shift))
        iso = first.isocalendar()
        return _M(s, e, "week", first, last, f"{iso[0]:04d}-W{iso[1]:02d}", relative=True, anchored=True,
                  conf=0.85, kind="unit")
    if unit == "weekend":
        sat = _week_range(ref)[0] + timedelta(days=5 + 7 * shift)  # Saturday of this/last/next week
        iso = sat.isocalendar()
        return _M(s, e, "week", sat, sat + timedelta(days=1), f"{iso[0]:04d}-W{iso[1]:02d}-WE", relative=True,
                  anchored=True, conf=0.8, kind="unit")
    if unit == "month":
        d = _add_months(ref.replace(day=1), shift)
        first, last = C.month_range(C.GREGORIAN, d.year, d.month)
        return _M(s, e, "month", first, last, f"{d.year:04d}-{d.month:02d}", relative=True, anchored=True,
                  conf=0.85, kind="unit")
    if unit == "year":
        y = ref.year + shift
        return _M(s, e, "year", date(y, 1, 1), date(y, 12, 31), f"{y:04d}", relative=True, anchored=True,
                  conf=0.85, kind="unit")
    if unit == "quarter":  # "last quarter", "next quarter": calendar quarters
        if key(modb or "") in lx.quarter_blocked_mods or re.match(r" {1,3}of ", ctx.text[e:e + 5]):
            return None  # "the last quarter (of 2019)" is Q4, "in the last quarter" of a match is not a date
        q0 = (ref.year * 4 + (ref.month - 1) // 3) + shift
        y, q = divmod(q0, 4)
        first = date(y, 3 * q + 1, 1)
        return _M(s, e, "quarter", first, _add_months(first, 3) - timedelta(days=1), f"{y:04d}-Q{q + 1}",
                  relative=True, anchored=True, conf=0.8, kind="unit")
    if unit == "hour" and shift:  # "الساعة المقبلة", "the past hour"
        return _clock_span(ctx, s, e, 1, "hour", shift)
    if unit == "decade" and shift:  # calendar decades; "العقد الحالي" is "the current contract" first
        y = ref.year // 10 * 10 + 10 * shift
        return _M(s, e, "decade", date(y, 1, 1), date(y + 9, 12, 31), f"{y // 10:03d}X", relative=True,
                  anchored=True, conf=0.75, kind="unit")
    return None


def _rest(m, ctx):
    """"بقية العام": from the publication day to the end of this week, month or year."""
    lx = ctx.lx
    if ctx.ref is None:
        return None
    unit = lx.unit_nouns.get(key(_g(m, "rest", "noun") or ""))
    moda = _g(m, "rest", "moda")
    if moda and lx.modifiers_after.get(key(moda)) != 0:
        return None  # "بقية الأسبوع المقبل" is not the rest of this one
    ref = ctx.ref
    s, e = m.span()
    if _g(m, "rest", "day") and ctx.anchor is not None:  # "بقية اليوم": from publication time to 23:59:59
        a = ctx.anchor
        out = _M(s, e, "interval", ref, ref, f"({a.strftime('%Y-%m-%dT%H:%M')},{_iso(ref)}T23:59:59)", relative=True,
                 anchored=True, conf=0.75, kind="rest")
        out.value = f"{a.isoformat(timespec='seconds')}/{a.replace(hour=23, minute=59, second=59).isoformat(timespec='seconds')}"
        return out
    if unit == "week":
        end = _week_range(ref)[1]
    elif unit == "month":
        end = C.month_range(C.GREGORIAN, ref.year, ref.month)[1]
    elif unit == "year":
        end = date(ref.year, 12, 31)
    else:
        return None
    s, e = m.span()
    return _M(s, e, "interval", ref, end, f"({_iso(ref)},{_iso(end)},P{(end - ref).days + 1}D)", relative=True,
              anchored=True, conf=0.75, kind="rest")


def _rel(m, ctx):
    lx = ctx.lx
    if ctx.ref is None:
        return None
    s, e = m.span()
    if _g(m, "rel", "now"):
        out = _M(s, e, "datetime", ctx.ref, ctx.ref, "PRESENT_REF", relative=True, anchored=True, conf=0.7, kind="rel")
        out.value = ctx.anchor.isoformat(timespec="seconds")
        return out
    tonight = _g(m, "rel", "tonight")
    if tonight:
        # "الليلة": a shift in days (the night of that day), or [shift, part] ("هذا المساء": [0, "EV"])
        val = lx.tonight.get(key(tonight), 0)
        shift, part = (val[0], val[1]) if isinstance(val, list) else (val, "NI")
    else:
        dayw = key(_g(m, "rel", "day"))
        shift = lx.relative_days.get(dayw)
        part = lx.parts_of_day.get(key(_g(m, "rel", "part") or "")) or lx.parts_of_day_after.get(
            key(_g(m, "rel", "parta") or ""))
        if shift is None:
            return None
        # "اليوم الوطني", "today's show": the word is a name here, not a date.
        if shift == 0 and not part and _today_blocked(ctx, e):
            return None
        if _name_before(ctx, s):  # "عين اليوم" is a newspaper
            return None
    d = ctx.ref + timedelta(days=shift)
    timex = _iso(d) + (f"T{part}" if part else "")
    flags: list = []
    # "أمس الخميس": the weekday must agree with the anchor; a mismatch hints at a wrong anchor.
    _weekday_check(flags, d, _weekday_of(lx, _g(m, "rel", "wd")), False)
    return _M(s, e, "day", d, d, timex, relative=True, anchored=True, conf=0.85 if not flags else 0.7,
              part=part, flags=flags, kind="rel")


def _today_blocked(ctx: _Ctx, e: int) -> bool:
    return ctx.lx.today_block is not None and ctx.lx.today_block.match(ctx.text, e) is not None


def _name_before(ctx: _Ctx, s: int) -> bool:
    return ctx.lx.name_before is not None and ctx.lx.name_before.search(ctx.text, max(0, s - 12), s) is not None


def _wday(m, ctx):
    lx = ctx.lx
    if ctx.ref is None:
        return None
    raw = key(_g(m, "wday", "wd"))
    wd = lx.weekdays.get(raw)
    modb, moda = _g(m, "wday", "modb") or _g(m, "wday", "modb2"), _g(m, "wday", "moda")  # "صباح هذا الثلاثاء"
    night, pre = _g(m, "wday", "night"), _g(m, "wday", "pre")
    part = lx.parts_of_day.get(key(_g(m, "wday", "part") or "")) or lx.parts_of_day_after.get(
        key(_g(m, "wday", "parta") or ""))
    if wd is None:
        return None
    if raw in lx.ambiguous_weekdays and not (modb or moda or night or pre or part) and not (
            lx.week_before is not None and lx.week_before.search(ctx.text, max(0, m.start() - 30), m.start())) \
            and not lx.wd_range_before.search(ctx.text, max(0, m.start() - 20), m.start()) \
            and not lx.wd_clock_after.match(ctx.text, m.end()):
        return None
    if raw in lx.ambiguous_weekdays and not _capitalized(ctx, m.start("wday_wd")):
        return None  # "sun", "sat", "wed" are words first
    shift = lx.modifiers_after.get(key(moda)) if moda else (lx.modifiers_before.get(key(modb)) if modb else None)
    s, e = m.span()
    flags: list = []
    # "ليلة الجمعة" is the evening before Friday: resolve the Thursday (the profile may say the
    # night of Friday itself).
    target = (wd - 1) % 7 if night and not lx.rules.get("night_of_same_day") else wd
    ref = ctx.ref
    back = (ref.weekday() - target) % 7
    fwd = (target - ref.weekday()) % 7
    by_week = lx.rules.get("weekday_shift_by_week")  # True, or the modifier words that read so
    if shift in (-1, 1) and by_week and (by_week is True or key(moda or modb or "") in by_week):
        # conventions profile: "الأحد القادم" is Sunday of next week, "الماضي" of last week
        d = _week_range(ref)[0] + timedelta(days=7 * shift + target)
    elif shift == -1:
        d = ref - timedelta(days=back or 7)
    elif shift == 1:
        d = ref + timedelta(days=fwd or 7)
    elif shift == 0:
        d = _week_range(ref)[0] + timedelta(days=target)
    elif ctx.future(s, e):
        d = ref + timedelta(days=fwd)
        flags.append("future_by_tense")
    else:
        d = ref - timedelta(days=back)
    part = "NI" if night else part
    return _M(s, e, "day", d, d, _iso(d) + (f"T{part}" if part else ""), relative=True, anchored=True,
              conf=0.75 if raw not in lx.ambiguous_weekdays else 0.65, flags=flags,
              part=part, kind="wday")


def _year(m, ctx):
    lx = ctx.lx
    ctxw = _g(m, "year", "ctx")
    if _g(m, "year", "y3"):  # a bare year: only right after a date and a range word ("in 1969 and 1970")
        prev = ctx.found[-1] if ctx.found else None
        if (prev is None or prev.gran not in ("year", "month", "day", "quarter", "half", "interval") or m.start() - prev.e > 12
                or not lx.range_to.match(ctx.text[prev.e:m.start()])) \
                and not _YEAR_AND.search(ctx.text, max(0, m.start() - 20), m.start()):  # "the 1955 and 1959 elections"
            return None
        y = int(_g(m, "year", "y3"))
        return _M(m.start(), m.end(), "year", date(y, 1, 1), date(y, 12, 31), f"{y:04d}", conf=0.75, kind="year")
    if _g(m, "year", "ys"):  # "عام 247", "سنة مائتين وسبعة وستين": a three-digit year after a year word
        y, cal = _year_value(_g(m, "year", "ys"), lx)
        cal = cal or C.GREGORIAN
        rng = C.year_range(cal, y) if 100 <= y <= 999 else None
        if rng is None:
            return None
        return _M(m.start(), m.end(), "year", rng[0], rng[1], f"{y:04d}" if cal == C.GREGORIAN else "", calendar=cal,
                  cal_value=_cal_value(cal, y), conf=0.7, kind="year")
    raw = _g(m, "year", "y") or (_g(m, "year", "y2") + " " + _g(m, "year", "cal"))
    y, cal = _year_value(raw, lx)
    flags: list = []
    if cal is None:
        if ctxw and key(ctxw) not in lx.year_words and not (1900 <= y <= 2099) and not (
                not raw[0].isdigit() and y >= 1000 and _CLAUSE_END.match(ctx.text, m.end())):
            return None  # "في 1500" is a number, not a year; "في ألف وسبعمائة وتسعة وثمانين." is one
        cal = _default_calendar(y, ctx.lang)
        if cal != C.GREGORIAN:
            flags.append("calendar_inferred")
    rng = C.year_range(cal, y)
    if rng is None:
        return None
    s, e = m.span()
    if ctxw and key(ctxw) not in lx.year_words:
        s = m.start("year_y")  # "في 2019": the preposition is not part of the date
    return _M(s, e, "year", rng[0], rng[1], f"{y:04d}" if cal == C.GREGORIAN else "", calendar=cal,
              cal_value=_cal_value(cal, y), conf=0.8, flags=flags, kind="year")


def _cent(m, ctx):
    """"the 19th century": 1800-1899 (TIMEX3 "18"), the popular reading the specs use too."""
    raw = _g(m, "cent", "n")
    n = int(raw) if raw else ctx.lx.ordinals.get(key(_g(m, "cent", "ord") or ""))
    if not n or not 1 <= n <= 21:
        return None
    y = 100 * (n - 1)
    s, e = m.span()
    s = _THE_BEFORE.search(ctx.text, max(0, s - 6), s).start() if _THE_BEFORE.search(ctx.text, max(0, s - 6), s) else s
    return _M(s, e, "century", date(max(y, 1), 1, 1), date(y + 99, 12, 31), f"{n - 1:02d}", conf=0.8, kind="cent")


_YEAR_AND = re.compile(r"(?<!\d)(?:1[5-9]\d\d|20\d\d)\)?,? {1,3}(?:and|or|&) {1,3}\Z")


def _decade(m, ctx):
    word = _g(m, "decade", "word")
    s, e = m.span()
    if word:
        digit = ctx.lx.decades.get(key(word))
        if digit is None:
            return None
        # "الثمانينيات" without a century: the 1900s unless followed by "القرن الحالي"-like text.
        start = 1900 + 10 * digit
        flags = ["century_inferred"]
    else:
        num = _g(m, "decade", "num")
        flags = []
        if len(num) == 2:
            start = 1900 + int(num)
            flags.append("century_inferred")
        else:
            start = int(num)
    return _M(s, e, "decade", date(start, 1, 1), date(start + 9, 12, 31), f"{start // 10:03d}X",
              conf=0.75, flags=flags, kind="decade")


def _clock(m: re.Match, ctx: _Ctx, b: str, i: str) -> tuple[int, int, int, bool] | None:
    """(hour, minute, second, has_am_pm) from the clock slots `<b>_h<i>`, `<b>_hw<i>`, ... or None."""
    lx = ctx.lx
    h, hw = _g(m, b, "h" + i), _g(m, b, "hw" + i)
    if h is not None:
        hour = int(h)
    elif hw:
        hour = lx.ordinals.get(key(hw))
        if hour is None or hour > 12:
            return None
    else:
        return None
    minute = int(_g(m, b, "mi" + i) or 0)
    sec = int(_g(m, b, "s" + i) or 0)
    frac = _g(m, b, "frac" + i) if f"{b}_frac{i}" in m.re.groupindex else None
    frac = frac or (_g(m, b, f"frac{i}b") if f"{b}_frac{i}b" in m.re.groupindex else None)
    mins = _g(m, b, "mins" + i) if f"{b}_mins{i}" in m.re.groupindex else None
    if frac:
        delta = lx.time_fractions.get(key(frac), 0)
        if delta < 0:  # "الثامنة إلا ربع" = 7:45
            hour, minute = (hour - 1) % 24, 60 + delta
        else:
            minute = delta
    elif mins:
        minute = int(mins) if mins.isdigit() else lx.minute_numbers.get(key(mins), 99)
        if minute > 59:
            return None
    minus = _g(m, b, "minus" + i) if f"{b}_minus{i}" in m.re.groupindex else None
    if minus:  # "الخامسة والنصف إلا ثلاث دقائق" = 5:27
        back = int(minus) if minus.isdigit() else lx.minute_numbers.get(key(minus), 99)
        if back > 59:
            return None
        total = (hour * 60 + minute - back) % (24 * 60)
        hour, minute = divmod(total, 60)
    am, pm = _g(m, b, "am" + i), _g(m, b, "pm" + i)
    if pm and hour == 12 and key(pm) in lx.night_pm:  # "12 في الليل" is midnight
        hour = 0
    elif pm and hour < 12:
        hour += 12
    if am and hour == 12:
        hour = 0
    tz = _g(m, b, "tz" + i)
    return hour, minute, sec, bool(am or pm), lx.time_zones.get(key(tz)) if tz else None


def _clock_words(m: re.Match, ctx: _Ctx) -> tuple | None:
    """English "half past seven", "a quarter to eight", "ten past 9 pm", "seven o'clock"."""
    lx = ctx.lx
    raw_h = _g(m, "time", "hq") or _g(m, "time", "ho")
    hour = int(raw_h) if raw_h.isdigit() else lx.clock_hours.get(key(raw_h))
    am = _g(m, "time", "amq") or _g(m, "time", "amo")
    pm = _g(m, "time", "pmq") or _g(m, "time", "pmo")
    minute = 0
    if _g(m, "time", "hq") is not None:
        raw_m = _g(m, "time", "mq")
        minute = int(raw_m) if raw_m.isdigit() else lx.clock_minutes.get(key(raw_m))
        if not minute or minute > 59 or hour is None:
            return None
        if _g(m, "time", "to"):
            if not (key(raw_m) in ("quarter", "a quarter") or _g(m, "time", "mw") or am or pm or _g(m, "time", "oc") or _g(m, "time", "oc2")):
                return None  # "from five to ten" is a count
            hour, minute = (hour - 1) % 12 or 12, 60 - minute
    if hour is None:
        return None
    if pm and hour < 12:
        hour += 12
    elif am and hour == 12:
        hour = 0
    return hour, minute, 0, bool(am or pm), None


def _timex_clock(c: tuple, offset: str | None = None) -> str:
    h, mi, sec = c[:3]
    return f"T{h:02d}:{mi:02d}" + (f":{sec:02d}" if sec else "") + (offset or "")


def _tzinfo(offset: str | None):
    """"+03:30" -> a fixed-offset tzinfo."""
    if not offset:
        return None
    sign = -1 if offset[0] == "-" else 1
    h, mi = int(offset[1:3]), int(offset[4:6])
    return timezone(sign * timedelta(hours=h, minutes=mi))


def _time(m, ctx):
    s, e = m.span()
    named = _g(m, "time", "named")
    if named:
        hour = ctx.lx.named_times.get(key(named))
        if hour is None:
            return None
        return _M(s, e, "time", None, None, _timex_clock((hour, 0, 0)), conf=0.75, clock=(hour, 0, 0), kind="time")
    if _g(m, "time", "hh5") is not None:  # "340 مساء": hour and minutes written together
        hour, pm = int(_g(m, "time", "hh5")), _g(m, "time", "pm5")
        if len(key(pm or _g(m, "time", "am5"))) == 1:
            return None
        hour = (hour % 12) + (12 if pm else 0)
        c = (hour, int(_g(m, "time", "mm5")), 0, True, None)
    elif _g(m, "time", "hc") is not None:
        c = _clock(m, ctx, "time", "c")
    elif _g(m, "time", "hw4") is not None:
        c = _clock(m, ctx, "time", "4")
    elif _g(m, "time", "hw6") is not None:  # "عشرين دقيقة بعد الخامسة" = 5:20, "ثلاث دقائق قبل الثامنة" = 7:57
        raw = _g(m, "time", "mins6")
        mins = int(raw) if raw.isdigit() else ctx.lx.minute_numbers.get(key(raw), 99)
        hour = ctx.lx.hour_words.get(key(_g(m, "time", "hw6")))
        if hour is None or mins > 59:
            return None
        hour += 12 if _g(m, "time", "pm6") and hour < 12 else 0
        total = (hour * 60 + (mins if _g(m, "time", "after6") else -mins)) % (24 * 60)
        c = (*divmod(total, 60), 0, bool(_g(m, "time", "am6") or _g(m, "time", "pm6")), None)
    elif _g(m, "time", "hq") is not None or _g(m, "time", "ho") is not None:
        c = _clock_words(m, ctx)
    elif _g(m, "time", "h7") is not None:  # "nine thirty a m", "at five-thirty", "one in the morning"
        am, pm, mins = _g(m, "time", "am7"), _g(m, "time", "pm7"), _g(m, "time", "m7")
        if not (am or pm or (mins and _g(m, "time", "tw7"))):
            return None  # "nine" alone is a count
        hour = ctx.lx.clock_hours.get(key(_g(m, "time", "h7")))
        minute = ctx.lx.clock_minutes.get(key(mins)) if mins else 0
        if hour is None or minute is None:
            return None
        hour = hour + 12 if pm and hour < 12 else (0 if am and hour == 12 else hour)
        c = (hour, minute, 0, bool(am or pm), None)
    elif _g(m, "time", "h3") is not None or _g(m, "time", "hw3") is not None:
        c = _clock(m, ctx, "time", "3")
        ampm = _g(m, "time", "am3") or _g(m, "time", "pm3")
        # A one-letter "ص"/"م" after a bare number is too often a unit (م = metre): demand "الساعة".
        if c is None or len(key(ampm)) == 1:
            return None
    else:
        c = _clock(m, ctx, "time", "")
    if c is None:
        return None
    if _g(m, "time", "ppre") and c[0] < 12 and not c[3]:  # "بعد الظهر الساعة 7" is 19:00
        c = (c[0] + 12,) + tuple(c[1:])
    out = _M(s, e, "time", None, None, _timex_clock(c), conf=0.8, clock=c[:3], kind="time")
    out.explicit = (bool(c[3]), False)
    out.offset = c[4]
    out.value = _timex_clock(c, c[4])
    return out


def _trange(m, ctx):
    gd = m.groupdict()
    if key(gd["trange_to"]) in ctx.lx.clock_and_words and not gd["trange_from"]:
        return None  # Persian "ساعت ۸ شب و ساعت ۱۴:۳۰" is two times; a range with "و" needs "بین"
    marked = (gd["trange_tw1"] or gd["trange_tw2"] or gd["trange_am1"] or gd["trange_pm1"] or gd["trange_am2"]
              or gd["trange_pm2"] or ":" in m.group())
    if not marked:  # "من 5 إلى 6" alone is a count ("5 to 6 people"), not a time ...
        lx = ctx.lx
        hws = [key(w) for w in (_g(m, "trange", "hw1"), _g(m, "trange", "hw2")) if w]
        if lx.latin:  # English "between 3 and 5 (on 1/1/2015)", "from 7 to 9 (last night)": "between"/"from" needed
            if not gd["trange_from"] or lx.hour_range_to is None or not lx.hour_range_to.search(m.group()):
                return None
        elif (lx.hour_range_to is None or not lx.hour_range_to.search(m.group()) or not m.group().startswith(("من", "بين"))
                or any(w not in lx.hour_words for w in hws) or not _BTRANGE_AFTER.match(ctx.text, m.end())):
            return None
        c1, c2 = _clock(m, ctx, "trange", "1"), _clock(m, ctx, "trange", "2")
        if c1 is None or c2 is None or c1[0] > 12 or c2[0] > 12:
            return None
        # ... but next to a day it is one ("اليوم من الخامسة إلى السابعة", "من 5 إلى 6 في 1 يناير"): a helper
        out = _M(m.start(), m.end(), "btime", None, None, "", kind="btrange", clock=c1[:3], clock2=c2[:3])
        return out
    c1, c2 = _clock(m, ctx, "trange", "1"), _clock(m, ctx, "trange", "2")
    if c1 is None or c2 is None:
        return None
    if c2[3] and not c1[3] and c2[0] >= 12 and c1[0] + 12 <= c2[0]:
        c1 = (c1[0] + 12, c1[1], c1[2], True, c1[4])  # "من 5 إلى 6 مساء": the pm covers both ends
    if c1[3] and not c2[3] and c1[0] >= 12 and c2[0] < 12 and c2[0] + 12 > c1[0]:
        c2 = (c2[0] + 12, c2[1], c2[2], True, c2[4])  # "الساعة 1 بعد الظهر إلى 4" ends at 16:00
    if not c2[3] and c2[0] < 12 and (c2[0], c2[1]) < (c1[0], c1[1]) < (c2[0] + 12, c2[1]):
        c2 = (c2[0] + 12, c2[1], c2[2], False, c2[4])  # "from 10:30 to 3": a range ends after it starts
    s, e = m.span()
    out = _M(s, e, "interval", None, None, f"({_timex_clock(c1)},{_timex_clock(c2)})", conf=0.75,
             clock=c1[:3], kind="trange")
    offset = c2[4] or c1[4]
    out.value = f"{_timex_clock(c1, offset)}/{_timex_clock(c2, offset)}"
    out.offset = offset
    out.clock2 = c2[:3]
    out.explicit = (bool(c1[3]), bool(c2[3]))
    return out


# Recognizers-Text clock ranges of the parts of day, and their early/late halves (a convention:
# "في وقت متأخر من المساء" = 18:00-20:00).  Only used where the text narrows a part or names no day.
_PART_RANGES = {"MO": ((8, 0, 0), (12, 0, 0)), "AF": ((12, 0, 0), (16, 0, 0)), "EV": ((16, 0, 0), (20, 0, 0)),
                "NI": ((20, 0, 0), (23, 59, 59))}


def _part_clocks(part: str, mod: str | None) -> tuple[tuple, tuple] | None:
    rng = _PART_RANGES.get(part)
    if rng is None:
        return None
    a, b = rng
    if mod in ("early", "late"):
        mid = (a[0] + 2, 0, 0)
        a, b = (a, mid) if mod == "early" else (mid, b)
    return a, b


def _dpart(m, ctx):
    """A part of day with no day ("في الصباح", "في وقت متأخر من الليل"): a clock range; or a helper
    that waits for a day: the modifier of "في وقت متأخر من مساء الثلاثاء", the adverb of "5 فبراير صباحا"."""
    lx = ctx.lx
    s, e = m.span()
    mod_raw = _g(m, "dpart", "mod") or _g(m, "dpart", "mod2")
    bare, moda, adv = _g(m, "dpart", "bare"), _g(m, "dpart", "moda"), _g(m, "dpart", "adv")
    mod = lx.part_mods_before.get(key(mod_raw)) if mod_raw else (lx.part_mods_after.get(key(moda)) if moda else None)
    if adv:
        if mod_raw:
            return None
        out = _M(s, e, "dpart", None, None, "", part=lx.part_adverbs.get(key(adv)), kind="padv")
        return out
    if not bare:
        if not mod:
            return None
        out = _M(s, e, "dpart", None, None, "", kind="pmod")  # joined with "مساء الثلاثاء" (see _pair)
        out.clock = (mod,)
        return out
    # A bare part needs a preposition or a modifier: "الصباح" alone is also a newspaper, a family name.
    prep = lx.bare_part_prep is not None and lx.bare_part_prep.search(ctx.text, max(0, s - 8), s) is not None
    if not (prep or mod or key(bare) in lx.rules.get("bare_parts_alone", ())):
        return None
    part = lx.bare_parts.get(key(bare))
    clocks = _part_clocks(part, mod)
    if clocks is None:
        return None
    out = _M(s, e, "interval", None, None, f"T{part}", conf=0.6, part=part, kind="dpart",
             flags=[f"mod_{mod}"] if mod else [])
    out.clock, out.clock2 = clocks
    out.value = f"{_timex_clock(clocks[0])}/{_timex_clock(clocks[1])}"
    return out


def _tcard(m, ctx):
    lx = ctx.lx
    am, pm = _g(m, "tcard", "am"), _g(m, "tcard", "pm")
    if len(key(am or pm)) == 1:  # "م" is a metre, "ص" a page
        return None
    hour, minute = lx.minute_numbers.get(key(_g(m, "tcard", "h"))), _g(m, "tcard", "mi")
    minute = int(minute) if minute.isdigit() else lx.minute_numbers.get(key(minute))
    if hour is None or minute is None or hour > 23 or minute > 59:
        return None
    if pm and hour < 12:
        hour += 12
    elif am and hour == 12:
        hour = 0
    s, e = m.span()
    out = _M(s, e, "time", None, None, _timex_clock((hour, minute, 0)), conf=0.65, clock=(hour, minute, 0), kind="time")
    out.value = out.timex
    return out


def _btime(m, ctx):
    """A bare hour ("في السابعة", "7"): a helper, kept only when joined with a day (see _pair)."""
    s, e = m.span()
    hw = _g(m, "btime", "hw")
    n = ctx.lx.hour_words.get(key(hw)) if hw else int(_g(m, "btime", "h"))
    mi = _g(m, "btime", "mi")
    if not n or (mi and n > 12):
        return None
    out = _M(s, e, "btime", None, None, "", kind="btime")
    out.clock = (n, int(mi or 0), 0) if n <= 12 else None  # an hour only up to 12
    out.cal_value = None if hw or mi else str(n)  # a day number (1-31) when written in digits alone
    return out


def _day_of_month(ctx: _Ctx, n: int, s: int, e: int) -> date | None:
    """Day n of the publication month, or of the month before (after, in a future clause) when that
    puts it on the right side of publication ("سأعود الساعة 8 مساء يوم 15")."""
    ref = ctx.ref
    if ref is None:
        return None
    first = ref.replace(day=1)
    future = ctx.future(s, e)
    base = first if (n >= ref.day) == future or n == ref.day else _add_months(first, 1 if future else -1)
    if n > C.month_length(C.GREGORIAN, base.year, base.month):
        return None
    return base.replace(day=n)


def _bday(bt: _M, tm: _M, ctx: _Ctx) -> _M | None:
    """A clock and a day number next to it: one datetime on that day of this (or the next/last) month."""
    d = _day_of_month(ctx, int(bt.cal_value), min(bt.s, tm.s), max(bt.e, tm.e))
    if d is None:
        return None
    day = _M(bt.s, bt.e, "day", d, d, f"XXXX-XX-{d.day:02d}", anchored=True, conf=0.65, flags=["month_inferred"],
             kind="bday")
    return _datetime(day, tm, ctx)


def _qtr(m, ctx):
    lx = ctx.lx
    months = 3
    if _g(m, "qtr", "hord"):  # "the first half (of 2016)"
        q, months = lx.ordinals_half.get(key(_g(m, "qtr", "hord"))), 6
    else:
        q = lx.ordinals_quarter.get(key(_g(m, "qtr", "ord") or _g(m, "qtr", "ord2") or ""))
        qn = _g(m, "qtr", "qn") or _g(m, "qtr", "qn0")
        if not q and qn:
            q = int(qn)
            if (_g(m, "qtr", "qh") or _g(m, "qtr", "qh0")) == "h":  # "H1", "2016 H2"
                if q > 2:
                    return None
                months = 6
    if not q:
        return None
    s, e = m.span()
    out = _M(s, e, "quarter", None, None, f"XXXX-{'Q' if months == 3 else 'H'}{q}", conf=0.6, kind="qtr")
    out.clock = (q, months)
    raw_y = _g(m, "qtr", "y") or _g(m, "qtr", "y0") or _g(m, "qtr", "yw")
    if raw_y:  # "Q3 2015", "2017-q1", "الربع الثالث من ألفين وعشرين": the year is in the match
        y = _year_value(raw_y, lx)[0]
        year = _M(e, e, "year", date(y, 1, 1), date(y, 12, 31), f"{y:04d}", conf=0.8, kind="year")
        out = _quarter(out, year, ctx)
        if out is not None:
            out.s = s
    elif months == 6 and _g(m, "qtr", "qh"):
        return None  # "H1" alone is not a date
    return out


def _ppu(m, ctx):
    """"بداية العام", "منتصف الشهر": that part of the publication's week, month or year."""
    lx, ref = ctx.lx, ctx.ref
    unit = lx.unit_nouns.get(key(_g(m, "ppu", "noun")))
    part = lx.period_parts.get(key(_g(m, "ppu", "w")))
    if ref is None or part is None or unit not in ("week", "month", "year"):
        return None
    s, e = m.span()
    if lx.bare_period_prep is None or not lx.bare_period_prep.search(ctx.text, max(0, s - 12), s):
        return None  # "حبة نهاية الأسبوع", "إجازات نهاية الأسبوع" name other things
    if unit == "week":
        first, last = _week_range(ref)
        iso = first.isocalendar()
        timex = f"{iso[0]:04d}-W{iso[1]:02d}"
    elif unit == "month":
        first, last = C.month_range(C.GREGORIAN, ref.year, ref.month)
        timex = f"{ref.year:04d}-{ref.month:02d}"
    else:
        first, last, timex = date(ref.year, 1, 1), date(ref.year, 12, 31), f"{ref.year:04d}"
    period = _M(m.start("ppu_noun"), e, unit, first, last, timex, calendar=C.GREGORIAN, relative=True, anchored=True,
                conf=0.75, kind="unit")
    pp = _M(s, m.end("ppu_w"), "pp", None, None, "", kind="pp")
    pp.part = part
    return _narrow(pp, period, key(_g(m, "ppu", "w")) in lx.rules.get("weekend_parts", ()))


def _pp(m, ctx):
    s, e = m.span()
    out = _M(s, e, "pp", None, None, "", kind="pp")
    out.part = ctx.lx.period_parts.get(key(_g(m, "pp", "w")))
    raw = _g(m, "pp", "y")
    if raw and out.part:  # "the end of 2000", "mid-2001": that part of the year
        y = int(raw)
        year = _M(m.start("pp_y"), e, "year", date(y, 1, 1), date(y, 12, 31), f"{y:04d}", conf=0.8, kind="year")
        out.e = m.end("pp_w")
        return _narrow(out, year, thirds=bool(ctx.lx.rules.get("year_part_thirds")))
    return out


def _nweek(m, ctx):
    n = ctx.lx.ordinals_week.get(key(_g(m, "nweek", "ord")))
    if not n:
        return None
    s, e = m.span()
    out = _M(s, e, "nweek", None, None, "", kind="nweek")  # waits for its month or year (see _join)
    out.clock = (n,)
    return out


def _nwday(m, ctx):
    lx = ctx.lx
    if _g(m, "nwday", "ordb"):  # "أول يوم جمعة من"
        n, wd = lx.nth_weekday_before.get(key(_g(m, "nwday", "ordb"))), _weekday_of(lx, "ال" + _g(m, "nwday", "wdb"))
    else:
        n, wd = lx.ordinals_nth_weekday.get(key(_g(m, "nwday", "ord"))), _weekday_of(lx, _g(m, "nwday", "wd"))
    if not n or wd is None:
        return None
    s, e = m.span()
    out = _M(s, e, "nwday", None, None, "", kind="nwday")  # waits for its month (see _join)
    out.clock = (n, wd)
    return out


def _nth_weekday_of(nw: _M, b: _M) -> _M | None:
    """"الجمعة الأولى من رمضان": the nth (or last) such weekday inside the month, in any calendar."""
    n, wd = nw.clock
    if n > 0:
        d = b.start + timedelta(days=(wd - b.start.weekday()) % 7 + 7 * (n - 1))
    else:
        d = b.end - timedelta(days=(b.end.weekday() - wd) % 7)
    if not b.start <= d <= b.end:
        return None
    return _M(nw.s, b.e, "day", d, d, _iso(d), relative=b.relative, anchored=b.anchored, conf=b.conf - 0.05,
              flags=list(b.flags), kind="nwday")


def _nth_week(nw: _M, b: _M) -> _M | None:
    """The nth week of a month: the week that starts on its nth Monday; the last week: the one with
    most of its days in the month (holding its last Thursday).  Of a year: ISO week n (or the last)."""
    n = nw.clock[0]
    if b.gran == "year":
        y = b.start.year
        n = date(y, 12, 28).isocalendar()[1] if n < 0 else n
        first = date.fromisocalendar(y, n, 1)
    else:
        mondays = [b.start + timedelta(days=(7 - b.start.weekday()) % 7 + 7 * k) for k in range(5)]
        mondays = [d for d in mondays if d <= b.end]
        if n < 0:
            first = b.end - timedelta(days=(b.end.weekday() - 3) % 7 + 3)  # last Thursday - 3 days
        elif n <= len(mondays):
            first = mondays[n - 1]
        else:
            return None
    iso = first.isocalendar()
    return _M(nw.s, b.e, "week", first, first + timedelta(days=6), f"{iso[0]:04d}-W{iso[1]:02d}",
              relative=b.relative, anchored=b.anchored, conf=b.conf - 0.1, flags=list(b.flags), kind="nweek")


def _drange(m, ctx):
    lx = ctx.lx
    b = "drange" if _g(m, "drange", "d1") else "drange2" if _g(m, "drange2", "d1") else "drange3"
    rel = _relmon(m, ctx, b)
    mon = rel or (_month_lookup(lx, _g(m, b, "mon")) if _g(m, b, "mon") else None)
    if mon is None:
        return None
    cal, month = mon[:2]
    d1 = int(re.sub(r"\D", "", _g(m, b, "d1"))[:2])
    d2 = int(re.sub(r"\D", "", _g(m, b, "d2"))[:2])
    if d2 <= d1:
        return None
    year = mon[2] if rel else _year_value(_g(m, b, "year"), lx)[0]
    s, e = m.span()
    flags: list = []
    res1 = _resolve_day(ctx, cal, month, d1, year, s, e, flags)
    if res1 is None:
        return None
    first, y = res1
    last = C.to_gregorian(cal, y, month, d2)
    if last is None:
        return None
    yx = f"{y:04d}" if year is not None else "XXXX"
    timex = f"({yx}-{month:02d}-{d1:02d},{yx}-{month:02d}-{d2:02d},P{(last - first).days}D)"
    return _M(s, e, "interval", first, last, timex, calendar=cal,
              cal_value=(_cal_value(cal, y, month, d1) + "/" + _cal_value(cal, y, month, d2)) if cal != C.GREGORIAN else None,
              anchored=year is None, conf=0.85, flags=flags, kind="drange")


def _yrange(m, ctx):
    lx = ctx.lx
    y1, c1 = _year_value(_g(m, "yrange", "y1") or _g(m, "yrange", "y3") or _g(m, "yrange", "y5"), lx)
    y2, c2 = _year_value(_g(m, "yrange", "y2") or _g(m, "yrange", "y4") or _g(m, "yrange", "y6"), lx)
    if y2 <= y1 or y2 - y1 > 200:
        return None
    if lx.latin and m.group().startswith("from") and _AND_WORD.search(m.group()):
        return None  # "from 2015 and 2016" names two years
    cal = c2 or c1 or _default_calendar(y1, ctx.lang)
    r1, r2 = C.year_range(cal, y1), C.year_range(cal, y2)
    if r1 is None or r2 is None:
        return None
    s, e = m.span()
    return _M(s, e, "interval", r1[0], r2[1], f"({y1:04d},{y2:04d},P{y2 - y1}Y)", calendar=cal,
              cal_value=f"{y1:04d}/{y2:04d}" if cal != C.GREGORIAN else None, conf=0.85, kind="yrange")


def _weekday_day(ctx: _Ctx, day: int, wd: int | None, s: int, e: int) -> date | None:
    """Day `day` of this month or the last (the next in a future clause), preferring the month in
    which the named weekday fits; else the first plausible one."""
    first = ctx.ref.replace(day=1)
    future = ctx.future(s, e)
    candidates = [first, _add_months(first, 1 if future else -1)]
    picked = None
    for base in candidates:
        if day > C.month_length(C.GREGORIAN, base.year, base.month):
            continue
        d = base.replace(day=day)
        if picked is None and (d <= ctx.ref or future):
            picked = d
        if d.weekday() == wd and ((d <= ctx.ref) != future or d == ctx.ref):
            return d
    # The named weekday fits this month's day only on the other side of publication ("يوم
    # الثلاثاء 31" published on Sunday the 15th, Tuesday the 31st): the weekday decides.
    if wd is not None and day <= C.month_length(C.GREGORIAN, ctx.ref.year, ctx.ref.month) \
            and ctx.ref.replace(day=day).weekday() == wd and (picked is None or picked.weekday() != wd):
        return ctx.ref.replace(day=day)
    if ctx.lx.latin and wd is not None and (picked is None or picked.weekday() != wd):
        # English "Friday the 13th": the nearest month before publication (after it, in a future
        # clause) whose day falls on that weekday; there is one within 14 months
        for k in range(2, 28):
            base = _add_months(first, k if future else -k)
            if day <= C.month_length(C.GREGORIAN, base.year, base.month) and base.replace(day=day).weekday() == wd:
                return base.replace(day=day)
    return picked


def _wdd(m, ctx):
    """"يوم الجمعة 15": the day in this month, or the last month if that is after publication."""
    lx = ctx.lx
    if ctx.ref is None:
        return None
    day = int(_g(m, "wdd", "day")) if _g(m, "wdd", "day") else lx.minute_numbers.get(key(_g(m, "wdd", "card")))
    wd = _weekday_of(lx, _g(m, "wdd", "wd"))
    s, e = m.span()
    flags: list = ["month_inferred"]
    picked = _weekday_day(ctx, day, wd, s, e)
    if picked is None:
        return None
    _weekday_check(flags, picked, wd, bool(_g(m, "wdd", "night")))
    return _M(s, e, "day", picked, picked, f"XXXX-XX-{day:02d}", anchored=True, conf=0.7, flags=flags, kind="wdd",
              part=_part_of(m, lx, "wdd"))


def _wdo(m, ctx):
    """"يوم الأحد الثاني." with no month after it: a masculine ordinal 1-5 (or الأخير) is the nth
    such weekday of the publication month, a larger ordinal is that day of the month ("الثلاثاء
    الحادي والثلاثين", as for "يوم الجمعة 15"); a feminine 1-5 here is left alone."""
    lx = ctx.lx
    if ctx.ref is None:
        return None
    word = key(_g(m, "wdo", "ord"))
    wd = _weekday_of(lx, _g(m, "wdo", "wd"))
    if wd is None:
        return None
    s, e = m.span()
    nth = lx.ordinals_weekday_end.get(word)
    if nth is not None:
        d = _nth_weekday(ctx.ref.year, ctx.ref.month, wd, nth)
        if d is None:
            return None
        return _M(s, e, "day", d, d, _iso(d), anchored=True, conf=0.6, flags=["month_inferred"], kind="wdo")
    day = lx.ordinals.get(word)
    if not day or (day <= 5 and not lx.latin):  # English has no nth-weekday reading here: "Friday the third"
        return None
    picked = _weekday_day(ctx, day, wd, s, e)
    if picked is None or picked.weekday() != wd:
        return None  # in words and without a month, the weekday must agree; else the weekday alone
    flags: list = ["month_inferred"]
    return _M(s, e, "day", picked, picked, f"XXXX-XX-{day:02d}", anchored=True, conf=0.65, flags=flags, kind="wdo",
              part=_part_of(m, lx, "wdo"))


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    if nth > 0:
        first = date(year, month, 1)
        d = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    else:  # the last one
        last = date(year, month, C.month_length(C.GREGORIAN, year, month))
        d = last - timedelta(days=(last.weekday() - weekday) % 7)
    return d if d.month == month else None


def _hol(m, ctx):
    lx = ctx.lx
    spec = lx.holidays.get(key(_g(m, "hol", "name")))
    if spec is None:
        return None
    cal = spec["calendar"]
    year, _ = _year_value(_g(m, "hol", "year"), lx)
    s, e = m.span()
    flags: list = []
    modb = _g(m, "hol", "modb")
    shift = ctx.lx.modifiers_before.get(key(modb)) if modb else None
    if "nth" in spec or "easter" in spec or (shift in (-1, 1) and cal == C.GREGORIAN and year is None):
        def on(y: int) -> date | None:  # the holiday in Gregorian year y
            if "easter" in spec:  # "Good Friday" = Easter - 2, "Easter Monday" = Easter + 1
                d0 = _easter(y) + timedelta(days=spec["easter"])
            elif "nth" in spec:
                d0 = _nth_weekday(y, spec["month"], spec["weekday"], spec["nth"])
                d0 = d0 + timedelta(days=spec.get("offset", 0)) if d0 else None  # "Black Friday" = Thanksgiving + 1
            else:
                d0 = date(y, spec["month"], spec["day"])
            return d0
        if year is None:
            if ctx.ref is None:
                return None
            future = shift == 1 or (shift is None and ctx.future(s, e))
            y = ctx.ref.year
            d = on(y)
            if d is None:
                return None
            if shift == -1 and d >= ctx.ref:  # "last Easter": the one before publication
                d = on(y - 1)
            elif shift == 1 and d <= ctx.ref:  # "next Easter": the one after it
                d = on(y + 1)
            elif not future and d > ctx.ref:
                d = on(y - 1)
            elif future and shift is None and d < ctx.ref:
                d = on(y + 1)
                flags.append("future_by_tense")
            flags.append("year_inferred")
        else:
            d = on(year)
        if d is None:
            return None
        hy = d.year
    else:
        res = _resolve_day(ctx, cal, spec["month"], spec["day"], year, s, e, flags)
        if res is None:
            return None
        d, hy = res
    timex = _iso(d) if year is not None or cal != C.GREGORIAN or shift else f"XXXX-{d.month:02d}-{d.day:02d}"
    return _M(s, e, "day", d, d, timex, calendar=cal,
              cal_value=_cal_value(cal, hy, spec["month"], spec.get("day")) if cal != C.GREGORIAN else None,
              anchored=year is None, conf=0.85, flags=flags, kind="hol")


def _easter(y: int) -> date:
    """Western (Gregorian) Easter Sunday: the anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a, b, c = y % 19, y // 100, y % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    lw = (32 + 2 * e + 2 * i - h - k) % 7
    mm = (a + 11 * h + 19 * lw) // 433
    month = (h + lw - 7 * mm + 90) // 25
    return date(y, month, (h + lw - 7 * mm + 33 * month + 19) % 32)


def _ymn(m, ctx):
    y = int(_g(m, "ymn", "y") or _g(m, "ymn", "y2"))
    mo = int(_g(m, "ymn", "m") or _g(m, "ymn", "m2"))
    if not 1900 <= y <= 2099:
        return None
    first, last = C.month_range(C.GREGORIAN, y, mo)
    s, e = m.span()
    return _M(s, e, "month", first, last, f"{y:04d}-{mo:02d}", conf=0.7, kind="ymn")


def _span(m, ctx):
    """"الأشهر الثلاثة الماضية": [publication - 3 months, publication); "المقبلة": the days after it."""
    lx = ctx.lx
    if ctx.ref is None:
        return None
    if _g(m, "span", "units"):
        count = key(_g(m, "span", "count"))
        unit = lx.span_units.get(key(_g(m, "span", "units")))
        n = int(count.lstrip("ال ")) if count[-1:].isdigit() else lx.span_counts.get(count)
        shift = lx.modifiers_after.get(key(_g(m, "span", "moda")))
    elif _g(m, "span", "count6") or _g(m, "span", "num7"):  # "الثلاثة عقود القادمة", "2 العقود الماضية"
        count = key(_g(m, "span", "count6") or _g(m, "span", "num7"))
        unit = lx.units.get(key(_g(m, "span", "unit6") or "")) or lx.span_units.get(key(_g(m, "span", "units7") or ""))
        n = int(count.lstrip("ال ")) if count[-1:].isdigit() else lx.span_counts.get(count)
        shift = lx.modifiers_after.get(key(_g(m, "span", "moda6") or _g(m, "span", "moda7")))
    elif _g(m, "span", "duals"):
        unit, n = lx.span_dual_units.get(key(_g(m, "span", "duals"))), 2
        shift = lx.modifiers_after.get(key(_g(m, "span", "moda2")))
    else:
        raw_n = _g(m, "span", "num") or _g(m, "span", "num4") or _g(m, "span", "num5")
        unit = lx.units.get(key(_g(m, "span", "unit") or _g(m, "span", "unit4") or _g(m, "span", "unit5")))
        n = int(raw_n) if raw_n.isdigit() else lx.cardinals.get(key(raw_n))
        moda, modb = _g(m, "span", "moda3"), _g(m, "span", "modb")
        if moda and (key(moda) in lx.ago_after or key(moda) in lx.later_after or key(moda) in lx.point_modifiers):
            return None  # "دو روز پیش" is a point ("two days ago"), the ago branch takes it
        shift = lx.modifiers_after.get(key(moda)) if moda else (
            lx.modifiers_before.get(key(modb)) if modb else lx.span_before.get(key(_g(m, "span", "lastb") or "")))
    if not unit or not n or shift not in (-1, 1) or unit not in ("day", "week", "month", "year", "decade", "hour", "minute",
                                                                  "quarter"):
        return None
    ref = ctx.ref
    s, e = m.span()
    if unit == "quarter":  # "the past two quarters": whole calendar quarters before (after) this one
        q0 = ref.year * 4 + (ref.month - 1) // 3
        qa, qb = (q0 - n, q0 - 1) if shift < 0 else (q0 + 1, q0 + n)
        start = date(qa // 4, 3 * (qa % 4) + 1, 1)
        end = _add_months(date(qb // 4, 3 * (qb % 4) + 1, 1), 3) - timedelta(days=1)
        return _M(s, e, "interval", start, end, f"({_iso(start)},{_iso(end)},P{n}Q)", relative=True,
                  anchored=True, conf=0.7, kind="span")
    if unit in ("hour", "minute"):  # "الساعات الـ24 الماضية", "آخر 3 دقائق": up to (from) the publication time
        return _clock_span(ctx, s, e, n, unit, shift)
    if unit == "decade":  # "العقدين الماضيين": whole calendar decades before (after) this one
        d0 = ref.year // 10 * 10
        y1, y2 = (d0 - 10 * n, d0 - 1) if shift < 0 else (d0 + 10, d0 + 10 * n + 9)
        return _M(s, e, "interval", date(y1, 1, 1), date(y2, 12, 31), f"({y1:04d},{y2 + 1:04d},P{n}DE)",
                  relative=True, anchored=True, conf=0.7, kind="span")
    months = {"month": n, "year": 12 * n}.get(unit)
    days = {"day": n, "week": 7 * n}.get(unit)
    if shift < 0:
        start = _add_months(ref, -months) if months else ref - timedelta(days=days)
        end = ref - timedelta(days=1)
    else:
        start = ref + timedelta(days=1)
        end = _add_months(ref, months) if months else ref + timedelta(days=days)
    s, e = m.span()
    code = {"day": "D", "week": "W", "month": "M", "year": "Y"}[unit]
    return _M(s, e, "interval", start, end, f"({_iso(start)},{_iso(end)},P{n}{code})", relative=True,
              anchored=True, conf=0.75, kind="span")


def _clock_span(ctx: _Ctx, s: int, e: int, n: int, unit: str, shift: int) -> _M | None:
    if ctx.anchor is None or n > 1000:
        return None
    delta = timedelta(hours=n) if unit == "hour" else timedelta(minutes=n)
    a, b = (ctx.anchor - delta, ctx.anchor) if shift < 0 else (ctx.anchor, ctx.anchor + delta)
    out = _M(s, e, "interval", a.date(), b.date(),
             f"({a:%Y-%m-%dT%H:%M},{b:%Y-%m-%dT%H:%M},PT{n}{'H' if unit == 'hour' else 'M'})",
             relative=True, anchored=True, conf=0.7, kind="span")
    out.value = f"{a.isoformat(timespec='seconds')}/{b.isoformat(timespec='seconds')}"
    return out


_HANDLERS = {
    "drange": _drange, "yrange": _yrange, "nmon": _nmon, "dmy": _dmy, "mdy": _mdy, "ymd": _ymd, "dmyn": _dmyn, "dmn": _dmn, "dmy2": _dmy2, "mdrange": _mdrange, "dmnp": _dmnp, "wdo": _wdo, "ppu": _ppu, "bdn": _bdn,
    "my": _my, "mon": _mon, "ago": _ago, "unit": _unit, "rel": _rel, "wday": _wday, "year": _year,
    "decade": _decade, "cent": _cent, "time": _time, "trange": _trange, "qtr": _qtr, "pp": _pp, "wdd": _wdd, "hol": _hol,
    "ymn": _ymn, "span": _span, "nweek": _nweek, "rest": _rest, "nwday": _nwday, "dpart": _dpart, "btime": _btime, "tcard": _tcard,
    "cnt": _cnt, "nfirst": _nfirst,
}


# ---------------------------------------------------------------- joining neighbours

_RANGE_KINDS = {"day", "month", "year", "week", "quarter"}


_NARROW_GAP = re.compile(r"[ \-]{0,3}(?:(?:من|of|in|في|از) {1,3})?\Z")


def _join(items: list[_M], ctx: _Ctx) -> list[_M]:
    """Merge neighbours that form one expression; drop helpers that found no partner."""
    text = ctx.text
    out: list[_M] = []
    i = 0
    while i < len(items):
        a = items[i]
        b = items[i + 1] if i + 1 < len(items) else None
        if b is not None and b.s - a.e <= 40:
            gap = text[a.e:b.s]
            try:
                merged = _pair(a, b, gap, ctx)
            except (ValueError, OverflowError, TypeError, IndexError, KeyError) as exc:
                # a join that falls outside the calendar ("the early 1st century"): keep both, say so
                ctx.doc.notes.setdefault("warnings", []).append(f"dates: join at {a.s}: {type(exc).__name__}")
                merged = None
            if merged is not None:
                items[i + 1] = merged  # it may join the next one too ("الساعة 5 ... يوم 12 ... عام")
                i += 1
                continue
        if a.gran == "quarter" and a.start is None:  # "الربع الثالث" alone: this year's or last year's
            a = _quarter(a, None, ctx)
        if a is not None and a.gran not in ("pp", "nweek", "nwday", "dpart", "btime", "bdn", "cnt", "nfirst") or (
                a is not None and a.gran == "bdn" and out and out[-1].gran == "day"):
            out.append(a)
        elif (a is not None and a.kind == "btime" and a.clock is not None and ctx.lx.rules.get("bare_hour_alone")
              and _BTIME_AFTER.match(text, a.e) and _BTIME_PREP_BEFORE.search(text, max(0, a.s - 8), a.s)):
            # conventions profile: "سأعود في السابعة" is 07:00 (with في/عند: "الثانية" alone is "the second")
            out.append(_as_time(a))
        i += 1
    return out


def _pair(a: _M, b: _M, gap: str, ctx: _Ctx) -> _M | None:
    lx, text = ctx.lx, ctx.text
    if a.kind == "vague" or b.kind == "vague":  # no dates to join with
        return None
    # "14 جمادى الأولى 1445 هـ الموافق 28 نوفمبر 2023": two calendars, one day; check, never fix
    if (a.gran == b.gran == "day" and a.calendar != b.calendar and lx.equivalence is not None
            and lx.equivalence.match(gap) and a.start and b.start and abs((a.start - b.start).days) > 1):
        a.flags.append("calendar_mismatch")
        b.flags.append("calendar_mismatch")
    # "مطلع الشهر المقبل", "أواخر 2015", "early next week"
    # ("the early 1990s": English only so far; Arabic "بداية الستينيات" stays the decade)
    if a.gran == "pp" and (b.gran in ("month", "year", "week") or (b.gran in ("decade", "century") and lx.latin)) \
            and _NARROW_GAP.match(gap):
        # (the profile's weekend reading is for this week only: "نهاية الأسبوع المقبل" stays its late half)
        return _narrow(a, b, key(text[a.s:a.e]) in lx.rules.get("weekend_parts", ())
                       and b.gran == "week" and ctx.ref is not None and b.start == _week_range(ctx.ref)[0],
                       thirds=bool(lx.rules.get("year_part_thirds")) and b.kind == "year")
    if a.gran == "nfirst" and b.gran in ("year", "month", "quarter", "half") and b.start and b.calendar == C.GREGORIAN \
            and _NARROW_GAP.match(gap):
        return _first_of(a, b)
    # "two weeks before Christmas", "3 days after January 12th": that far from the day
    if a.gran == "cnt" and b.gran == "day" and b.start and not gap.strip() and b.value is None:
        months, days = a.clock
        d = _add_months(b.start, months) + timedelta(days=days)
        return _M(a.s, b.e, "day", d, d, _iso(d), calendar=C.GREGORIAN, relative=b.relative, anchored=b.anchored,
                  conf=b.conf - 0.1, flags=list(b.flags), kind="cntday")
    # "نهاية اليوم", "نهاية يوم الأحد": the end of that day, 23:59
    if (a.gran == "pp" and b.gran == "day" and not b.part and b.value is None and _NARROW_GAP.match(gap)
            and key(text[a.s:a.e]) in lx.end_of_day_words):
        return _end_of_day(a, b, ctx)
    # Parts of day and days: "في وقت متأخر من مساء الثلاثاء", "يوم الثلاثاء في الصباح الباكر",
    # "في الصباح الباكر يوم الثلاثاء", "5 فبراير صباحا"
    if a.kind == "pmod" and b.gran == "day" and b.part and b.value is None and b.s - a.e <= 1 \
            and text[b.s:b.e].split(" ", 1)[0] not in lx.part_no_halves:
        return _day_part(b, b.part, a.clock[0], a.s, b.e, ctx)
    if a.gran == "day" and not a.part and a.value is None and b.kind in ("dpart", "padv") and b.s - a.e <= 8 \
            and (lx.joiner.match(gap) if b.kind == "dpart" else _TIGHT_GAP.fullmatch(gap)):
        return _day_part(a, b.part, _mod_of(b), a.s, b.e, ctx)
    if a.kind == "dpart" and b.gran == "day" and not b.part and b.value is None and b.s - a.e <= 8 \
            and lx.joiner.match(gap):
        return _day_part(b, a.part, _mod_of(a), a.s, b.e, ctx)
    # A bare hour next to a day: "الليلة في 7", "23 أكتوبر في السابعة", "8 هذا الصباح", "10 ، الليلة"
    # "الساعة 8 مساء يوم 15", "يوم 15، 8 مساء", "في السابعة في 15": a day number next to a clock
    if b.kind == "btime" and b.cal_value and a.kind in ("time", "btime") and _BDAY_GAP.fullmatch(gap) \
            and _BTIME_AFTER.match(text, b.e) and (a.kind == "time" or a.clock is not None):
        return _bday(b, a if a.kind == "time" else _as_time(a), ctx)
    if a.kind == "btime" and a.cal_value and b.kind == "time" and _TIGHT_GAP.fullmatch(gap):
        before = _BDAY_BEFORE.search(text, max(0, a.s - 8), a.s)
        if before:
            out = _bday(a, b, ctx)
            if out is not None:
                out.s = before.start()  # the mention starts at "يوم"
            return out
    if b.kind == "btime" and b.clock is not None and a.gran == "day" and a.value is None and _BTIME_PREP_GAP.fullmatch(gap) \
            and _BTIME_AFTER.match(text, b.e):
        return _datetime(a, _as_time(b), ctx)
    if a.kind == "btrange" and b.gran == "day" and b.value is None and lx.joiner.match(gap) and b.s - a.e <= 6:
        return _datetime(b, _as_trange(a), ctx)
    if b.kind == "btrange" and a.gran == "day" and a.value is None and re.fullmatch(r"[ ,،]{1,3}", gap) \
            and _BTIME_AFTER.match(text, b.e):
        return _datetime(a, _as_trange(b), ctx)
    if a.kind == "btime" and a.clock is not None and b.gran == "day" and b.part and b.value is None and _TIGHT_GAP.fullmatch(gap) \
            and ("," in gap or "،" in gap or not text[a.s].isdigit()):
        return _datetime(b, _as_time(a), ctx)
    # "الأسبوع الثالث من نوفمبر", "the last week of 2015"
    if a.gran == "nweek" and (b.gran == "month" or (b.gran == "year" and b.calendar == C.GREGORIAN)) \
            and _NARROW_GAP.match(gap):
        return _nth_week(a, b)
    # "الجمعة الأولى من رمضان", "the first Friday of July"
    if a.gran == "nwday" and b.gran == "month" and _NARROW_GAP.match(gap):
        return _nth_weekday_of(a, b)
    # "الربع الثالث من عام 2016"
    if a.gran == "quarter" and a.start is None and b.gran == "year" and _NARROW_GAP.match(gap):
        return _quarter(a, b, ctx)
    # "الأسبوع المقبل يوم الجمعة", "الجمعة من الأسبوع المقبل": that weekday inside that week
    if {a.kind, b.kind} == {"unit", "wday"} and {a.gran, b.gran} == {"week", "day"} and b.s - a.e <= 12 \
            and (_NARROW_GAP.match(gap) or lx.joiner.match(gap)) \
            and not (a.gran == "week" and lx.wd_range_after.match(ctx.text, b.e)):  # "هذا الأسبوع من الثلاثاء إلى الخميس"
        week, wday = (a, b) if a.gran == "week" else (b, a)
        d = week.start + timedelta(days=wday.start.weekday())
        return _M(a.s, b.e, "day", d, d, _iso(d), relative=True, anchored=True, conf=0.8,
                  flags=[f for f in wday.flags if f != "future_by_tense"], part=wday.part, kind="wday")
    # A date and a clock time next to each other are one datetime (or datetime range).
    joinable = lx.joiner.match(gap) or re.fullmatch(r"[ ,]{0,3}|[ ,]{0,2}-[ ]{0,2}", gap)
    if joinable and b.s - a.e <= 25:
        if a.gran == "day" and b.kind in ("time", "trange"):
            return _datetime(a, b, ctx)
        if a.kind in ("time", "trange") and b.gran == "day":
            return _datetime(b, a, ctx)
    # "من 12 نوفمبر إلى 3 ديسمبر", "between 2019 and 2021", "from Monday to Friday"
    if (a.gran == b.gran == "day" and "year_inferred" in a.flags and "year_inferred" in b.flags
            and a.calendar == b.calendar == C.GREGORIAN and a.start >= b.start and lx.range_to.match(gap)):
        # "Oct. 2 to October 22": one range, so the end takes the year that follows its start
        for y in (a.start.year, a.start.year + 1):
            try:
                moved = b.start.replace(year=y)
            except ValueError:
                continue
            if moved > a.start:
                b = _M(b.s, b.e, b.gran, moved, moved, b.timex, calendar=b.calendar, anchored=True,
                       conf=b.conf, flags=list(b.flags), kind=b.kind)
                break
    # "في المساء في 7": a bare hour made pm by the part of day before it
    if a.kind == "dpart" and a.part and b.kind == "btime" and b.clock is not None and _BTIME_PREP_GAP.fullmatch(gap) \
            and _BTIME_AFTER.match(text, b.e):
        h, mi, sec = b.clock
        if a.part in ("AF", "EV", "NI") and h < 12:
            h += 12
        out = _M(a.s, b.e, "time", None, None, _timex_clock((h, mi, sec)), conf=0.6, clock=(h, mi, sec), kind="time")
        out.value = out.timex
        return out
    if a.kind == b.kind == "wday" and a.start and b.start and b.start <= a.start and lx.range_to.match(gap):
        # "من الجمعة إلى الثلاثاء": the end is the next such weekday after the start
        moved = a.start + timedelta(days=(b.start.weekday() - a.start.weekday()) % 7 or 7)
        b = _M(b.s, b.e, "day", moved, moved, _iso(moved), relative=True, anchored=True, conf=b.conf,
               flags=list(b.flags), part=b.part, kind="wday")
    if lx.latin and lx.range_to.match(gap):
        a, b = _range_years(a, b)
    if ((a.gran == b.gran and a.gran in _RANGE_KINDS) or (lx.latin and _rangeable(a) and _rangeable(b))) \
            and a.start and b.start and a.start < b.start and a.kind != "pp":
        to = lx.range_to.match(gap)
        if to and to.end() == len(gap):
            head = text[max(0, a.s - 12):a.s]
            frm = lx.range_from.search(head)
            if (frm or gap.strip() not in ("و", "and", "&")) and not (lx.latin and frm and _from_and(frm, gap)):
                start = a.s
                if frm:  # include the "من"/"between" that opens the range
                    lead = frm.start() + (1 if head[frm.start()] in " (\t\n" else 0)
                    start = a.s - len(head) + lead
                out = _interval(a, b, start)
                if a.kind == b.kind == "wday":
                    out.kind = "wdrange"  # may still take a week before it (see _week_ranges)
                return out
    return None


_AND_WORD = re.compile(r" (?:and|&) ")


def _from_and(frm: re.Match, gap: str) -> bool:
    """English "from 2015 and 2016" names two years; "from" pairs with "to", "between" with "and"."""
    return gap.strip() in ("and", "&") and "between" not in frm.group()


def _rangeable(x: _M) -> bool:
    """English ranges may join different granularities: "from 2015 to May 5th, 2017", "between Jan 2019
    and now", "from April until the end of June"."""
    return x.calendar == C.GREGORIAN and x.start is not None and x.end is not None and (
        x.gran in ("day", "month", "year", "week", "quarter", "half") or (x.gran == "interval" and x.kind == "pp")
        or (x.kind == "rel" and x.timex == "PRESENT_REF"))


def _with_year(x: _M, y: int) -> _M | None:
    """A year-less day or month moved to year `y` (None if it does not exist there)."""
    try:
        if x.gran == "day":
            first = last = x.start.replace(year=y)
        else:
            first, last = C.month_range(C.GREGORIAN, y, x.start.month)
    except (ValueError, TypeError):
        return None
    return _M(x.s, x.e, x.gran, first, last, x.timex, calendar=x.calendar, anchored=True, conf=x.conf,
              flags=[f for f in x.flags if f != "future_by_tense"], kind=x.kind, part=x.part)


def _range_years(a: _M, b: _M) -> tuple[_M, _M]:
    """English "from May to September", "Nov-Feb 2017", "Nov 18-Dec 19, 2015": the two ends of one range
    share the year they name; a year-less end takes the year that keeps the start before the end."""
    if a.gran not in ("day", "month") or b.gran not in ("day", "month") or a.calendar != C.GREGORIAN \
            or b.calendar != C.GREGORIAN or not a.start or not b.start:
        return a, b
    # ("this May", "next June" are named relative to publication: they keep their year)
    a_inf, b_inf = "year_inferred" in a.flags and not a.relative, "year_inferred" in b.flags and not b.relative
    if a_inf and not b_inf:  # "Nov-Feb 2017": the start takes the end's year, or the one before
        y = b.start.year if (a.start.month, a.start.day) <= (b.start.month, b.start.day) else b.start.year - 1
        a = _with_year(a, y) or a
    elif a_inf and b_inf and a.start >= b.start:
        before = (a.start.month, a.start.day) < (b.start.month, b.start.day)
        if "future_by_tense" in a.flags + b.flags:  # "will run from May to September": the end follows the start
            b = _with_year(b, a.start.year if before else a.start.year + 1) or b
        else:  # "ran from Nov to March": the start comes before the end
            a = _with_year(a, b.start.year if before else b.start.year - 1) or a
    return a, b


def _week_ranges(items: list[_M], ctx: _Ctx) -> list[_M]:
    """"الأسبوع المقبل بين الأربعاء والجمعة", "هذا الأسبوع من الثلاثاء إلى الخميس": a range of two
    weekdays right after a week is that stretch inside that week (the end may wrap into the next)."""
    out: list[_M] = []
    for mm in items:
        prev = out[-1] if out else None
        if mm.gran == "bdn":
            # "بدأت في 3 أغسطس وانتهت في 15": a later day of the month of the date just before, in the same sentence
            n = mm.clock[0]
            if (prev is not None and prev.gran == "day" and prev.kind in ("dmy", "mdy") and prev.start
                    and prev.calendar == C.GREGORIAN and prev.start.day < n
                    and n <= C.month_length(C.GREGORIAN, prev.start.year, prev.start.month)
                    and not _SENTENCE_END.search(ctx.text, prev.e, mm.s)):
                d = prev.start.replace(day=n)
                out.append(_M(mm.s, mm.e, "day", d, d, prev.timex[:-2] + f"{n:02d}", anchored=prev.anchored,
                              conf=prev.conf - 0.15, flags=list(prev.flags) + ["month_inferred"], kind="bdn"))
            continue
        if (mm.kind == "wdrange" and prev is not None and prev.kind == "unit" and prev.gran == "week"
                and _WEEK_RANGE_GAP.fullmatch(ctx.text, prev.e, mm.s)):
            first = prev.start + timedelta(days=mm.start.weekday())
            last = first + timedelta(days=(mm.end.weekday() - mm.start.weekday()) % 7)
            out[-1] = _M(prev.s, mm.e, "interval", first, last,
                         f"({_iso(first)},{_iso(last)},P{(last - first).days}D)", relative=True, anchored=True,
                         conf=0.75, flags=[], kind="interval")
            continue
        if (mm.gran == "day" and (mm.kind == "dmy" or (mm.kind == "mdy" and ctx.lx.latin)) and ctx.lx.week_of is not None
                and ctx.lx.week_of.search(ctx.text, max(0, mm.s - 24), mm.s)):
            # "أسبوع 16 سبتمبر", "the week of April 10", "w/c Feb 4": the (ISO) week holding that day; a week
            # "beginning"/"starting" on a Sunday starts there (a Sunday-to-Saturday week)
            first, last = _week_range(mm.start)
            if mm.start.weekday() == 6 and _WEEK_STARTING.search(ctx.text, max(0, mm.s - 24), mm.s):
                first, last = mm.start, mm.start + timedelta(days=6)
            iso = first.isocalendar()
            timex = f"{iso[0]:04d}-W{iso[1]:02d}" if first.weekday() == 0 else f"({_iso(first)},{_iso(last + timedelta(days=1))},P1W)"
            mm = _M(ctx.lx.week_of.search(ctx.text, max(0, mm.s - 24), mm.s).start(), mm.e, "week", first, last,
                    timex, anchored=mm.anchored, conf=mm.conf - 0.1, flags=list(mm.flags), kind="weekof")
        out.append(mm)
    return out


_TIGHT_GAP = re.compile(r"[ ,،]{1,4}")
_WEEK_STARTING = re.compile(r"(?:beginning|starting|commencing|w/c)(?: on)? {1,3}\Z")
_WEEK_RANGE_GAP = re.compile(r"[ ,،]{0,3}")
_WORD = re.compile(r"[^\W\d_]{2}")
_CLAUSE_END = re.compile(r" {0,3}(?:[.,،;:!?؟)\n]|\Z)")
_BDAY_GAP = re.compile(r"[ ,،]{0,3}(?:يوم|في) {1,3}")  # "الساعة 8 مساء يوم 15"
_BDAY_BEFORE = re.compile(r"(?<![^\W\d_])يوم {1,3}\Z")  # "يوم 15، 8 مساء"
_BTRANGE_AFTER = re.compile(r" {0,3}(?:[.,،;:!?؟)]|\Z|(?:من|في) {1,3}[\w])")
_BTIME_PREP_GAP = re.compile(r"[ ,،]{0,3}(?:في|عند|at) {1,3}")  # "الليلة في 7": the hour needs its preposition
_BTIME_PREP_BEFORE = re.compile(r"(?<![^\W\d_])(?:في|عند|at) {1,3}\Z")
_BTIME_AFTER = re.compile(r" {0,3}(?:[^\w ]|\Z)")  # ... and ends the clause ("في 7 مدن" is a count)


def _mod_of(mm: _M) -> str | None:
    return next((f[4:] for f in mm.flags if f.startswith("mod_")), None)


def _as_time(bt: _M) -> _M:
    return _M(bt.s, bt.e, "time", None, None, _timex_clock(bt.clock), conf=0.65, clock=bt.clock, kind="time")


def _as_trange(bt: _M) -> _M:
    return _M(bt.s, bt.e, "interval", None, None, "", conf=0.65, clock=bt.clock, clock2=bt.clock2, kind="trange")


def _day_part(day: _M, part: str, mod: str | None, s: int, e: int, ctx: _Ctx) -> _M:
    """The day with its part of day; narrowed by early/late ("في وقت متأخر من مساء الثلاثاء") it
    becomes that half of the part as a datetime range (the specs' halves: evening 16-18 / 18-20)."""
    base = day.timex.split("T")[0] if day.timex and not day.timex.startswith("(") else _iso(day.start)
    clocks = _part_clocks(part, mod) if mod else None
    if clocks is None:
        return _M(s, e, "day", day.start, day.end, f"{base}T{part}", calendar=day.calendar, cal_value=day.cal_value,
                  relative=day.relative, anchored=day.anchored, conf=day.conf, flags=list(day.flags), part=part,
                  kind=day.kind)
    tz = ctx.anchor.tzinfo if ctx.anchor else None
    d = day.start
    t1, t2 = (datetime(d.year, d.month, d.day, *c, tzinfo=tz) for c in clocks)
    out = _M(s, e, "interval", d, d, f"({base}{_timex_clock(clocks[0])},{base}{_timex_clock(clocks[1])})",
             calendar=day.calendar, cal_value=day.cal_value, relative=day.relative, anchored=day.anchored,
             conf=day.conf - 0.1, flags=list(day.flags) + [f"mod_{mod}"] + (["timezone_assumed"] if tz else []),
             part=part, kind="datetime")
    out.value = f"{t1.isoformat(timespec='seconds')}/{t2.isoformat(timespec='seconds')}"
    return out


def _end_of_day(pp: _M, day: _M, ctx: _Ctx) -> _M:
    tz = ctx.anchor.tzinfo if ctx.anchor else None
    d = day.start
    sec = 59 if ctx.lx.latin else 0  # English "end of tomorrow": the last second, as the specs read it
    t = datetime(d.year, d.month, d.day, 23, 59, sec, tzinfo=tz)
    base = day.timex.split("T")[0] if day.timex and not day.timex.startswith("(") else _iso(d)
    out = _M(pp.s, day.e, "datetime", d, d, f"{base}T23:59" + (":59" if sec else ""), calendar=day.calendar, cal_value=day.cal_value,
             relative=day.relative, anchored=day.anchored, conf=day.conf - 0.1,
             flags=list(day.flags) + ["mod_late"] + (["timezone_assumed"] if tz else []), kind="datetime")
    out.value = t.isoformat(timespec="seconds")
    return out


def _datetime_ranges(items: list[_M], ctx: _Ctx) -> list[_M]:
    """"من الساعة 4 مساء اليوم حتى 5 مساء غدا": two datetimes (each joined in the first pass) and a range word."""
    lx, text = ctx.lx, ctx.text
    out: list[_M] = []
    for b in items:
        a = out[-1] if out else None
        if (a is not None and a.gran == b.gran == "datetime" and a.kind == b.kind == "datetime" and a.value and b.value
                and a.value < b.value and a.value[19:] == b.value[19:] and b.s - a.e <= 12):
            gap = text[a.e:b.s]
            to = lx.range_to.match(gap)
            head = text[max(0, a.s - 12):a.s]
            frm = lx.range_from.search(head)
            if to and to.end() == len(gap) and (frm or gap.strip() not in ("و", "and", "&")):
                start = a.s - len(head) + frm.start() + (1 if head[frm.start()] in " (\t\n" else 0) if frm else a.s
                m = _M(start, b.e, "interval", a.start, b.end, f"({a.timex},{b.timex})", calendar=a.calendar,
                       relative=a.relative or b.relative, anchored=a.anchored or b.anchored,
                       conf=min(a.conf, b.conf), flags=list(dict.fromkeys(a.flags + b.flags)), kind="interval")
                m.value = f"{a.value}/{b.value}"
                out[-1] = m
                continue
        if (lx.latin and a is not None and b.s - a.e <= 12 and _rangeable(a) and _rangeable(b)
                and a.value is None and b.value is None):
            # English: ends joined in the first pass ("from April until the end of June")
            gap = text[a.e:b.s]
            to = lx.range_to.match(gap)
            if to and to.end() == len(gap):
                a2, b2 = _range_years(a, b)
                head = text[max(0, a.s - 12):a.s]
                frm = lx.range_from.search(head)
                if a2.start < b2.start and (frm or gap.strip() not in ("and", "&")) and not (frm and _from_and(frm, gap)):
                    start = a.s - len(head) + frm.start() + (1 if head[frm.start()] in " (\t\n" else 0) if frm else a.s
                    out[-1] = _interval(a2, b2, start)
                    continue
        out.append(b)
    return out


def _narrow(pp: _M, b: _M, weekend: bool = False, thirds: bool = False) -> _M:
    """Early/mid/late part of a month, year or week: halves (a week: Mon-Wed / Thu-Sun)."""
    if weekend and b.gran == "week":
        # conventions profile: "نهاية هذا الأسبوع" is that week's Saturday-Sunday weekend
        sat = b.start + timedelta(days=5)
        iso = sat.isocalendar()
        return _M(pp.s, b.e, "week", sat, sat + timedelta(days=1), f"{iso[0]:04d}-W{iso[1]:02d}-WE",
                  relative=b.relative, anchored=b.anchored, conf=b.conf - 0.1, flags=list(b.flags), kind="pp")
    days = (b.end - b.start).days + 1
    if b.gran == "week":
        first, last = {"early": (0, 2), "mid": (1, 3), "late": (3, 6)}[pp.part]
    elif b.gran == "year" and b.calendar == C.GREGORIAN and thirds:
        # conventions profile: "the end of 2000" = September-December (thirds of a named year)
        y = b.start.year
        a, z = {"early": ((y, 1), (y, 5)), "mid": ((y, 5), (y, 9)), "late": ((y, 9), (y + 1, 1))}[pp.part]
        first, last = (date(*a, 1) - b.start).days, (date(*z, 1) - b.start).days - 1
    elif b.gran == "year" and b.calendar == C.GREGORIAN:  # halves by months: H1 = January-June
        y = b.start.year
        a, z = {"early": ((y, 1), (y, 7)), "mid": ((y, 4), (y, 10)), "late": ((y, 7), (y + 1, 1))}[pp.part]
        first, last = (date(*a, 1) - b.start).days, (date(*z, 1) - b.start).days - 1
    elif b.gran in ("decade", "century"):  # by years: the early 1990s = 1990-1994, mid 1993-1996, late 1995-1999
        y, n = b.start.year // 10 * 10, 10 if b.gran == "decade" else 100
        a, z = {"early": (y, y + n // 2), "mid": (y + 3 * n // 10, y + 7 * n // 10), "late": (y + n // 2, y + n)}[pp.part]
        a = max(a, 1)  # the 1st century starts in year 1
        first, last = (date(a, 1, 1) - b.start).days, (date(z, 1, 1) - b.start).days - 1
    else:
        half = days // 2
        first, last = {"early": (0, half - 1), "mid": (days // 4, days - days // 4 - 1), "late": (half, days - 1)}[pp.part]
    out = _M(pp.s, b.e, "interval", b.start + timedelta(days=first), b.start + timedelta(days=last), b.timex,
             calendar=b.calendar, cal_value=b.cal_value, relative=b.relative, anchored=b.anchored,
             conf=b.conf - 0.1, flags=b.flags + [f"mod_{pp.part}"], kind="pp")
    return out


def _quarter(q: _M, year: _M | None, ctx: _Ctx) -> _M | None:
    """A quarter (or half: clock (n, 6)) of the year that follows it, or alone of this year or the last."""
    n, months = q.clock if len(q.clock) > 1 else (q.clock[0], 3)
    if months == 6:
        return _half(q, n, year)
    if year is not None:
        if year.calendar != C.GREGORIAN:
            return None
        y, flags, anchored = year.start.year, list(year.flags), year.anchored or year.relative
    else:
        if ctx.ref is None:
            return None
        y, flags, anchored = ctx.ref.year, ["year_inferred"], True
        if date(y, 3 * n - 2, 1) > ctx.ref:
            y -= 1
    first = date(y, 3 * n - 2, 1)
    last = _add_months(first, 3) - timedelta(days=1)
    return _M(q.s, year.e if year else q.e, "quarter", first, last, f"{y:04d}-Q{n}", relative=year.relative if year else False,
              anchored=anchored, conf=0.8 if year else 0.6, flags=flags, kind="qtr")


def _half(q: _M, n: int, year: _M | None) -> _M | None:
    """"the first half of 2016", "H2 2019": January-June or July-December; alone it is not a date
    ("the first half" of a match)."""
    if year is None or year.calendar != C.GREGORIAN:
        return None
    y = year.start.year
    first = date(y, 6 * n - 5, 1)
    last = _add_months(first, 6) - timedelta(days=1)
    return _M(q.s, year.e, "half", first, last, f"{y:04d}-H{n}", relative=year.relative,
              anchored=year.anchored or year.relative, conf=0.8, flags=list(year.flags), kind="qtr")


def _datetime(day: _M, tm: _M, ctx: _Ctx) -> _M:
    # The text's own time zone if it names one, else the publication time's offset (assumed).
    tz = _tzinfo(tm.offset) or (ctx.anchor.tzinfo if ctx.anchor else None)

    def stamp(c: tuple, explicit: bool = False) -> datetime:
        h = c[0]
        # "الليلة في 7" is 19:00; not "tonight at 1am" (am/pm written), nor the small hours of a night
        if day.part in ("EV", "NI", "AF") and h < 12 and not explicit and not (day.part == "NI" and h < 5 and ctx.lx.latin):
            h += 12
        return datetime(day.start.year, day.start.month, day.start.day, h, c[1], c[2], tzinfo=tz)

    base = day.timex.split("T")[0] if day.timex and not day.timex.startswith("(") else _iso(day.start)
    s, e = min(day.s, tm.s), max(day.e, tm.e)
    flags = list(day.flags) + (["timezone_assumed"] if tz and not tm.offset else [])
    if tm.clock2 is not None:  # a time range on that day
        t1, t2 = stamp(tm.clock, tm.explicit[0]), stamp(tm.clock2, tm.explicit[1])
        out = _M(s, e, "interval", day.start, day.start, f"({base}{_timex_clock(tm.clock)},{base}{_timex_clock(tm.clock2)})",
                 calendar=day.calendar, cal_value=day.cal_value, relative=day.relative, anchored=day.anchored,
                 conf=min(day.conf, tm.conf), flags=flags, kind="datetime")
        out.value = f"{t1.isoformat(timespec='seconds')}/{t2.isoformat(timespec='seconds')}"
        return out
    t = stamp(tm.clock, tm.explicit[0])
    out = _M(s, e, "datetime", day.start, day.start, base + _timex_clock((t.hour, t.minute, t.second)),
             calendar=day.calendar, cal_value=day.cal_value, relative=day.relative, anchored=day.anchored,
             conf=min(day.conf, tm.conf), flags=flags, kind="datetime")
    out.value = t.isoformat(timespec="seconds")
    return out


def _interval(a: _M, b: _M, s: int) -> _M:
    flags = list(dict.fromkeys(a.flags + b.flags))
    timex = f"({a.timex or _iso(a.start)},{b.timex or _iso(b.end)},P{(b.end - a.start).days + 1}D)"
    return _M(s, b.e, "interval", a.start, b.end, timex, calendar=a.calendar,
              cal_value=f"{a.cal_value}/{b.cal_value}" if a.cal_value and b.cal_value else None,
              relative=a.relative or b.relative, anchored=a.anchored or b.anchored,
              conf=min(a.conf, b.conf), flags=flags, kind="interval")


# ---------------------------------------------------------------- output

def _value(mm: _M) -> str | None:
    if mm.value is not None:
        return mm.value
    g = mm.gran
    if g == "time":
        return mm.timex
    if mm.start is None:
        return None
    if g == "day":
        return _iso(mm.start)
    if mm.calendar == C.GREGORIAN:
        if g == "month":
            return mm.start.strftime("%Y-%m")
        if g == "year":
            return f"{mm.start.year:04d}"
        if g == "week" and mm.timex.count("-") == 1:
            return mm.timex
    return f"{_iso(mm.start)}/{_iso(mm.end)}"


def _emit(mm: _M, ctx: _Ctx) -> dict:
    doc = ctx.doc
    s, e = doc.original_span(mm.s, mm.e)
    # A trailing character that normalization deleted (the tatweel of "هـ") belongs to the mention.
    while e < len(doc.original) and doc.original[e] in _TRAILING:
        e += 1
    out = doc.locate_original(s, e)
    flags = list(dict.fromkeys(mm.flags))
    anchor = None
    if mm.anchored or mm.relative:
        if doc.published_from == "received" or doc.published_at is None:
            anchor = "received_at"
            flags.append("anchored_to_receive_time")
        else:
            anchor = "published_at"
    out.update(
        value=_value(mm),
        timex=mm.timex or (_iso(mm.start) if mm.gran == "day" and mm.start else _value(mm)),
        granularity=mm.gran,
        calendar=mm.calendar,
        calendar_value=mm.cal_value,
        start=_iso(mm.start) if mm.start else None,
        end=_iso(mm.end) if mm.end else None,
        part_of_day=mm.part,
        relative=mm.relative,
        anchor=anchor,
        confidence=round(max(0.05, min(mm.conf, 1.0)), 2),
        flags=flags,
    )
    return out


def extract(doc: Doc, conventions: str = "news") -> list[dict]:
    lx = lexicon(doc.language or "und", conventions)
    anchor = doc.published_at or doc.received_at
    ctx = _Ctx(doc, lx, anchor)
    found: list[_M] = []
    ctx.found = found
    text = doc.norm_folded
    last_end = 0
    branches = lx.branches
    for pos, names in _candidates(text, lx):
        if pos < last_end:
            continue
        for name in names:  # in priority order; a rejected match lets the next branch try
            m = branches[name].match(text, pos)
            if m is None:
                continue
            try:
                item = _HANDLERS[name](m, ctx)
            except (ValueError, OverflowError, TypeError, IndexError, KeyError) as exc:
                # One odd expression must not cost the article its other dates: skip it, say so.
                doc.notes.setdefault("warnings", []).append(f"dates: {name} at {pos}: {type(exc).__name__}")
                item = None
            if item is not None:
                found.append(item)
                last_end = m.end()
                break
    return [_emit(mm, ctx) for mm in _datetime_ranges(_week_ranges(_join(found, ctx), ctx), ctx)]


def _candidates(text: str, lx: Lexicon) -> list[tuple[int, tuple]]:
    """Start positions of words that can open a date expression, with the branches they open."""
    if lx.automaton is None or not text:
        return []
    if lx.starts is not None or lx.digit_starts is not None:
        found = _starts(text, lx)
        if found is not None:
            return found
    # start -> the branches its words open: the automaton's tuple (already in priority order)
    # while one word starts there, a set once several do (then sorted below)
    hits: dict[int, tuple | set] = {}
    procl = lx.proclitics
    n = len(text)
    for end, (length, digit, names) in lx.automaton.iter(text):
        start = end - length + 1
        prev = text[start - 1] if start else " "
        if digit:
            if prev.isdigit():
                continue
        else:
            if end + 1 < n and text[end + 1].isalpha():
                continue  # the word goes on: "مايو" inside a longer word
            if prev.isalpha():
                # Arabic proclitics: "وأمس", "بالأمس" is ب + الأمس, "وبعد"
                p = start - 1
                while p >= 0 and start - p <= 2 and text[p] in procl:
                    p -= 1
                if p == start - 1 or (p >= 0 and text[p].isalpha()):
                    continue
        got = hits.get(start)
        if got is None:
            hits[start] = names
        elif got.__class__ is tuple:
            hits[start] = {*got, *names}
        else:
            got.update(names)
    order = lx.order
    return [(pos, names if names.__class__ is tuple else tuple(sorted(names, key=order.get)))
            for pos, names in sorted(hits.items())]


def _starts(text: str, lx: Lexicon) -> list[tuple[int, tuple]] | None:
    """_candidates for languages without proclitics, by regex (lexicon._start_finder); None when a
    non-ASCII letter follows the longest entry (the regex cannot tell), so the automaton decides."""
    names = lx.start_names
    if text.isascii():  # the ASCII classes of the regexes are then the exact rule: no checks per hit
        out = [(m.start(), names[m.group(1)]) for m in lx.starts.finditer(" " + text)] if lx.starts else []
        if lx.digit_starts is not None:
            out += [(m.start(), names[m.group(1)]) for m in lx.digit_starts.finditer(text)]
            out.sort()
        return out
    out = []
    n = len(text)
    if lx.starts is not None:
        for m in lx.starts.finditer(" " + text):  # the match starts at the character before the word
            start = m.start()
            if start and text[start - 1].isalpha():
                continue  # a non-ASCII letter
            entry = m.group(1)
            end = start + len(entry)
            if end < n and text[end].isalpha():
                return None
            out.append((start, names[entry]))
    if lx.digit_starts is not None:
        for m in lx.digit_starts.finditer(text):
            start = m.start()
            if start and text[start - 1].isdigit():
                continue
            out.append((start, names[m.group(1)]))
        out.sort()  # positions are distinct: a word and a number cannot start at the same place
    return out
