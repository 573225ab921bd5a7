"""Dates stage: extraction, calendars, anchoring, flags.  Fixture sentences are our own."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from service.dates import extract_dates
from service.document import build_doc
from service.model import RawArticle

TEHRAN = timezone(timedelta(hours=3, minutes=30))
# Tuesday 28 November 2023, 21:30 Tehran time.
PUB = datetime(2023, 11, 28, 21, 30, tzinfo=TEHRAN)
KEYS = {"text", "span", "value", "timex", "granularity", "calendar", "calendar_value", "start", "end",
        "part_of_day", "relative", "anchor", "confidence", "flags"}


def run(text: str, lang: str = "ar", published: datetime | None = PUB, title: str | None = None) -> list[dict]:
    doc = build_doc(RawArticle(body=text, title=title))
    doc.language = lang
    doc.received_at = datetime(2023, 11, 29, 6, 0, tzinfo=timezone.utc)
    if published is None:
        doc.published_at, doc.published_from = doc.received_at, "received"
    else:
        doc.published_at, doc.published_from = published, "metadata"
    return extract_dates(doc)


def one(text: str, lang: str = "ar", **kw) -> dict:
    found = run(text, lang, **kw)
    assert len(found) == 1, found
    return found[0]


def by_text(found: list[dict]) -> dict:
    return {m["text"]: m for m in found}


# ----------------------------------------------------------------- the seed article's shapes

def test_seed_like_paragraph_dates_and_tonight():
    # Our own sentences with the seed article's date shapes (two "tonight", a weekday that
    # contradicts its date, "Friday eve" + a Levantine/standard month pair, a second month pair).
    text = ("بحث رئيس الوزراء الليلة (الأحد 28 نوفمبر) مع الوفد الزائر ملف الطاقة.\n"
            "وقال المتحدث إن الجانبين ناقشا الليلة أيضا أسعار الغاز.\n"
            "وكانت جولة سابقة قد عقدت ليلة الجمعة 12 تشرين الثاني/نوفمبر، وسبقتها جولة في 18 تشرين الأول/أكتوبر.")
    found = run(text)
    assert [m["text"] for m in found] == ["الليلة", "الأحد 28 نوفمبر", "الليلة",
                                          "ليلة الجمعة 12 تشرين الثاني/نوفمبر", "18 تشرين الأول/أكتوبر"]
    tonight1, sunday28, tonight2, friday_eve, oct18 = found
    for t in (tonight1, tonight2):
        assert t["value"] == "2023-11-28" and t["part_of_day"] == "NI" and t["timex"] == "2023-11-28TNI"
        assert t["relative"] is True and t["anchor"] == "published_at"
    # 28 Nov 2023 is a Tuesday: keep the date, flag the weekday.
    assert sunday28["value"] == "2023-11-28" and sunday28["timex"] == "XXXX-11-28"
    assert "weekday_mismatch" in sunday28["flags"] and "year_inferred" in sunday28["flags"]
    # 12 Nov 2023 is a Sunday: neither Friday nor its eve (Thursday).
    assert friday_eve["value"] == "2023-11-12" and "weekday_mismatch" in friday_eve["flags"]
    assert oct18["value"] == "2023-10-18" and "weekday_mismatch" not in oct18["flags"]
    for m in found:  # spans point into the original text
        assert text[m["span"][0]:m["span"][1]] == m["text"]


def test_friday_eve_consistent_with_thursday_or_friday():
    # 11 Nov 2021 was a Thursday, 12 Nov 2021 a Friday: both readings of "ليلة الجمعة" fit.
    for day in (11, 12):
        m = one(f"اتصل به ليلة الجمعة {day} نوفمبر 2021")
        assert m["value"] == f"2021-11-{day}" and "weekday_mismatch" not in m["flags"]


def test_bare_friday_eve_is_thursday_evening():
    m = one("وقال في كلمة ألقاها ليلة الجمعة أمام أنصاره")
    assert m["value"] == "2023-11-23" and m["part_of_day"] == "NI"  # Thursday 23 November


def test_no_published_at_anchors_to_receive_time():
    m = one("عاد الوفد أمس إلى بلاده", published=None)
    assert m["value"] == "2023-11-28" and m["anchor"] == "received_at"
    assert "anchored_to_receive_time" in m["flags"]
    absolute = one("وقع الاتفاق في 5 مارس 2019", published=None)
    assert absolute["anchor"] is None and "anchored_to_receive_time" not in absolute["flags"]


# ----------------------------------------------------------------- month names in every form

@pytest.mark.parametrize("text,value", [
    ("وصل في 3 يناير 2022", "2022-01-03"),
    ("وصل في 3 كانون الثاني 2022", "2022-01-03"),
    ("وصل في 3 جانفي 2022", "2022-01-03"),
    ("وصل في 14 فيفري 2022", "2022-02-14"),
    ("عقد اللقاء في 9 نونبر 2022", "2022-11-09"),
    ("عقد اللقاء في 9 دجنبر 2022", "2022-12-09"),
    ("عقد اللقاء في 9 شتنبر 2022", "2022-09-09"),
    ("وصل في 21 أيلول 2022", "2022-09-21"),
    ("وصل في 21 إبريل 2022", "2022-04-21"),
    ("وصل في 12 تشرين الثاني/نوفمبر 2022", "2022-11-12"),
    ("وصل في 12 نوفمبر (تشرين الثاني) 2022", "2022-11-12"),
    ("وصل في ١٢ نوفمبر ٢٠٢٢", "2022-11-12"),
    ("وصل في الثاني عشر من نوفمبر 2022", "2022-11-12"),
    ("وصل يوم الأحد، 13 نوفمبر 2022", "2022-11-13"),
])
def test_arabic_month_forms(text, value):
    m = one(text)
    assert m["value"] == value and m["granularity"] == "day" and m["calendar"] == "gregorian"
    assert m["flags"] == []


def test_month_year_and_year_alone():
    found = by_text(run("تراجع النمو في مارس 2020، وتعافى الاقتصاد عام 2021م."))
    assert found["مارس 2020"]["value"] == "2020-03" and found["مارس 2020"]["granularity"] == "month"
    assert found["عام 2021م"]["value"] == "2021" and found["عام 2021م"]["granularity"] == "year"
    assert found["عام 2021م"]["start"] == "2021-01-01" and found["عام 2021م"]["end"] == "2021-12-31"


def test_hijri_dates_convert_with_umm_al_qura():
    m = one("صدر القرار في 14 جمادى الأولى 1445 هـ")
    assert m["text"] == "14 جمادى الأولى 1445 هـ"
    assert m["calendar"] == "hijri" and m["calendar_value"] == "1445-05-14" and m["value"] == "2023-11-28"
    ramadan = one("يبدأ الدوام في 1 رمضان 1445هـ")
    assert ramadan["value"] == "2024-03-11"


def test_hijri_missing_year_is_latest_on_or_before_publication():
    m = one("وكان ذلك في 10 محرم الماضي")
    assert m["calendar"] == "hijri" and m["value"] == "2023-07-28" and "year_inferred" in m["flags"]


def test_persian_solar_hijri_with_persian_digits():
    m = one("این دیدار در ۷ آذر ۱۴۰۲ برگزار شد", lang="fa")
    assert m["calendar"] == "solar_hijri" and m["calendar_value"] == "1402-09-07" and m["value"] == "2023-11-28"
    month = one("قیمت‌ها در فروردین ۱۴۰۳ افزایش یافت", lang="fa")
    assert month["granularity"] == "month" and month["start"] == "2024-03-20" and month["end"] == "2024-04-19"


def test_english_formats():
    found = by_text(run("The talks began on Monday, November 27, 2023 and ended on 1st December 2023. "
                        "A report dated 2023-11-20 was cited.", lang="en"))
    assert found["on Monday, November 27, 2023"]["value"] == "2023-11-27"
    assert "weekday_mismatch" not in found["on Monday, November 27, 2023"]["flags"]
    assert found["1st December 2023"]["value"] == "2023-12-01"
    assert found["2023-11-20"]["value"] == "2023-11-20"


# ----------------------------------------------------------------- relative expressions

@pytest.mark.parametrize("phrase,value,gran", [
    ("اليوم", "2023-11-28", "day"),
    ("أمس", "2023-11-27", "day"),
    ("أول أمس", "2023-11-26", "day"),
    ("غداً", "2023-11-29", "day"),
    ("مساء أمس", "2023-11-27", "day"),
    ("منذ يومين", "2023-11-26", "day"),
    ("قبل ثلاثة أيام", "2023-11-25", "day"),
    ("الأسبوع الماضي", "2023-W47", "week"),
    ("الشهر المقبل", "2023-12", "month"),
    ("العام الماضي", "2022", "year"),
    ("هذا العام", "2023", "year"),
])
def test_arabic_relative(phrase, value, gran):
    m = one(f"قال المتحدث {phrase} إن المفاوضات مستمرة")
    assert m["text"] == phrase and m["value"] == value and m["granularity"] == gran
    assert m["relative"] is True and m["anchor"] == "published_at"


def test_relative_day_with_weekday_checks_the_anchor():
    ok = one("أعلنت الوزارة اليوم (الثلاثاء) نتائج الفحص")
    assert ok["text"] == "اليوم (الثلاثاء)" and ok["value"] == "2023-11-28" and ok["flags"] == []
    bad = one("أعلنت الوزارة أمس الأحد نتائج الفحص")  # yesterday was a Monday
    assert bad["value"] == "2023-11-27" and "weekday_mismatch" in bad["flags"]


def test_spaced_numeric_hijri_date():
    m = one("صدر التعميم بتاريخ 7 / 10 / 1436 هـ")
    assert m["calendar"] == "hijri" and m["value"] == "2015-07-23" and m["flags"] == []


def test_holidays():
    found = by_text(run("هنأ الملك المواطنين بمناسبة عيد الفطر المبارك، واحتفل الناس بعيد الميلاد المجيد"))
    assert found["عيد الفطر المبارك"]["value"] == "2023-04-21" and found["عيد الفطر المبارك"]["calendar"] == "hijri"
    assert found["عيد الميلاد المجيد"]["value"] == "2022-12-25"
    assert one("Shops closed on Thanksgiving 2022", lang="en")["value"] == "2022-11-24"


def test_stretches_before_and_after_publication():
    found = by_text(run("ارتفعت الأسعار خلال الأشهر الثلاثة الماضية ويتوقع استقرارها في اليومين المقبلين"))
    past = found["الأشهر الثلاثة الماضية"]
    assert past["granularity"] == "interval" and past["start"] == "2023-08-28" and past["end"] == "2023-11-27"
    assert found["اليومين المقبلين"]["value"] == "2023-11-29/2023-11-30"
    en = one("Prices rose over the past three weeks", lang="en")
    assert en["start"] == "2023-11-07" and en["end"] == "2023-11-27"


def test_quarters_and_numeric_months():
    q = one("نما الاقتصاد في الربع الثالث من عام 2022")
    assert q["granularity"] == "quarter" and q["value"] == "2022-07-01/2022-09-30" and q["timex"] == "2022-Q3"
    assert one("صدر العدد في 3/2015")["value"] == "2015-03"


def test_named_time_zone_sets_the_offset():
    m = one("تبدأ الهدنة يوم 12 نوفمبر 2023 الساعة 11:59 مساءً بتوقيت مكة المكرمة")
    assert m["granularity"] == "datetime" and m["value"] == "2023-11-12T23:59:00+03:00"
    assert "timezone_assumed" not in m["flags"]
    assert one("The vote closes at 5 pm GMT", lang="en")["value"] == "T17:00+00:00"


def test_hijri_and_gregorian_equivalence_is_checked():
    ok = run("صدر في 14 جمادى الأولى 1445 هـ الموافق 28 نوفمبر 2023")
    assert [m["flags"] for m in ok] == [[], []]
    bad = run("صدر في 10 رجب 1445هـ الموافق 2 فبراير 2023")
    assert all("calendar_mismatch" in m["flags"] for m in bad) and len(bad) == 2


def test_part_of_day_timex():
    m = one("وصل الرئيس مساء أمس إلى العاصمة")
    assert m["timex"] == "2023-11-27TEV" and m["part_of_day"] == "EV"


@pytest.mark.parametrize("phrase,value", [
    ("امروز", "2023-11-28"), ("دیروز", "2023-11-27"), ("امشب", "2023-11-28"),
    ("هفته گذشته", "2023-W47"), ("سال آینده", "2024"), ("دو روز پیش", "2023-11-26"),
])
def test_persian_relative(phrase, value):
    m = one(f"وزیر {phrase} گفت که مذاکرات ادامه دارد", lang="fa")
    assert m["text"] == phrase and m["value"] == value


@pytest.mark.parametrize("phrase,value", [
    ("yesterday", "2023-11-27"), ("tonight", "2023-11-28"), ("two days ago", "2023-11-26"),
    ("last week", "2023-W47"), ("next month", "2023-12"), ("last year", "2022"),
])
def test_english_relative(phrase, value):
    m = one(f"The minister said {phrase} that talks would go on", lang="en")
    assert m["text"] == phrase and m["value"] == value


def test_bare_weekday_is_latest_on_or_before_publication_unless_future():
    past = one("وأعلنت الوزارة يوم الأحد أن الاجتماع انتهى")
    assert past["value"] == "2023-11-26"
    future = one("وسوف يعقد الاجتماع يوم الخميس في الرياض")
    assert future["value"] == "2023-11-30" and "future_by_tense" in future["flags"]
    nxt = one("يبدأ الموسم السبت المقبل")
    assert nxt["value"] == "2023-12-02"


def test_missing_year_past_by_default_future_by_tense():
    past = one("وكان قد وقع الاتفاق في 15 ديسمبر")  # December is after publication: last year
    assert past["value"] == "2022-12-15" and "year_inferred" in past["flags"]
    future = one("وسوف يوقع الاتفاق في 15 ديسمبر")
    assert future["value"] == "2023-12-15" and "future_by_tense" in future["flags"]


# ----------------------------------------------------------------- times and intervals

def test_time_of_day_and_datetime():
    found = by_text(run("بدأت الجلسة الساعة العاشرة والنصف صباحاً، وانتهت في 27 نوفمبر 2023 الساعة 5:45 مساء"))
    assert found["الساعة العاشرة والنصف صباحاً"]["value"] == "T10:30"
    dt = found["27 نوفمبر 2023 الساعة 5:45 مساء"]
    assert dt["granularity"] == "datetime" and dt["value"] == "2023-11-27T17:45:00+03:30"
    assert "timezone_assumed" in dt["flags"]


def test_intervals():
    found = by_text(run("يقام المعرض من 12 إلى 15 نوفمبر 2023 بعد أن تراجع بين عامي 2019 و2021"))
    rng = found["من 12 إلى 15 نوفمبر 2023"]
    assert rng["granularity"] == "interval" and rng["value"] == "2023-11-12/2023-11-15"
    years = found["بين عامي 2019 و2021"]
    assert years["start"] == "2019-01-01" and years["end"] == "2021-12-31"
    en = one("Prices rose between 2019 and 2021 across the region", lang="en")
    assert en["text"] == "between 2019 and 2021" and en["value"] == "2019-01-01/2021-12-31"
    two_dates = one("تستمر الحملة من 3 ديسمبر 2023 إلى 10 يناير 2024")
    assert two_dates["value"] == "2023-12-03/2024-01-10"


def test_day_of_relative_month_and_period_parts():
    found = by_text(run("تبدأ الدراسة في 20 من الشهر المقبل، وتنتهي أواخر العام المقبل"))
    assert found["20 من الشهر المقبل"]["value"] == "2023-12-20"
    late = found["أواخر العام المقبل"]
    assert late["start"] == "2024-07-01" and late["end"] == "2024-12-31" and "mod_late" in late["flags"]


# ----------------------------------------------------------------- precision

@pytest.mark.parametrize("text,lang", [
    ("التقى الوزير بالسيد مهر علي في مكتبه", "ar"),        # مهر as a name
    ("قتل 2000 شخص في الحرب", "ar"),                       # a number with a unit
    ("مارس اللاعب هوايته بعد التقاعد", "ar"),              # مارس = practised
    ("وقال أب الضحية إن ابنه بريء", "ar"),                  # أب = father, normalized like آب
    ("He may leave the country soon", "en"),               # may the verb
    ("The team scored 5 goals in 2 games", "en"),
    ("پسر مهر را روی کاغذ زد", "fa"),                       # مهر = seal
    ("ارتفعت الأسعار بنسبة 15 إلى 20 بالمئة", "ar"),        # a range of numbers, not of days
    ("انسحب قبل يومين من الانتخابات", "ar"),                 # counted from an event, not publication
    ("وصل بعد ثلاثة أيام على إعلان الهدنة", "ar"),
    ("Two days after the attack he resigned", "en"),
    ("صرح رئيس تحرير عين اليوم بأن", "ar"),                  # a newspaper named "اليوم"
    ("هذا العمل محرم شرعا", "ar"),                          # محرم = forbidden, not the month
    ("وأنجز المشروع خلال 72 ساعة", "ar"),                   # a duration
    ("At first the plan failed", "en"),                     # not one o'clock
    ("مردم به خیابان‌ها می آیند", "fa"),                     # می is a verb prefix, not May
    ("او نوزده سال بعد آزاد شد", "fa"),                      # later than a story event
    ("صدها سال پیش این شهر ساخته شد", "fa"),
])
def test_not_dates(text, lang):
    assert run(text, lang) == []


def test_unknown_language_gets_numeric_dates_only():
    found = run("Die Konferenz fand am 28/11/2023 und am 2023-11-29 statt, nicht im November.", lang="de")
    assert [m["value"] for m in found] == ["2023-11-28", "2023-11-29"]


# ----------------------------------------------------------------- contract

def test_output_keys_and_json_ready():
    found = run("وصل أمس في 12 نوفمبر 2023 الساعة 5 مساء، وفي 14 جمادى الأولى 1445 هـ", title="خبر اليوم")
    assert found
    for m in found:
        assert KEYS <= set(m) and set(m) - KEYS <= {"field"}
        assert 0.0 <= m["confidence"] <= 1.0 and isinstance(m["flags"], list)
    assert json.loads(json.dumps(found)) == found


def test_title_field_and_original_spans_with_diacritics():
    title = "القمة تنعقد غداً"
    body = "وصـل الوفـد يوم الأَحَد ١٢ نُوفمبر ٢٠٢٣."
    found = run(body, title=title)
    in_title = [m for m in found if m.get("field") == "title"]
    assert [m["text"] for m in in_title] == ["غداً"]
    assert title[in_title[0]["span"][0]:in_title[0]["span"][1]] == "غداً"
    body_m = [m for m in found if "field" not in m][0]
    assert body[body_m["span"][0]:body_m["span"][1]] == body_m["text"] == "يوم الأَحَد ١٢ نُوفمبر ٢٠٢٣"
    assert body_m["value"] == "2023-11-12" and "weekday_mismatch" not in body_m["flags"]


# ----------------------------------------------------------------- round 2: parts of day, weeks, minutes

def test_parts_of_day_with_weekdays_and_this_evening():
    # Publication: Tuesday 28 November 2023.
    found = by_text(run("التقى الوزير مساء الأحد نظيره، ثم عقد اجتماعا صباح يوم الاثنين، "
                        "وسيلقي كلمة هذا المساء، وكان قد وصل بعد ظهر أمس."))
    assert found["مساء الأحد"]["value"] == "2023-11-26" and found["مساء الأحد"]["part_of_day"] == "EV"
    assert found["مساء الأحد"]["timex"] == "2023-11-26TEV"
    assert found["صباح يوم الاثنين"]["value"] == "2023-11-27" and found["صباح يوم الاثنين"]["part_of_day"] == "MO"
    assert found["هذا المساء"]["value"] == "2023-11-28" and found["هذا المساء"]["timex"] == "2023-11-28TEV"
    assert found["بعد ظهر أمس"]["value"] == "2023-11-27" and found["بعد ظهر أمس"]["part_of_day"] == "AF"
    after = one("سيصل الوفد الخميس صباحا إلى العاصمة")
    assert after["text"] == "الخميس صباحا" and after["value"] == "2023-11-30" and after["part_of_day"] == "MO"
    # "الأحد" alone is "the one"; with a part of day it is Sunday.
    assert run("وقال الأحد منهم إن الأمر انتهى") == []


def test_part_of_day_before_a_full_date_keeps_the_date_branch():
    m = one("وقع الانفجار مساء الاثنين الموافق 27/11/2023 قرب المطار")
    assert m["value"] == "2023-11-27" and m["part_of_day"] == "EV" and "weekday_mismatch" not in m["flags"]


def test_clock_with_evening_word_and_approximate_time_become_datetimes():
    m = one("بدأت الجلسة الساعة 8 مساء اليوم")
    assert m["value"] == "2023-11-28T20:00:00+03:30" and m["granularity"] == "datetime"
    m = one("ستبدأ المباراة الليلة حوالي الساعة 9")
    assert m["value"] == "2023-11-28T21:00:00+03:30"
    m = one("ستعلن النتائج الساعة 7 هذا المساء")
    assert m["value"] == "2023-11-28T19:00:00+03:30"


def test_minutes_in_words_and_digits_are_not_a_time_range():
    assert one("وصلت الطائرة الساعة الثامنة و20 دقيقة مساء")["value"] == "T20:20"
    assert one("وصلت الطائرة الساعة الثامنة وخمس وعشرين دقيقة صباحا")["value"] == "T08:25"
    assert one("يفتح المعرض من الساعة 8 إلى 10 صباحا")["value"] == "T08:00/T10:00"


def test_first_of_month_and_feminine_ordinals():
    assert one("تبدأ الإجازة أول يناير")["value"] == "2023-01-01"
    assert one("صدر القرار في الحادية والعشرين من أكتوبر")["value"] == "2023-10-21"
    assert run("كان أول رئيس للبلاد") == []


def test_nth_week_of_month_and_year():
    # The nth week starts on the month's nth Monday; the last week holds the month's last Thursday.
    m = one("تنطلق الحملة في الأسبوع الثالث من يناير 2024")
    assert (m["start"], m["end"], m["value"]) == ("2024-01-15", "2024-01-21", "2024-W03")
    m = one("عقد المؤتمر في الأسبوع الأخير من يوليو 2017")
    assert (m["start"], m["end"]) == ("2017-07-24", "2017-07-30")
    m = one("the last week of September 2021 was busy", "en")
    assert (m["start"], m["end"]) == ("2021-09-27", "2021-10-03")
    m = one("الأسبوع الأول من عام 2015")  # ISO week 1
    assert (m["start"], m["end"]) == ("2014-12-29", "2015-01-04")
    assert run("في الأسبوع الأول من البطولة") == []  # no month or year: not a date


def test_year_halves_follow_months():
    m = one("ينتهي المشروع أواخر العام المقبل")
    assert (m["start"], m["end"]) == ("2024-07-01", "2024-12-31")
    m = one("بدأ العمل مطلع عام 2023")
    assert (m["start"], m["end"]) == ("2023-01-01", "2023-06-30")


def test_decades_relative_to_publication():
    # Published in 2023: the past decade is the 2010s, the two past decades 2000-2019.
    m = one("شهدت المنطقة خلال العقد الماضي تحولات كبيرة")
    assert (m["start"], m["end"], m["granularity"]) == ("2010-01-01", "2019-12-31", "decade")
    m = one("تضاعف عدد السكان في العقدين الماضيين")
    assert (m["start"], m["end"]) == ("2000-01-01", "2019-12-31")
    assert run("وقع اللاعب على تجديد العقد الحالي مع النادي") == []  # the current contract


def test_rest_of_period_and_vague_plural_counts():
    m = one("يتوقع أن تستمر الأمطار بقية الأسبوع")
    assert (m["start"], m["end"]) == ("2023-11-28", "2023-12-03")
    m = one("the plan covers the rest of the year", "en")
    assert (m["start"], m["end"]) == ("2023-11-28", "2023-12-31")
    # "قبل سنوات" says neither how many nor when: no value, rather than a wrong "one year ago".
    m = one("زار المدينة قبل سنوات")
    assert m["value"] is None and m["timex"] == "PAST_REF" and m["flags"] == ["vague"]
    assert m["granularity"] == "year" and m["start"] is None and m["relative"] is True
    m = one("this happened years ago", "en")
    assert m["value"] is None and m["timex"] == "PAST_REF"
    assert one("سيعود بعد أيام")["timex"] == "FUTURE_REF"
    assert one("وصل قبل ثلاث سنوات")["value"] == "2020-11-28"


def test_hour_word_with_a_fraction_is_a_clock_time():
    m = one("بدأت الجلسة في الثامنة والنصف من مساء أمس")
    assert m["value"] == "2023-11-27T20:30:00+03:30"
    assert one("انطلق القطار السابعة إلا ربع")["value"] == "T06:45"


def test_compound_counts_are_summed_and_from_now_is_part_of_them():
    assert one("غادر البلاد منذ عام وشهرين")["value"] == "2022-09-28"
    assert one("تنتهي المهلة بعد أسبوعين من الآن")["value"] == "2023-12-12"
    m = one("وقع الحادث منذ يومين وثلاث ساعات")
    assert m["granularity"] == "datetime" and m["value"] == "2023-11-26T18:30:00+03:30"
    assert run("قبل يومين من الانتخابات") == []  # counted from an event, not from publication


def test_years_in_words():
    assert one("ولد في العاشر من سبتمبر ، ألفين")["value"] == "2000-09-10"
    assert one("وقعت المعاهدة في 21 سبتمبر ألف وتسعمائة وثمانية وسبعين")["value"] == "1978-09-21"
    assert one("سيقام المهرجان عام ألفين وستة وعشرين")["value"] == "2026"
    # "ألف" alone is "a thousand", not the year 1000.
    m = one("شارك في 5 مارس ألف شخص")
    assert m["text"] == "5 مارس" and m["value"] == "2023-03-05"


def test_part_of_day_before_a_clock():
    assert one("يبدأ الحفل بعد الظهر الساعة 4")["value"] == "T16:00"
    assert one("انطلقت المسيرة مساء الساعة 7:30")["value"] == "T19:30"
    assert one("وصل مساء أمس")["text"] == "مساء أمس"


def test_nth_weekday_of_a_month():
    assert one("تقام الصلاة في الجمعة الأولى من شهر رمضان 1445 هـ")["value"] == "2024-03-15"
    assert one("the second Monday of next month is a holiday", "en")["value"] == "2023-12-11"
    assert one("يوم الخميس الأخير من نوفمبر 2023")["value"] == "2023-11-30"
    # A masculine ordinal after a weekday is the day of the month: Monday the 4th of Shawwal.
    m = one("وصل يوم الاثنين الرابع من شوال 1444 هـ")
    assert m["value"] == "2023-04-24" and m["calendar"] == "hijri"
