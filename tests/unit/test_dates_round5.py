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


def test_count_before_the_plural_noun():
    # the count before the noun, as often as after it ("الأشهر الثلاثة الماضية")
    assert values("ارتفعت الأسعار خلال الثلاثة أشهر الماضية") == [("الثلاثة أشهر الماضية", "2024-02-15/2024-05-14")]
    assert values("تتغير المدن في الثلاثة عقود القادمة") == [("الثلاثة عقود القادمة", "2030-01-01/2059-12-31")]
    assert values("تضاعف السكان في 2 العقود الماضية") == [("2 العقود الماضية", "2000-01-01/2019-12-31")]


def test_minutes_after_or_before_an_hour_word():
    assert one_value_news("يبدأ البث عشرين دقيقة بعد الخامسة مساء") == "T17:20"
    assert one_value_news("يبدأ البث ثلاث دقائق قبل الثامنة") == "T07:57"
    assert one_value_news("تنطلق الرحلة 9 مساءً وثلاثة أرباع") == "T21:45"
    # a count of minutes before a match half is not a clock
    assert run("سجل الهدف قبل نهاية الشوط بثلاث دقائق") == []


def one_value_news(text: str) -> str:
    found = run(text)
    assert len(found) == 1, found
    return found[0]["value"]


def test_the_past_day():
    assert values("نشرت الوزارة البيان في اليوم الماضي") == [("اليوم الماضي", "2024-05-14")]


# ----------------------------------------------------------------- the conventions profile
# PUB is Wednesday 15 May 2024; its ISO week runs Monday 13 to Sunday 19 May.

def one_value(text: str, conventions: str) -> tuple[str, str]:
    found = run(text, conventions=conventions)
    assert len(found) == 1, found
    return found[0]["text"], found[0]["value"]


def test_named_month_with_last_or_next():
    # news: the most recent past September; specs: September of the previous year
    assert one_value("زار الوفد الرياض في سبتمبر الماضي", "news") == ("سبتمبر الماضي", "2023-09")
    assert one_value("زار الوفد الرياض في مارس الماضي", "news") == ("مارس الماضي", "2024-03")
    assert one_value("زار الوفد الرياض في مارس الماضي", "recognizers") == ("مارس الماضي", "2023-03")
    assert one_value("يزور الوفد الرياض في أغسطس المقبل", "recognizers") == ("أغسطس المقبل", "2025-08")


def test_weekday_next_and_last():
    # news: the first Sunday after publication; specs: Sunday of next week
    assert one_value("يعقد المجلس اجتماعه يوم الجمعة المقبل", "news")[1] == "2024-05-17"
    assert one_value("يعقد المجلس اجتماعه يوم الجمعة المقبل", "recognizers")[1] == "2024-05-24"
    assert one_value("عقد المجلس اجتماعه يوم الاثنين الماضي", "news")[1] == "2024-05-13"
    assert one_value("عقد المجلس اجتماعه يوم الاثنين الماضي", "recognizers")[1] == "2024-05-06"


def test_night_of_a_weekday():
    news = run("وصل الوفد ليلة الثلاثاء إلى جدة", conventions="news")[0]
    spec = run("وصل الوفد ليلة الثلاثاء إلى جدة", conventions="recognizers")[0]
    assert (news["value"], news["part_of_day"]) == ("2024-05-13", "NI")  # Monday evening, the eve of Tuesday
    assert (spec["value"], spec["part_of_day"]) == ("2024-05-14", "NI")  # Tuesday night


def test_the_month_after_and_the_day_after():
    assert one_value("ستبدأ المحادثات الشهر التالي", "news") == ("الشهر التالي", "2024-06")
    assert one_value("ستبدأ المحادثات الشهر التالي", "recognizers") == ("الشهر التالي", "2024-07")
    # news: "the next day" is the day after the event told, not after publication: not extracted
    found = run("وصل الوزير يوم الأحد وغادر في اليوم التالي.", conventions="news")
    assert [m["text"] for m in found] == ["يوم الأحد"]
    assert run("سأغادر في اليوم التالي.", conventions="recognizers")[-1]["value"] == "2024-05-16"


def test_end_of_this_week_and_bare_weekend():
    news = one_value("تعلن النتائج نهاية هذا الأسبوع", "news")
    assert news == ("نهاية هذا الأسبوع", "2024-05-16/2024-05-19")  # the late half, Thursday-Sunday
    assert one_value("تعلن النتائج نهاية هذا الأسبوع", "recognizers") == ("نهاية هذا الأسبوع", "2024-05-18/2024-05-19")
    # "نهاية الأسبوع المقبل" keeps its late half in both profiles
    assert one_value("تعلن النتائج نهاية الأسبوع المقبل", "recognizers")[1] == "2024-05-23/2024-05-26"
    # a bare weekend: news the last one begun (no future cue), specs this week's
    assert one_value("ازدحمت الشواطئ في عطلة نهاية الأسبوع", "news")[1] == "2024-05-11/2024-05-12"
    assert one_value("ازدحمت الشواطئ في عطلة نهاية الأسبوع", "recognizers")[1] == "2024-05-18/2024-05-19"


def test_noon_and_tomorrow_night():
    assert run("عقد المؤتمر ظهر اليوم", conventions="news")[0]["part_of_day"] == "MI"
    assert run("عقد المؤتمر ظهر اليوم", conventions="recognizers")[0]["part_of_day"] == "AF"
    assert one_value("تبث الحلقة الليلة المقبلة", "news")[1] == "2024-05-15"
    assert one_value("تبث الحلقة الليلة المقبلة", "recognizers")[1] == "2024-05-16"


def test_counts_after_publication():
    # news: "بعد يومين" is the day two days on; specs: the stretch up to it
    assert one_value("تصل الشحنة بعد يومين", "news") == ("بعد يومين", "2024-05-17")
    assert one_value("تصل الشحنة بعد يومين", "recognizers") == ("بعد يومين", "2024-05-16/2024-05-17")
    assert one_value("تصل الشحنة بعد أسبوعين من الآن", "recognizers")[1] == "2024-05-29"  # "من الآن": a point
    assert one_value("تفتح الأبواب بعد 3 ساعات", "recognizers")[1] == "2024-05-15T10:00:00+03:00/2024-05-15T13:00:00+03:00"
    # "في 10 أيام": a duration in news (not extracted), a point in the specs
    assert run("أنجزت الشركة المشروع في 10 أيام", conventions="news") == []
    assert one_value("تصل الشحنة في 10 أيام", "recognizers") == ("في 10 أيام", "2024-05-25")
    # ... but a month name after "في شهر" is never "in one month"
    assert one_value("يصوم المسلمون في شهر رمضان", "recognizers")[0] == "شهر رمضان"


def test_unknown_conventions_are_refused():
    import pytest

    with pytest.raises(ValueError):
        run("وصل الوفد أمس", conventions="spec")


def test_conventions_setting_reaches_the_dates_stage(monkeypatch):
    from service.pipeline import Context, enrich
    from service.settings import Settings

    monkeypatch.setenv("NEWS_ENRICHER_DATE_CONVENTIONS", "recognizers")
    settings = Settings.from_env()
    assert settings.date_conventions == "recognizers"
    raw = RawArticle(body="زار الوفد الرياض في مارس الماضي وعاد يوم الجمعة المقبل.", language="ar",
                     published_at=PUB.isoformat())
    received = datetime(2024, 5, 15, 8, 0, tzinfo=timezone.utc)
    spec_event = enrich(raw, Context(received_at=received, date_conventions=settings.date_conventions))
    news_event = enrich(raw, Context(received_at=received))
    spec, news = spec_event["dates"], news_event["dates"]
    assert [m["value"] for m in news] == ["2024-03", "2024-05-17"]
    assert [m["value"] for m in spec] == ["2023-03", "2024-05-24"]
    # the event says which reading produced its dates
    assert news_event["pipeline"]["date_conventions"] == "news"
    assert spec_event["pipeline"]["date_conventions"] == "recognizers"
    monkeypatch.setenv("NEWS_ENRICHER_DATE_CONVENTIONS", "both")
    import pytest

    with pytest.raises(SystemExit):
        Settings.from_env()


def test_bare_day_numbers_and_hours():
    # news: a bare number after a preposition is a number; specs: a day of the month, an hour
    assert run("عاد اللاعب إلى 27.", conventions="news") == []
    assert one_value("عاد اللاعب إلى 27.", "recognizers") == ("27", "2024-05-27")
    assert run("يبدأ العرض في السابعة.", conventions="news") == []
    assert one_value("يبدأ العرض في السابعة.", "recognizers") == ("السابعة", "T07:00")
    # a month name after the number keeps the date reading; an hour after a day keeps the join
    assert one_value("وصل يوم 2. أكتوبر", "recognizers")[1].endswith("-10-02")
    assert one_value("نلتقي الليلة في 8", "recognizers")[1] == "2024-05-15T20:00:00+03:00"


def test_later_years_and_rest_of_a_day():
    assert one_value("ستنتهي الخطة بعد 3 سنوات", "news")[1] == "2027-05-15"
    assert one_value("ستنتهي الخطة بعد 3 سنوات", "recognizers")[1] == "2026-05-16/2027-05-15"
    assert run("قضى الفريق بقية يوم في الفندق", conventions="news") == []
    assert one_value("قضى الفريق بقية يوم في الفندق", "recognizers")[1] == "2024-05-15T10:00:00+03:00/2024-05-15T23:59:59+03:00"


def test_bare_afternoon_and_noon():
    assert run("نلتقي بعد الظهر", conventions="news") == []
    assert one_value("نلتقي بعد الظهر", "recognizers") == ("بعد الظهر", "T12:00/T16:00")
    assert run("أصيب اللاعب في الظهر", conventions="news") == []
