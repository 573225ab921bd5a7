"""Dates stage: clock times in words, parts of day with and without a day, early/late
halves, bare hours next to a day, end of day.  Fixture sentences are our own."""

from __future__ import annotations

from tests.unit.test_dates import by_text, one, run  # same fixtures: published Tue 28 Nov 2023 21:30 +03:30


def test_late_part_of_a_weekday_is_the_second_half_of_that_part():
    m = one("ووصل الوفد في وقت متأخر من مساء الثلاثاء إلى العاصمة.")
    assert m["text"] == "في وقت متأخر من مساء الثلاثاء"
    assert m["granularity"] == "interval" and m["part_of_day"] == "EV"
    assert m["value"] == "2023-11-28T18:00:00+03:30/2023-11-28T20:00:00+03:30"
    assert "mod_late" in m["flags"] and "timezone_assumed" in m["flags"]


def test_day_then_part_of_day_with_early_modifier():
    m = one("تبدأ الجولة يوم الخميس في الصباح الباكر بحسب المنظمين.")
    assert m["text"] == "يوم الخميس في الصباح الباكر"
    assert m["value"] == "2023-11-23T08:00:00+03:30/2023-11-23T10:00:00+03:30"


def test_day_then_plain_part_of_day_stays_a_day():
    m = one("عقد الاجتماع يوم الأحد، في المساء، بمقر الوزارة.")
    assert m["granularity"] == "day" and m["value"] == "2023-11-26"
    assert m["part_of_day"] == "EV" and m["timex"] == "2023-11-26TEV"


def test_date_with_adverb_part_of_day():
    m = one("افتتح المعرض 5 فبراير صباحا في الرياض.")
    assert m["value"] == "2023-02-05" and m["part_of_day"] == "MO" and m["text"] == "5 فبراير صباحا"


def test_part_of_day_without_a_day_is_a_clock_range():
    m = one("واعتقلت الشرطة ثلاثة مشتبه بهم خلال الليل في حي الملز.")
    assert m["text"] == "الليل" and m["granularity"] == "interval"
    assert m["value"] == "T20:00/T23:59:59" and m["timex"] == "TNI"
    assert m["start"] is None and m["anchor"] is None
    early = one("غادرت الحافلات في الصباح الباكر.")
    assert early["value"] == "T08:00/T10:00" and "mod_early" in early["flags"]


def test_bare_part_of_day_needs_a_preposition_or_modifier():
    # a newspaper and a family name, not the morning
    assert run("ذكرت صحيفة الصباح أن الشيخ ناصر الصباح زار المعرض.") == []
    assert run("كانت الأمسية الثالثة مخصصة للشعر.") == []


def test_bare_hour_joins_a_day_only_with_its_preposition():
    m = one("سيعقد المؤتمر الصحفي الليلة في 7.")
    assert m["granularity"] == "datetime" and m["value"] == "2023-11-28T19:00:00+03:30"
    m = one("وصل الوزير 23 أكتوبر في السابعة.")
    assert m["value"] == "2023-10-23T07:00:00+03:30"
    # a count after the day, not a clock
    found = by_text(run("انتشرت الاحتجاجات الليلة في 7 مدن."))
    assert list(found) == ["الليلة"] and found["الليلة"]["granularity"] == "day"
    assert by_text(run("قتل أمس 7 أشخاص.")).keys() == {"أمس"}


def test_clock_words_with_minutes_and_minus():
    assert one("يبدأ البث الساعة السابعة وخمسة وثلاثين دقيقة مساء")["value"] == "T19:35"
    assert one("يبدأ البث السابعة وخمس وثلاثين مساء")["value"] == "T19:35"
    assert one("موعد الإقلاع الساعة الخامسة والنصف إلا ثلاث دقائق")["value"] == "T05:27"
    assert one("فتحت الأبواب 340 مساء")["value"] == "T15:40"
    assert one("انطلقت الرحلة الساعة 12 في الليل")["value"] == "T00:00"
    assert one("انتهى الاجتماع في منتصف-الليل")["value"] == "T00:00"
    # "340 م" is metres
    assert run("يبلغ طول الجسر 340 م") == []


def test_end_of_day():
    m = one("تنتهي المهلة نهاية يوم الجمعة.")
    assert m["granularity"] == "datetime" and m["value"] == "2023-11-24T23:59:00+03:30"


def test_dawn_and_first_hours_are_not_split_into_the_morning_halves():
    # "فجر" is before 08:00 and "الساعات الأولى من الصباح" is after midnight: no 08-10 range for them
    m = one("توفي المصاب في وقت مبكر فجر اليوم متأثرا بجروحه.")
    assert m["text"] == "فجر اليوم" and m["granularity"] == "day" and m["part_of_day"] == "MO"
    assert run("تستمر السهرات حتى الساعات الأولى من الصباح.") == []


def test_rest_of_the_day_runs_from_publication_time():
    m = one("تستمر الأمطار بقية اليوم في المنطقة الشرقية.")
    assert m["granularity"] == "interval"
    assert m["value"] == "2023-11-28T21:30:00+03:30/2023-11-28T23:59:59+03:30"


def test_unmarked_hour_range_only_next_to_a_day():
    m = one("تفتح اللجان أبوابها اليوم من الخامسة إلى السابعة.")
    assert m["value"] == "2023-11-28T05:00:00+03:30/2023-11-28T07:00:00+03:30"  # no pm word: as written
    m = one("يفتح المعرض من 5 إلى 6 في 1 يناير")
    assert m["granularity"] == "interval" and m["value"].startswith("2023-01-01T05:00:00")
    # without a day it stays a count
    assert run("ارتفع العدد من 5 إلى 6.") == []
    assert [x["text"] for x in run("ارتفع العدد اليوم من 5 إلى 6 ملايين.")] == ["اليوم"]


def test_week_then_ambiguous_weekday():
    m = one("يعقد المجلس جلسته الأسبوع المقبل الاثنين")
    assert m["value"] == "2023-12-04" and m["granularity"] == "day"
    # "الاثنين" alone is "the two": still not a weekday
    assert run("وصل الاثنين إلى المطار") == []


def test_minutes_before_an_hour_with_a_fraction():
    assert one("تبدأ الجلسة الخامسة والنصف إلا ثلاث دقائق مساء")["value"] == "T17:27"


def test_later_this_year_and_last_n_years():
    m = one("ستطرح الشركة المنتج في وقت لاحق من هذا العام.")
    assert m["text"] == "في وقت لاحق من هذا العام" and m["value"] == "2023-07-01/2023-12-31"
    m = one("تضاعفت الأسعار خلال آخر 3 سنوات.")
    assert m["value"] == "2020-11-28/2023-11-27"
    # the last days of something else are not counted back from publication
    assert not any(x["text"].startswith("آخر") for x in run("تكثر الزيارات في آخر 3 أيام من شهر رمضان"))


def test_weekday_day_range():
    m = one("يغلق المعبر من الجمعة 10 حتى الثلاثاء 14")
    assert m["granularity"] == "interval" and m["value"] == "2023-11-10/2023-11-14"


def test_range_between_two_datetimes():
    m = one("يغلق الطريق من الساعة 4 مساء اليوم حتى 5 مساء غدا")
    assert m["granularity"] == "interval" and m["text"].startswith("من الساعة 4")
    assert m["value"] == "2023-11-28T16:00:00+03:30/2023-11-29T17:00:00+03:30"


def test_part_of_day_then_bare_hour():
    m = one("يصل الوفد في المساء في 7.")
    assert m["granularity"] == "time" and m["value"] == "T19:00"


def test_clock_in_cardinal_words_needs_am_pm_and_no_day_after():
    assert one("ضبطت المنبه على ثمانية وأربعين مساء")["value"] == "T20:40"
    assert one("يبدأ العرض خمسة عشر وثلاثين مساء")["value"] == "T15:30"
    assert run("وصل ثمانية وأربعين إلى المطار") == []
    # a count of people before "مساء أمس": the day, not a clock
    found = run("وصل ثلاثة وعشرين مساء أمس إلى المطار")
    assert [m["text"] for m in found] == ["مساء أمس"] and found[0]["part_of_day"] == "EV"


def test_stretches_of_hours_and_minutes_from_publication_time():
    m = one("قتل 20 شخصا خلال الساعات الـ24 الماضية.")
    assert m["text"] == "الساعات الـ24 الماضية"
    assert m["value"] == "2023-11-27T21:30:00+03:30/2023-11-28T21:30:00+03:30"
    assert one("يتوقع هطول الأمطار خلال 12 ساعة المقبلة")["value"] == \
        "2023-11-28T21:30:00+03:30/2023-11-29T09:30:00+03:30"
    assert one("تشتد الرياح في الساعة المقبلة")["value"] == "2023-11-28T21:30:00+03:30/2023-11-28T22:30:00+03:30"
    assert one("تراجع المؤشر خلال الأيام الـ10 الماضية")["value"] == "2023-11-18/2023-11-27"


def test_day_number_next_to_a_clock():
    m = one("سأعود الساعة 8 مساء يوم 15")  # future: the next 15th after 28 November
    assert m["text"] == "الساعة 8 مساء يوم 15" and m["value"] == "2023-12-15T20:00:00+03:30"
    assert "month_inferred" in m["flags"]
    m = one("جرى الاجتماع يوم 25، 8 مساء")
    assert m["text"] == "يوم 25، 8 مساء" and m["value"] == "2023-11-25T20:00:00+03:30"
    # a count after the clock, not a day
    assert [x["text"] for x in run("وصل الساعة 8 مساء في 15 ولاية")] == ["الساعة 8 مساء"]


def test_part_of_day_before_this_weekday():
    m = one("يصل الوفد صباح هذا الخميس")
    assert m["value"] == "2023-11-30" and m["timex"] == "2023-11-30TMO"
