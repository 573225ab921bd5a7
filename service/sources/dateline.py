"""The dateline: place (and agency) that open an article, `الرياض - واس`, `TEHRAN (Reuters) -`,
`علي القرني- سبق- الرياض:`, `لندن: …`; or the same in a byline field (`واس - أبها`).

The layout decides, not a gazetteer: one to four short segments separated by `-`, `:` or `/`
before the text starts, or `PLACE[, date] (AGENCY) -`.  A segment that names a registry outlet
is the agency; a segment found in dateline_places.json is the place; a segment that is an
author's name is the reporter.  Without an agency, a known place is required, so an opening
like `قال الوزير:` is never taken for a dateline.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from ..text.normalize import normalize_key
from .registry import DATA_DIR, REGISTRY, Outlet

with (DATA_DIR / "dateline_places.json").open(encoding="utf-8") as _fh:
    _PLACES: dict[str, str] = {}
    for _p in json.load(_fh)["places"]:
        for _name in [_p["en"], *_p["ar"], *_p["fa"]]:
            _PLACES[normalize_key(_name)] = _p["en"]

# Byline words that are neither a place nor a person ("متابعة" follow-up, "وكالات" agencies).
_BYLINE_WORDS = {normalize_key(w) for c in REGISTRY.cues.values() for w in c.get("byline_words", [])}
# "«الاقتصادية» من الرياض", "John Smith from London": WHO from PLACE.
_FROM_PLACE = re.compile(r"\s{0,3}(?P<who>[^\n]{2,60}?)\s{1,3}(?:من|from|از)\s{1,3}(?P<place>[^\n\-:/()]{2,30}?)\s{0,3}\Z")

with (DATA_DIR / "dateline_months.json").open(encoding="utf-8") as _fh:
    _MONTHS: dict[str, int] = {normalize_key(name): int(num)
                               for num, names in json.load(_fh)["months"].items() for name in names}
# "PLACE <day month year ...> AGENCY": the Saudi Press Agency style, with a Hijri and a Gregorian date.
_DATED = re.compile(r"\s{0,3}(?P<place>[^\W\d_][^\d\n\-:/()]{1,30}?)\s{1,3}(?P<date>\d{1,2}\s[^\n]{4,70}?\d{4}[^\n\d]{0,6}?)"
                    r"\s{1,3}(?P<agency>[^\W\d_]{2,12}(?:[ \t]{1,2}[^\W\d_]{1,12}){0,2})[ \t]{0,3}(?:[-:/]|\n|\Z)")
_DAY_MONTH_YEAR = re.compile(r"(?<!\d)(\d{1,2})\s{1,3}([^\W\d_]{2,12}(?:\s[^\W\d_]{2,7})?)\s{1,3}(\d{4})(?!\d)")


def dateline_date(text: str):
    """The Gregorian (year, month, day) written in a dateline, or None."""
    for m in _DAY_MONTH_YEAR.finditer(text):
        month = _MONTHS.get(normalize_key(m.group(2)))
        year, day = int(m.group(3)), int(m.group(1))
        if month and 1900 < year < 2100 and 1 <= day <= 31:
            return year, month, day
    return None


# PLACE[, date] (AGENCY) -   (the wire-service form; also Arabic: طهران (رويترز) -)
_WIRE = re.compile(
    r"\s{0,5}(?P<place>[^\W\d_][^\n()\-:,]{0,40}?)\s{0,3}(?:,(?P<date>[^\n()]{1,40}?))?"
    r"\s{0,3}\((?P<agency>[^()\n]{1,40})\)\s{0,3}(?:[-:/]|\Z)"
)
# A text dateline closes with ":" "/" or the end of its line, within this many characters.
_TERMINATOR = re.compile(r"[:/\n]")
_HEAD_CHARS = 120
_SPLIT = re.compile(r"\s{0,3}[-:/]\s{0,3}")
_NOT_IN_SEGMENT = re.compile(r"[,!?()\[\]]")
# NAME (PLACE) bylines: `عبدالرحمن المصباحي (جدة)`
_PAREN_BYLINE = re.compile(r"\s{0,3}(?P<name>[^()\n]{2,60}?)\s{0,3}\((?P<inner>[^()\n]{2,40})\)\s{0,3}\Z")
_MAX_SEGMENT_WORDS = 4
_MAX_BYLINE_SEGMENT_WORDS = 10
_QUOTES = "\"'«»“”"


@lru_cache(maxsize=8192)
def place_name(text: str) -> str | None:
    return _PLACES.get(normalize_key(text.strip(_QUOTES + " ")))


def _agency(text: str, prefer: str | None = None) -> Outlet | None:
    """A segment naming an outlet; a name that is also a place (الرياض) stays a place."""
    text = text.strip(_QUOTES + " .")
    form = REGISTRY.lookup_form(text, prefer)
    if form is None or (form.ambiguous and place_name(text)):
        return None
    return form.outlet


def parse(head: str, authors: list[str] | None = None, byline: bool = False,
          prefer: str | None = None) -> dict | None:
    """Parse a dateline at the start of `head`.  Returns {"place", "place_known", "agency_id",
    "agency", "reporter", "end"} with `end` = where the dateline stops in `head`, or None."""
    author_keys = {normalize_key(a) for a in authors or ()}
    m = _DATED.match(head)
    if m and place_name(m.group("place")):
        outlet = _agency(m.group("agency"), prefer)
        found = dateline_date(m.group("date"))
        if outlet is not None and found:
            res = _result(m.group("place").strip(), outlet, m.group("agency").strip(), None, m.end())
            res["date"] = "%04d-%02d-%02d" % found
            return res
    m = _WIRE.match(head)
    if m and len(m.group("place").split()) <= _MAX_SEGMENT_WORDS:
        outlet = _agency(m.group("agency"), prefer)
        place = m.group("place").strip()
        if outlet is not None or place_name(place) or place.isupper():
            return _result(place, outlet, m.group("agency").strip(), None, m.end())
    if byline:
        m = _FROM_PLACE.match(head)
        if m and place_name(m.group("place")):
            who = m.group("who").strip(_QUOTES + " ")
            outlet = _agency(who, prefer)
            return _result(m.group("place").strip(), outlet, who if outlet else None,
                           None if outlet else who, m.end())
        m = _PAREN_BYLINE.match(head)
        if m:
            inner, name = m.group("inner").strip(), m.group("name").strip()
            outlet = _agency(inner, prefer)
            if outlet is not None:
                return _result(None, outlet, inner, name, m.end())
            if place_name(inner):  # "عكاظ (وكالات)" no; "واس (طنجة)", "محمد العلي (جدة)" yes
                named = _agency(name, prefer)
                return _result(inner, named, name if named else None, None if named else name, m.end())
    if byline:
        seg_text, end = head, len(head)
    else:
        t = _TERMINATOR.search(head, 0, _HEAD_CHARS)
        if t is None:
            return None
        seg_text, end = head[:t.start()], t.end()
    if not seg_text.strip() or (not byline and _NOT_IN_SEGMENT.search(seg_text)):
        return None
    segs = [s.strip(_QUOTES + " ") for s in _SPLIT.split(seg_text.strip())]
    segs = [s for s in segs if s]
    # A byline may list several reporters in one segment; a text dateline stays short.
    max_words = _MAX_BYLINE_SEGMENT_WORDS if byline else _MAX_SEGMENT_WORDS
    if not segs or len(segs) > 4 or any(len(s.split()) > max_words for s in segs):
        return None
    outlet, agency_text, places, others = None, None, [], []
    agency_at = -1
    for i, seg in enumerate(segs):
        found = _agency(seg, prefer) if outlet is None else None
        if found is not None:
            outlet, agency_text, agency_at = found, seg, i
        elif place_name(seg):
            places.append(seg)
        elif normalize_key(seg) in _BYLINE_WORDS:
            continue  # "متابعة", "تصوير", "وكالات": says nothing about place or person
        elif normalize_key(seg) not in author_keys:
            others.append((i, seg))
        # an author's own name is the reporter; it says nothing about the place
    if outlet is None and not places:
        if len(segs) == 1 and segs[0].isupper() and segs[0].isascii():
            places = segs  # "LONDON -"
        else:
            return None
    if places:
        place = places[-1]
        reporter = others[0][1] if others else None
    elif len(others) == 1:
        # "واس - X": X is the place; "X - عين اليوم": X is usually the reporter's name
        i, seg = others[0]
        place, reporter = (seg, None) if i > agency_at else (None, seg)
    elif others:
        place, reporter = others[-1][1], others[0][1]  # "reporter - agency - place"
    else:
        place, reporter = None, None
    if reporter is None:
        reporter = next((s for s in segs if normalize_key(s) in author_keys), None)
    return _result(place, outlet, agency_text, reporter, end)


def _result(place, outlet, agency_text, reporter, end) -> dict:
    return {"date": None, "place": place, "place_known": bool(place and place_name(place)),
            "place_en": place_name(place) if place else None,
            "agency_id": outlet.id if outlet else None, "agency": agency_text,
            "reporter": reporter, "end": end}
