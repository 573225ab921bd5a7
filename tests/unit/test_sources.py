"""Source stage: publisher, attributions (every cue style), dateline, published_at, translation.

All sentences are invented for these tests.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.decode import decode
from service.document import build_doc
from service.model import RawArticle
from service.sources import extract_source
from service.sources.published import parse_published
from service.sources.registry import DATA_DIR, REGISTRY
from service.text.language import identify

RECEIVED = datetime(2024, 3, 10, 12, 0, tzinfo=timezone.utc)


def run(raw: RawArticle) -> tuple[dict, object]:
    doc = build_doc(raw)
    doc.received_at = RECEIVED
    doc.language, doc.language_confidence = identify(doc.clean, raw.language)
    return extract_source(doc), doc


def body(text: str, **kw) -> tuple[dict, object]:
    return run(RawArticle(body=text, **kw))


def cited(source: dict) -> list[tuple[str, str]]:
    return [(a["agency_id"], a["cue"]) for a in source["attributions"]]


def assert_spans_point_into_body(source: dict, text: str) -> None:
    for a in source["attributions"]:
        if a["span"] is not None and "field" not in a:
            s, e = a["span"]
            assert text[s:e] == a["text"]


# --- registry -----------------------------------------------------------------------------------

def test_registry_file_is_complete_and_consistent():
    data = json.loads((DATA_DIR / "agencies.json").read_text(encoding="utf-8"))
    entries = data["entries"]
    assert len(entries) >= 80
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids))
    for e in entries:
        assert e["id"].split(":")[0] == e["kind"] and e["kind"] in ("agency", "newspaper", "broadcaster", "website")
        assert set(e["name"]) == {"en", "ar", "fa"} and all(e["name"].values())
        assert set(e["aliases"]) == {"ar", "fa", "en"}
        assert len(e["country"]) == 2 and e["country"].isupper()
        assert e["qid"] is None or (e["qid"].startswith("Q") and e["qid"][1:].isdigit())
        assert all("." in d and "/" not in d for d in e["domains"])
    for needed in ("agency:reuters", "agency:ap", "agency:afp", "agency:irna", "agency:fars", "agency:tasnim",
                   "agency:mehr", "agency:isna", "agency:wafa", "agency:spa", "agency:qna", "agency:kuna",
                   "agency:mena", "agency:anadolu", "agency:tass", "agency:ria_novosti", "agency:xinhua",
                   "broadcaster:al_jazeera", "broadcaster:al_arabiya", "broadcaster:bbc", "agency:sana"):
        assert needed in ids
    for path in Path(DATA_DIR / "cues").glob("*.json"):
        cues = json.loads(path.read_text(encoding="utf-8"))
        assert cues["before"] and cues["outlet_words"]


def test_registry_lookups():
    assert REGISTRY.lookup_name("واس").id == "agency:spa"
    assert REGISTRY.lookup_name("أ.ف.ب").id == "agency:afp"
    assert REGISTRY.lookup_name("خبرگزاری فارس").id == "agency:fars"
    assert REGISTRY.lookup_domain("www.farsnews.ir").id == "agency:fars"
    assert REGISTRY.lookup_domain("arabic.cnn.com").id == "broadcaster:cnn"
    assert REGISTRY.lookup_domain("example.org") is None


# --- attributions: every cue style -------------------------------------------------------------

def test_arabic_cue_with_words_between():
    text = "وفقًا لتقرير نشرته مجموعة الشؤون الدولية التابعة لوكالة أنباء فارس، فإن الوفد وصل أمس."
    source, _ = body(text)
    assert cited(source) == [("agency:fars", "وفقًا لتقرير")]
    a = source["attributions"][0]
    assert a["text"].startswith("وفقًا لتقرير") and a["text"].endswith("وكالة أنباء فارس")
    assert_spans_point_into_body(source, text)


def test_arabic_bihasab_taqrir_and_ambiguous_name_with_outlet_word():
    text = "وبحسب تقرير وكالة فارس فإن المحادثات ستستأنف الأسبوع المقبل."
    source, _ = body(text)
    assert cited(source) == [("agency:fars", "وبحسب تقرير")]
    assert_spans_point_into_body(source, text)


def test_persian_cue():
    text = "به گزارش خبرگزاری فارس، نشست وزیران خارجه امروز در تهران برگزار شد."
    source, _ = body(text)
    assert cited(source) == [("agency:fars", "به گزارش")]
    assert_spans_point_into_body(source, text)


def test_parentheses_cue():
    text = "قتل ثلاثة أشخاص في انفجار بالعاصمة (رويترز). وأفاد شهود بسماع دوي إطلاق نار (أ ف ب)."
    source, _ = body(text)
    assert cited(source) == [("agency:reuters", "(…)"), ("agency:afp", "(…)")]
    assert source["attributions"][0]["text"] == "(رويترز)"


def test_english_cues_before_and_after():
    text = ("The ceasefire held overnight, according to Reuters. Later, AFP reported that talks resumed. "
            "A minister told the Associated Press the deal was close.")
    source, _ = body(text)
    assert cited(source) == [("agency:reuters", "according to"), ("agency:afp", "reported"),
                             ("agency:ap", "told")]
    assert source["attributions"][1]["text"] == "AFP reported"
    assert_spans_point_into_body(source, text)


def test_told_reuters_in_arabic_via_lam():
    source, _ = body("وقال مسؤول حكومي لرويترز إن الحكومة ستعلن القرار غداً.")
    assert cited(source) == [("agency:reuters", "لـ")]


def test_ambiguous_names_need_a_cue():
    # Fars the province, Mehr the month, al-Hayat "life", al-Riyadh the city: no citation
    text = ("زار الوزير محافظة فارس في شهر مهر الماضي، وقال إن الحياة في الرياض تغيرت. "
            "ذكرت الحياة أن ...")
    source, _ = body(text)
    assert cited(source) == [("newspaper:al_hayat", "ذكرت")]  # a cue directly before makes it count
    persian, _ = body("در ماه مهر امسال، باران در استان فارس زیاد بود.")
    assert persian["attributions"] == []


def test_bare_name_without_any_cue_is_not_a_citation():
    source, _ = body("يعمل صحفيون من رويترز وفرانس برس في المدينة منذ سنوات")
    assert source["attributions"] == []


def test_name_restated_as_abbreviation_counts_once():
    source, _ = body("ذكرت وكالة الأنباء السعودية (واس) أن الملك استقبل الوفد.")
    assert cited(source) == [("agency:spa", "ذكرت")]


def test_title_mentions_are_marked():
    source, _ = run(RawArticle(title="الحرب في غزة (رويترز)", body="نص الخبر بلا مصدر."))
    assert source["attributions"][0]["field"] == "title"


# --- dateline ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, place, agency", [
    ("الرياض - واس: أعلنت وزارة الصحة اليوم افتتاح مركز جديد.", "الرياض", "agency:spa"),
    ("لندن: قالت الحكومة البريطانية اليوم إنها ستراجع القرار.", "لندن", None),
    ("TEHRAN (Reuters) - Iran said on Monday it would resume talks.", "TEHRAN", "agency:reuters"),
    ("WASHINGTON, March 3 (AP) - The Senate voted on Tuesday.", "WASHINGTON", "agency:ap"),
    ("خالد العمري - سبق - جدة: دشن أمير المنطقة مشروعاً جديداً.", "جدة", "website:sabq"),
    ("واس - أبها: تفقد أمير منطقة عسير المشروع.", "أبها", "agency:spa"),
])
def test_dateline_in_text(text, place, agency):
    source, _ = body(text)
    dl = source["dateline"]
    assert dl is not None and dl["from"] == "text"
    assert dl["place"] == place and dl["agency_id"] == agency
    s, e = dl["span"]
    assert text[s:e] == dl["text"] and text.startswith(dl["text"])


def test_no_dateline_for_a_quote_opening():
    source, _ = body("قال الوزير: إن المشروع سيكتمل قريباً.")
    assert source["dateline"] is None


def test_dateline_agency_not_repeated_as_attribution():
    source, _ = body("بيروت (رويترز) - قال مسؤول إن الاجتماع انتهى.")
    assert source["dateline"]["agency_id"] == "agency:reuters"
    assert source["attributions"] == []


def test_dateline_after_plain_text_title():
    text = "عنوان الخبر هنا\nالقاهرة - أ ش أ: أعلنت الحكومة المصرية خطة جديدة.\n"
    source, _ = run(decode(text.encode(), [("content-type", b"text/plain")]))
    assert source["dateline"]["place"] == "القاهرة" and source["dateline"]["agency_id"] == "agency:mena"


def test_byline_dateline_and_attributions():
    source, _ = body("نص الخبر بدون مقدمة.", authors=["جدة - واس"])
    assert source["dateline"]["from"] == "byline"
    assert source["dateline"]["place"] == "جدة" and source["dateline"]["agency_id"] == "agency:spa"
    assert cited(source) == [("agency:spa", "byline")]
    multi, _ = body("نص.", authors=["أ ف ب - د ب أ - عواصم"])
    assert [a["agency_id"] for a in multi["attributions"]] == ["agency:afp", "agency:dpa"]
    reporter, _ = body("نص.", authors=["محمد العلي (الدمام)"])
    assert reporter["dateline"]["place"] == "الدمام" and reporter["dateline"]["reporter"] == "محمد العلي"


# --- publisher -----------------------------------------------------------------------------------

def test_publisher_from_footer_with_span():
    text = "عنوان\nنص الخبر الأول. |\nنص ثان.\nناشر | وكالة أنباء فارس |\n|"
    raw = decode(text.encode(), [("content-type", b"text/plain")])
    source, _ = run(raw)
    pub = source["publisher"]
    assert pub["id"] == "agency:fars" and pub["from"] == "footer"
    s, e = pub["span"]
    assert text[s:e] == "وكالة أنباء فارس"
    assert pub["native_name"] == "وكالة أنباء فارس"  # the text is Arabic


@pytest.mark.parametrize("name, expected", [
    ("Okaz (okaz.com.sa)", "newspaper:okaz"),
    ("Saudi Press Agency (spa.gov.sa)", "agency:spa"),
    ("Reuters", "agency:reuters"),
    ("farsnews.ir", "agency:fars"),
    ("خبرگزاری تسنیم", "agency:tasnim"),
    ("موقع قناة الجزيرة الإخباري", "broadcaster:al_jazeera"),
])
def test_publisher_from_metadata(name, expected):
    source, _ = body("نص.", publisher=name)
    assert source["publisher"]["id"] == expected and source["publisher"]["from"] == "metadata"


def test_publisher_from_url_and_unresolved():
    source, _ = body("text", url="https://www.aljazeera.net/news/2024/1/1/x")
    assert source["publisher"]["id"] == "broadcaster:al_jazeera" and source["publisher"]["from"] == "url"
    assert source["domain"] == "aljazeera.net"
    unknown, _ = body("text", publisher="Daily Village Gazette")
    assert unknown["publisher"]["id"] is None and unknown["publisher"]["name"] == "Daily Village Gazette"
    none, _ = body("text")
    assert none["publisher"] is None


# --- published_at --------------------------------------------------------------------------------

@pytest.mark.parametrize("value, zone, expected", [
    ("2024-03-01T10:00:00+03:00", None, "2024-03-01T10:00:00+03:00"),
    ("2024-03-01T07:00:00Z", None, "2024-03-01T07:00:00+00:00"),
    ("Fri, 01 Mar 2024 10:00:00 +0330", None, "2024-03-01T10:00:00+03:30"),
    ("2015-07-21 02:51:58", "Asia/Riyadh", "2015-07-21T02:51:58+03:00"),
    ("2015-07-21 02:51:58", None, "2015-07-21T02:51:58+00:00"),
    ("1700000000", None, "2023-11-14T22:13:20+00:00"),
    ("1700000000123", None, "2023-11-14T22:13:20.123000+00:00"),
    ("2024/03/01 10:00", None, "2024-03-01T10:00:00+00:00"),
])
def test_parse_published(value, zone, expected):
    moment, _ = parse_published(value, zone)
    assert moment is not None and moment.isoformat() == expected


@pytest.mark.parametrize("value", ["yesterday", "", "99999999999999999999", "0", "2024-13-45", "x" * 100])
def test_parse_published_rejects(value):
    assert parse_published(value)[0] is None


def test_published_at_naive_uses_publisher_zone():
    source, doc = body("نص.", publisher="Al-Riyadh (alriyadh.com)", published_at="2015-07-21 02:51:58")
    assert doc.published_from == "metadata"
    assert doc.published_at.utcoffset() == timedelta(hours=3)
    assert source["published_time"]["timezone_assumed"] == "Asia/Riyadh"


def test_published_at_fallbacks_and_warnings():
    _, doc = body("نص.", published_at="not a date")
    assert doc.published_from == "received" and doc.published_at == RECEIVED
    assert "published_at_unparsed" in doc.notes["warnings"]
    _, doc = body("نص.", published_at="2031-01-01T00:00:00Z")
    assert doc.published_from == "received" and "published_at_in_future" in doc.notes["warnings"]


# --- translation ---------------------------------------------------------------------------------

def test_translated_note_and_publisher_language():
    source, _ = body("ترجمة: فريق التحرير\nقال الرئيس إن بلاده مستعدة للحوار.")
    assert source["translated"]["value"] is True and source["translated"]["confidence"] == "high"
    source, _ = body("قال وزير الخارجية الإيراني إن بلاده مستعدة للحوار مع جيرانها في المنطقة.",
                     publisher="خبرگزاری فارس")
    ev = source["translated"]["evidence"]
    assert ev[0]["kind"] == "publisher_language" and source["translated"]["confidence"] == "low"
    source, _ = body("قالت الوزارة إن ترجمة الكتب مستمرة.")  # the word in running text is not a note
    assert source["translated"] is None


def test_dated_dateline_gives_published_at_when_metadata_has_none():
    text = "جدة 3 رمضان 1445 هـ الموافق 13 مارس 2024 م واس\nأعلنت الهيئة العامة للطيران المدني خطة جديدة."
    source, doc = body(text, publisher="Saudi Press Agency")
    dl = source["dateline"]
    assert dl["date"] == "2024-03-13" and dl["agency_id"] == "agency:spa" and dl["place"] == "جدة"
    assert doc.published_from == "dateline"
    assert doc.published_at.isoformat() == "2024-03-13T00:00:00+03:00"
    assert source["published_time"]["granularity"] == "day"
    # metadata still wins over the dateline
    _, doc = body(text, publisher="Saudi Press Agency", published_at="2024-03-09T09:15:00+03:00")
    assert doc.published_from == "metadata"


def test_byline_variants():
    cases = {
        "مكة المكرمة ـ واس": ("مكة المكرمة", "agency:spa"),  # tatweel used as a dash
        "ليون ـ أ. ف. ب": ("ليون", "agency:afp"),  # dots followed by spaces
        "«صحيفة عكاظ» من الرياض": ("الرياض", "newspaper:okaz"),
        "واس (طنجة)": ("طنجة", "agency:spa"),
    }
    for byline, (place, agency) in cases.items():
        source, _ = body("نص.", authors=[byline])
        assert (source["dateline"]["place"], source["dateline"]["agency_id"]) == (place, agency), byline
    source, _ = body("نص.", authors=["مروان العلي - سبق - متابعة"])
    assert source["dateline"]["place"] is None and source["dateline"]["reporter"] == "مروان العلي"


def test_self_citation_is_flagged():
    source, _ = body("وقالت صحيفة عكاظ إن المشروع سيكتمل.", publisher="Okaz (okaz.com.sa)")
    assert source["attributions"][0]["self"] is True


def test_ambiguous_name_prefers_the_publisher():
    paper, _ = body("نص.", authors=["الجزيرة - واس"], publisher="Al-Jazirah (al-jazirah.com)")
    assert [a["agency_id"] for a in paper["attributions"]] == ["newspaper:al_jazirah", "agency:spa"]
    channel, _ = body("وذكرت قناة الجزيرة أن الاشتباكات توقفت.")
    assert channel["attributions"][0]["agency_id"] == "broadcaster:al_jazeera"


_piece = st.sampled_from(["وكالة", "فارس", "(", ")", "رويترز", "-", ":", "\n", " ", "واس", "الرياض", "بحسب",
                          "به گزارش", "خبرگزاری", "مهر", "Reuters", "AP", "according to", "reported", "|",
                          "2015", "12", "مارس", "ترجمة", "\u200c", "\u202b", "أ ف ب", "&amp;", "<b>", "İ"])
_text = st.lists(_piece, max_size=40).map("".join)


@settings(max_examples=200, deadline=None)
@given(_text.filter(lambda t: t.strip()), _text, st.lists(_text, max_size=3), st.one_of(st.none(), _text),
       st.one_of(st.none(), _text))
def test_source_stage_never_raises_and_spans_hold(text, title, authors, publisher, published):
    source, doc = run(RawArticle(body=text, title=title or None, authors=authors, publisher=publisher,
                                 published_at=published))
    assert doc.published_from in ("metadata", "dateline", "received") and doc.published_at.tzinfo
    for a in source["attributions"]:
        if a["span"] is not None:
            s, e = a["span"]
            field = title if a.get("field") == "title" else text
            assert 0 <= s <= e <= len(field) and field[s:e] == a["text"]
    dl = source["dateline"]
    if dl is not None and dl["span"] is not None:
        s, e = dl["span"]
        assert text[s:e] == dl["text"]
