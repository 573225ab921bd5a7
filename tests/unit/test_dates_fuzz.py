"""The dates stage never raises and always returns well-formed mentions, whatever the mix of date words."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from service.dates import extract_dates
from service.document import build_doc
from service.model import RawArticle

TOKENS = [
    "من", "إلى", "حتى", "وحتى", "بين", "و", "الساعة", "5", "12", "31", "29", "2023", "1445", "1402", "هـ", "م",
    "نوفمبر", "فبراير", "تشرين الثاني", "/", "-", ":", "30", "مساء", "صباحا", "الأحد", "ليلة", "الجمعة", "يوم",
    "أمس", "اليوم", "الليلة", "الماضي", "المقبل", "الأسبوع", "الشهر", "العام", "منذ", "قبل", "بعد", "يومين",
    "رمضان", "شوال", "جمادى الأولى", "الربع", "الثالث", "مطلع", "أواخر", "عيد الفطر", "الأيام", "الثلاثة",
    "آذر", "امروز", "پیش", "روز", "سال", "May", "March", "on", "at", "pm", "last", "next", "week", "ago",
    "between", "and", "to", "the", "1990s", "Q3", "2019", "(", ")", "،", ".", "\n", "٢٠٢٣", "۱۴۰۲", "بتوقيت مكة",
    "الموافق", "3/2015", "28/11/2023", "2023-11-28", "الحادي عشر", "غرة", "والنصف", "إلا ربع",
    # round 5: the words the conventions profile reads differently, cardinal days, minutes before an hour
    "في", "غضون", "عند", "الظهر", "التالي", "نهاية", "هذا", "السابعة", "بقية", "عطلة نهاية الأسبوع", "دقائق",
    "دقيقة", "عشرين", "واحد وعشرين", "ستة", "سنوات", "أشهر", "الثلاثة", "عقود", "القادمة", "بعد الظهر",
]


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14),
       lang=st.sampled_from(["ar", "fa", "en", "und"]),
       shift=st.integers(min_value=-4000, max_value=4000),
       conventions=st.sampled_from(["news", "recognizers"]))
def test_never_raises_and_spans_are_valid(words, lang, shift, conventions):
    text = " ".join(words)
    doc = build_doc(RawArticle(body=text))
    doc.language = lang
    doc.received_at = doc.published_at = datetime(2023, 11, 28, 21, 30, tzinfo=timezone.utc) + timedelta(days=shift)
    doc.published_from = "metadata"
    found = extract_dates(doc, conventions=conventions)
    assert doc.notes.get("warnings", []) == []
    last = -1
    for m in found:
        s, e = m["span"]
        assert 0 <= s < e <= len(text) and text[s:e] == m["text"]
        assert s >= last  # text order, no overlap
        last = e
        assert isinstance(m["flags"], list) and 0 <= m["confidence"] <= 1
