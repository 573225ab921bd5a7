"""Source metadata stage: publisher, agency attributions, dateline, translation evidence and
the publication time (`doc.published_at`, the anchor later stages use).

Field formats are documented in docs/sources.md.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from datetime import datetime
from functools import lru_cache

from ..document import Doc
from ..text.normalize import normalize, normalize_key
from . import dateline as _dateline
from .attributions import find_attributions
from .published import implausible, parse_published, zone
from .registry import REGISTRY, Outlet
from .urls import domain_of

_DOMAIN_IN_TEXT = re.compile(r"\b((?:[a-z0-9-]{1,63}\.){1,4}[a-z]{2,12})\b", re.I)
_PAREN = re.compile(r"\s*\([^()]{0,80}\)\s*")
# Translation notes are looked for near the start and the end only (where editors put them).
_NOTE_CHARS = 300
_TATWEEL_DASH = re.compile(r"\s\u0640+\s|\u0640+\s|\s\u0640+")
_NOTE_COLON = re.compile(r"\s{0,2}:")


def extract_source(doc: Doc) -> dict:
    """Fill doc.published_at / doc.published_from and describe the article's source."""
    raw = doc.raw
    warnings = doc.notes.setdefault("warnings", [])
    publisher, outlet = _publisher(doc)

    body_norm = _norm_index(doc, doc.body_offset + (raw.title_span[1] if raw.title_span else 0))
    prefer = outlet.id if outlet else None  # an ambiguous name is the publisher when it can be
    dl = _text_dateline(doc, body_norm, prefer)
    skip_before = dl.pop("_end_norm") if dl else 0
    if dl is None:
        dl = _byline_dateline(raw.authors, prefer)

    attributions = []
    for a in find_attributions(doc.norm, doc.norm_folded, skip_before=skip_before, prefer=prefer):
        loc = doc.locate(a["span_start"], a["span_end"])
        cue = doc.locate(a["cue_start"], a["cue_start"] + len(a["cue"]))["text"] if a["cue"] not in ("(…)", "لـ") else a["cue"]
        item = {"agency_id": a["form"].outlet.id, "name": a["form"].outlet.name_en, "cue": cue,
                "from": "text", "span": loc["span"], "text": loc["text"], "self": False}
        if "field" in loc:
            item["field"] = loc["field"]
        attributions.append(item)
    attributions.extend(_byline_attributions(raw.authors, prefer))
    if outlet is not None:
        for a in attributions:  # the publisher quoting itself ("صحيفة الوئام" in al-Weeam's text)
            a["self"] = a["agency_id"] == outlet.id

    # Publication time: metadata, else a date in the dateline (none parsed yet), else receipt.
    naive_zone = outlet.timezone if outlet else None
    published, assumed = parse_published(raw.published_at, naive_zone)
    time_info = {"raw": raw.published_at, "timezone_assumed": assumed}
    if published is not None and implausible(published, doc.received_at):
        warnings.append("published_at_in_future")
        published = None
    if raw.published_at and published is None and "published_at_in_future" not in warnings:
        warnings.append("published_at_unparsed")
    if published is not None:
        doc.published_at, doc.published_from = published, "metadata"
    elif dl is not None and dl.get("date"):
        # A day only: midnight in the publisher's zone (else UTC), said in `granularity`.
        y, mo, d = (int(x) for x in dl["date"].split("-"))
        doc.published_at = datetime(y, mo, d, tzinfo=zone(naive_zone))
        doc.published_from = "dateline"
        time_info.update({"granularity": "day", "timezone_assumed": naive_zone or "UTC"})
    else:
        doc.published_at, doc.published_from = doc.received_at, "received"
    if dl is not None:
        doc.notes["dateline"] = dl  # the dates stage may read a date next to it

    return {
        "publisher": publisher,
        "attributions": attributions,
        "dateline": dl,
        "translated": _translated(doc, outlet),
        "url": raw.url,
        "domain": domain_of(raw.url),
        "published_time": time_info,
    }


def _publisher(doc: Doc) -> tuple[dict | None, Outlet | None]:
    raw = doc.raw
    name = raw.publisher.strip() if raw.publisher else None
    origin = "footer" if raw.footer is not None and raw.format == "text/plain" else "metadata"
    outlet = _resolve_publisher_name(name) if name else None
    if outlet is None and raw.url:
        by_url = REGISTRY.lookup_domain(domain_of(raw.url))
        if by_url is not None:
            outlet, origin, name = by_url, "url", name or domain_of(raw.url)
    if name is None:
        return None, None
    out = outlet.describe(doc.language) if outlet else {"id": None, "name": name, "native_name": None,
                                                         "kind": None, "country": None, "qid": None}
    out["from"] = origin
    out["raw"] = name
    if origin == "footer":
        start = raw.body.find(name, raw.footer[0], raw.footer[1])
        if start >= 0:
            out["span"] = [start, start + len(name)]
    return out, outlet


@lru_cache(maxsize=4096)  # publisher strings repeat; the registry never changes
def _resolve_publisher_name(name: str) -> Outlet | None:
    """'Al-Sharq Al-Awsat (aawsat.com)', 'وكالة أنباء فارس', 'farsnews.ir', 'Reuters'."""
    hit = REGISTRY.lookup_name(name) or REGISTRY.lookup_name(_PAREN.sub(" ", name))
    if hit:
        return hit
    for m in _DOMAIN_IN_TEXT.finditer(name):
        hit = REGISTRY.lookup_domain(m.group(1))
        if hit:
            return hit
    # A longer string that contains a registry name ("موقع وكالة أنباء فارس الإخباري").
    best = None
    for _pre, start, end, form in REGISTRY.scan(normalize_key(name)):
        if not form.ambiguous and (best is None or end - start > best[0]):
            best = (end - start, form.outlet)
    return best[1] if best else None


def _norm_index(doc: Doc, original_pos: int) -> int:
    """First position of `doc.norm` at or after `original_pos` in the original text."""
    return min(bisect_left(doc.norm_origin, original_pos), len(doc.norm))


def _text_dateline(doc: Doc, body_norm: int, prefer: str | None) -> dict | None:
    norm = doc.norm
    start = body_norm
    while start < len(norm) and norm[start].isspace():
        start += 1
    head = norm[start:start + 200]
    parsed = _dateline.parse(head, doc.raw.authors, prefer=prefer)
    if parsed is None:
        return None
    end = start + parsed.pop("end")
    for key in ("place", "agency", "reporter"):  # the original spelling, not the normalized one
        if parsed[key]:
            i = head.find(parsed[key])
            if i >= 0:
                parsed[key] = doc.locate(start + i, start + i + len(parsed[key]))["text"]
    text_end = end
    while text_end > start and not norm[text_end - 1].isalnum() and norm[text_end - 1] != ")":
        text_end -= 1
    loc = doc.locate(start, text_end)
    parsed.update({"from": "text", "span": loc["span"], "text": loc["text"], "_end_norm": end})
    return parsed


def _byline_dateline(authors: list[str], prefer: str | None) -> dict | None:
    for author in authors:
        parsed = _parse_byline(author, prefer)
        if parsed is not None:
            return dict(parsed)
    return None


@lru_cache(maxsize=4096)  # the same byline ("الرياض - واس") recurs across many articles
def _parse_byline(author: str, prefer: str | None) -> dict | None:
    # Bylines come from CMS fields: entities (&nbsp;) and a tatweel used as a dash (جدة ـ واس).
    original = author
    author = _TATWEEL_DASH.sub(" - ", html.unescape(author)).strip()
    norm, origin = normalize(author)
    parsed = _dateline.parse(norm, None, byline=True, prefer=prefer)
    if parsed is None or not (parsed["agency_id"] or parsed["place_known"]):
        return None
    parsed.pop("end")
    for key in ("place", "agency", "reporter"):  # report the byline's own spelling
        if parsed[key]:
            i = norm.find(parsed[key])
            if i >= 0:
                parsed[key] = author[origin[i]:origin[i + len(parsed[key]) - 1] + 1]
    parsed.update({"from": "byline", "span": None, "text": original})
    return parsed


def _byline_attributions(authors: list[str], prefer: str | None) -> list[dict]:
    """Agencies credited in a byline field ('أ ف ب - د ب أ - عواصم', 'واس - أبها')."""
    out, seen = [], set()
    for author in authors:
        author = _TATWEEL_DASH.sub(" - ", html.unescape(author))
        for seg in re.split(r"\s{0,3}[-–—:/|،,()]\s{0,3}|\s(?:من|from|از)\s", author):
            outlet = _dateline._agency(seg, prefer) if seg.strip() else None
            if outlet is not None and outlet.id not in seen:
                seen.add(outlet.id)
                out.append({"agency_id": outlet.id, "name": outlet.name_en, "cue": "byline",
                            "from": "byline", "span": None, "text": seg.strip(), "self": False})
    return out


def _translated(doc: Doc, outlet: Outlet | None) -> dict | None:
    evidence = []
    folded = doc.norm_folded
    seen = set()
    for region_start in (0, max(_NOTE_CHARS, len(folded) - _NOTE_CHARS)):
        region = folded[region_start:region_start + _NOTE_CHARS]
        if not any(stem in region for stem in REGISTRY.translation_stems):
            continue  # the common case: no note at all, decided by a few substring tests
        for m in REGISTRY.translation_re.finditer(folded, region_start, region_start + _NOTE_CHARS):
            # A note, not the word in running text: it opens a line or is followed by ":".
            line_start = m.start() == 0 or folded[m.start() - 1] in "\n|-("
            if m.start() in seen or not (line_start or _NOTE_COLON.match(folded, m.end())):
                continue
            seen.add(m.start())
            loc = doc.locate(m.start(), m.end())
            evidence.append({"kind": "translation_note", "text": loc["text"], "span": loc["span"]})
    lang = doc.language
    if outlet is not None and lang not in ("und", None) and outlet.language != lang:
        evidence.append({"kind": "publisher_language",
                         "text": f"{outlet.id} publishes in {outlet.language}; the text is {lang}"})
    if not evidence:
        return None
    strong = any(e["kind"] == "translation_note" for e in evidence)
    return {"value": True, "confidence": "high" if strong else "low", "evidence": evidence}
