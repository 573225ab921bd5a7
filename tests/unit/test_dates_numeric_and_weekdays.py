"""Dates stage: numeric day/month after a preposition, weekday + ordinal without a month,
"أول يوم جمعة من". Fixture sentences are our own."""

from __future__ import annotations

from tests.unit.test_dates import one, run


def test_numeric_day_month_after_a_preposition_ending_the_clause():
    m = one("وصل الوفد في 3-11.")
    assert (m["text"], m["value"], m["timex"]) == ("3-11", "2023-11-03", "XXXX-11-03")
    assert "year_inferred" in m["flags"]
    # a future verb moves it forward; day/month order unless the second number cannot be a month
    assert one("سيعقد الاجتماع في 5/12.")["value"] == "2023-12-05"
    assert one("تستمر الحملة حتى 4/22")["value"] == "2023-04-22"


def test_numeric_pairs_that_are_not_dates():
    for text in ("ارتفع المؤشر في 4.22 مليار ريال.", "ينتهي العمل في 2-3 أيام.", "فاز الفريق 2-1.",
                 "بلغت النسبة في 12/30 من الحالات", "في 13/14."):
        assert run(text) == [], text


def test_weekday_and_masculine_ordinal_ending_the_clause():
    # published Tuesday 28 November 2023: the second Sunday of November is the 12th
    m = one("سيعود الوزير يوم الأحد الثاني.")
    assert (m["value"], m["granularity"]) == ("2023-11-12", "day")
    assert one("أقيم الحفل الخميس الأخير.")["value"] == "2023-11-30"
    # an ordinal above five is the day of the month, checked against the weekday
    m = one("اجتمعوا يوم الاثنين السابع والعشرين.")
    assert m["value"] == "2023-11-27" and "weekday_mismatch" not in m["flags"]
    # with a month after it, the ordinal is still the day ("Monday the 4th of Shawwal")
    m = one("يبدأ الدوام يوم الاثنين الرابع من شوال")
    assert m["text"] == "يوم الاثنين الرابع من شوال" and m["calendar"] == "hijri"


def test_feminine_ordinal_without_month_is_a_count_not_a_date():
    found = run("خرج المحتجون للجمعة الثانية على التوالي.")
    assert not any("الثانية" in m["text"] for m in found), found
    assert not any("الثانية" in m["text"] for m in run("خرج المحتجون في الجمعة الثانية."))


def test_ordinal_before_day_and_weekday():
    m = one("افتتح المعرض أول يوم جمعة من يوليو")
    assert (m["text"], m["value"]) == ("أول يوم جمعة من يوليو", "2023-07-07")
    assert one("يصل آخر يوم خميس من هذا الشهر")["value"] == "2023-11-30"


def test_weekday_range_inside_a_week():
    # published Tuesday 28 November 2023 (ISO week 48: 27 Nov - 3 Dec)
    m = one("نلتقي الأسبوع المقبل بين الأربعاء والجمعة.")
    assert (m["text"], m["value"], m["granularity"]) == ("الأسبوع المقبل بين الأربعاء والجمعة",
                                                         "2023-12-06/2023-12-08", "interval")
    m = one("تعقد الجلسات هذا الأسبوع من الثلاثاء إلى الخميس")
    assert (m["text"], m["value"]) == ("هذا الأسبوع من الثلاثاء إلى الخميس", "2023-11-28/2023-11-30")
    # an ambiguous weekday ends a range only after "بين/من" + another weekday
    assert one("أغلقت المدارس الأسبوع الماضي بين الجمعة والأحد.")["value"] == "2023-11-24/2023-11-26"
    assert one("سافر من الخميس إلى الأحد")["value"] == "2023-11-23/2023-11-26"
    # "الجمعة من الأسبوع المقبل" keeps its meaning (one day)
    assert one("الجمعة من الأسبوع المقبل")["value"] == "2023-12-08"
    assert run("فاز الأحد والاثنين") == []


def test_weekend_alone_and_with_a_modifier():
    # published Tuesday 28 November 2023: the last weekend begun is 25-26 November
    m = one("قضى الفريق عطلة نهاية الأسبوع في جدة.")
    assert (m["text"], m["value"], m["timex"]) == ("عطلة نهاية الأسبوع", "2023-11-25/2023-11-26", "2023-W47-WE")
    # a future verb: the coming one
    assert one("ستصدر البيانات في عطلة نهاية الأسبوع")["value"] == "2023-12-02/2023-12-03"
    assert one("عطلة نهاية الأسبوع المقبل")["value"] == "2023-12-09/2023-12-10"


def test_year_ranges_with_a_hyphen():
    m = one("تمتد الخطة الخمسية 2015-2019م لتطوير الموانئ")
    assert (m["text"], m["value"], m["granularity"]) == ("2015-2019م", "2015-01-01/2019-12-31", "interval")
    m = one("خلال العام الدراسي 1444 - 1445 هـ")
    assert (m["calendar"], m["calendar_value"]) == ("hijri", "1444/1445")
    assert run("رقم الهاتف 2014-20189") == []
    assert one("لعب للنادي (2001-2007).")["value"] == "2001-01-01/2007-12-31"


def test_week_of_a_date_and_year_in_words_after_a_preposition():
    m = one("ماذا لدي أسبوع 22 نوفمبر")
    assert (m["text"], m["value"], m["granularity"], m["start"]) == ("أسبوع 22 نوفمبر", "2023-W47", "week", "2023-11-20")
    # a year in words after "في" ending the clause; a count in words before a noun is not a year
    assert one("ولد في ألف وتسعمائة وخمسة وأربعين.")["value"] == "1945"
    assert run("شارك في ألف وخمسمائة موقع") == []


def test_weekday_with_day_number_prefers_the_month_where_it_fits():
    # published Tuesday 28 November: Thursday the 30th is this month's (October 30 was a Monday)
    m = one("تنطلق البطولة يوم الخميس 30،")
    assert m["value"] == "2023-11-30" and "weekday_mismatch" not in m["flags"]
    m = one("حجزت القاعة ليوم الخميس الثلاثين.")
    assert m["value"] == "2023-11-30"
    # no month where Wednesday is the 31st: the weekday alone
    m = one("حجزت القاعة ليوم الأربعاء الحادي والثلاثين.")
    assert m["text"] == "يوم الأربعاء" and m["value"] == "2023-11-22"


def test_two_periods_away():
    assert one("ارتفعت الأسعار العام قبل الماضي")["value"] == "2021"
    assert one("يبدأ المشروع الأسبوع بعد المقبل")["value"] == "2023-W50"
    assert one("تنخفض الحرارة الشهر قبل الماضي")["value"] == "2023-09"


def test_dual_day_prefix_before_two_weekdays():
    found = run("تعقد الجلسات يومي الأحد والاثنين")
    assert [(m["text"], m["value"]) for m in found] == [("يومي الأحد", "2023-11-26"), ("الاثنين", "2023-11-27")]


def test_part_of_a_bare_period_after_a_preposition():
    found = run("تراجعت الأسعار 9 في المائة منذ بداية العام حتى الآن")
    assert [x["text"] for x in found] == ["بداية العام", "الآن"]
    m = one("تراجعت الأسعار منذ بداية العام.")
    assert (m["value"], m["flags"]) == ("2023-01-01/2023-06-30", ["mod_early"])
    assert one("يتوقع أن ترتفع بنهاية الشهر.")["value"] == "2023-11-16/2023-11-30"
    assert one("تراجع الذهب منذ مطلع الأسبوع،")["value"] == "2023-11-27/2023-11-29"
    # without a preposition, or going on into another noun, it is something else
    for text in ("يسمى حبة نهاية الأسبوع.", "في إجازات نهاية الأسبوع،", "في منتصف الشهر نفسه.",
                 "في نهاية الأسبوع الثاني من البرنامج"):
        assert run(text) == [], text


def test_bare_day_number_after_a_date_in_the_same_sentence():
    found = run("بدأت البطولة في 3 أغسطس وانتهت في 15.")
    assert [(m["text"], m["value"]) for m in found] == [("3 أغسطس", "2023-08-03"), ("15", "2023-08-15")]
    assert "month_inferred" in found[1]["flags"]
    # alone, earlier than the date, in another sentence, or right after the date (a clock): not a day
    for text in ("وصل الوفد في 15.", "بدأت في 13 أغسطس وانتهت في 5.", "بدأت في 3 أغسطس. وفاز في 15."):
        assert [m["text"] for m in run(text)] in ([], ["13 أغسطس"], ["3 أغسطس"]), text
    assert one("وصلوا 3 أغسطس في 7.")["granularity"] == "datetime"
