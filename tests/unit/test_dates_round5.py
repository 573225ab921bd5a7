"""Dates stage, round 5: plain gaps and the reading-conventions profile.  Sentences are our own."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from service.dates import extract_dates
from service.document import build_doc
from service.model import RawArticle

RIYADH = timezone(timedelta(hours=3))
# Wednesday 15 May 2024, 10:00 Riyadh time.
PUB = datetime(2024, 5, 15, 10, 0, tzinfo=RIYADH)


def run(text: str, lang: str = "ar", conventions: str | None = None) -> list[dict]:
    doc = build_doc(RawArticle(body=text))
    doc.language = lang
    doc.received_at = datetime(2024, 5, 15, 8, 0, tzinfo=timezone.utc)
    doc.published_at, doc.published_from = PUB, "metadata"
    return extract_dates(doc) if conventions is None else extract_dates(doc, conventions=conventions)


def values(text: str, **kw) -> list[tuple[str, str]]:
    return [(m["text"], m["value"]) for m in run(text, **kw)]


# ----------------------------------------------------------------- plain gaps

def test_day_in_cardinal_words_after_a_preposition():
    assert values("سيبدأ المهرجان في واحد وعشرين يونيو.") == [("واحد وعشرين يونيو", "2024-06-21")]
    assert values("بدأ المهرجان في واحد وعشرين يونيو.") == [("واحد وعشرين يونيو", "2023-06-21")]
    assert values("افتتح المعرض في ثلاثة وعشرين مارس 2019 بحضور الوزير.") == [
        ("ثلاثة وعشرين مارس 2019", "2019-03-23")]


def test_day_in_cardinal_words_needs_a_preposition_or_year():
    # a place named after a date is not a date; the month alone is still the month
    found = values("أقام الفريق معسكره في مدينة ستة أكتوبر قرب القاهرة.")
    assert ("ستة أكتوبر", "2023-10-06") not in found and all("ستة" not in t for t, _ in found)
    # an ambiguous month name after a count is not a date
    assert values("صام خمسة رمضان متتالية في الغربة.") == []


def test_month_then_day_in_cardinal_words_ending_the_clause():
    assert values("سوف تنتهي المهلة مايو تسعة وعشرين.") == [("مايو تسعة وعشرين", "2024-05-29")]
    # not when the number goes on to a noun: a count of something in May
    assert ("مايو تسعة وعشرين", "2024-05-29") not in values("سجلت في مايو تسعة وعشرين إصابة جديدة.")


def test_dotted_day_month_year():
    assert values("وقع الاتفاق 16. نوفمبر. 2016 في جنيف") == [("16. نوفمبر. 2016", "2016-11-16")]
    # a sentence ending with a month is not joined to a year opening the next one
    found = values("عاد الوفد في 3 نوفمبر. 2016 كان عاما صعبا.")
    assert found[0] == ("3 نوفمبر", "2023-11-03")
