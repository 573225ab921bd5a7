"""Dates stage, round 7: Arabic gaps both reading profiles shared.  Sentences are our own."""

from __future__ import annotations

import pytest

# Same publication time and helpers as round 5 (Wednesday 15 May 2024, 10:00 Riyadh time).
from .test_dates_round5 import values

PROFILES = pytest.mark.parametrize("conventions", ["news", "recognizers"])


@PROFILES
def test_ambiguous_weekday_before_a_marked_clock(conventions):
    # "الاثنين" alone is also "the two"; a clock with its marker right after it makes it the weekday
    assert values("عقدت اللجنة جلستها الاثنين 9-11 صباحا في المقر.", conventions=conventions) == [
        ("الاثنين 9-11 صباحا", "2024-05-13T09:00:00+03:00/2024-05-13T11:00:00+03:00")]
    assert values("وصل الوفد الأحد الساعة 7 مساء.", conventions=conventions) == [
        ("الأحد الساعة 7 مساء", "2024-05-12T19:00:00+03:00")]
    assert values("يفتح المعرض أبوابه الأحد من 4 إلى 10 مساء.", conventions=conventions) == [
        ("الأحد من 4 إلى 10 مساء", "2024-05-12T16:00:00+03:00/2024-05-12T22:00:00+03:00")]
    # a count after it is not a clock
    assert values("التقى الاثنين 20 لاعبا في المعسكر.", conventions=conventions) == []
    assert values("ضم الاثنين من 8 إلى 9 لاعبين.", conventions=conventions) == []
    # one-letter markers are also abbreviations ("ص" a page, "م" metres)
    assert values("نشر الاثنين 12 ص من الملحق.", conventions=conventions) == []


@PROFILES
def test_weekday_before_a_clock_with_colon_is_not_a_day_number(conventions):
    assert values("انطلقت المباراة يوم الجمعة 17:30 بتوقيت مكة.", conventions=conventions)[0][0].startswith(
        "يوم الجمعة 17:30")
    assert ("يوم الجمعة 17", "2024-05-17") not in values("انطلقت المباراة يوم الجمعة 17:30.", conventions=conventions)


@PROFILES
def test_three_digit_year_after_an_indefinite_year_word(conventions):
    assert values("بنيت القلعة عام 711 على يد الأمويين.", conventions=conventions) == [("عام 711", "0711")]
    assert values("ولد الشاعر سنة 915 م في الكوفة.", conventions=conventions) == [("سنة 915 م", "0915")]
    assert values("فتحت المدينة عام ثلاثمائة وخمسة وعشرين.", conventions=conventions) == [
        ("عام ثلاثمائة وخمسة وعشرين", "0325")]
    # "العام" is this year: "العام 450 طالبا" counts students; a number with a unit is not a year
    assert values("قبلت الجامعة العام 450 طالبا.", conventions=conventions) == []
    assert values("وزعت الجمعية عام 300 ألف وجبة.", conventions=conventions) == []
    # a year before the Christian era is not read as the year after it
    assert values("بني المعبد عام 450 قبل الميلاد.", conventions=conventions) == []
    assert values("بني المعبد عام 450 ق.م تقريبا.", conventions=conventions) == []


@PROFILES
def test_year_said_as_hundreds_and_rest(conventions):
    assert values("تخرج في سبتمبر من عام تسعة عشر ثمانية وثمانين.", conventions=conventions) == [
        ("سبتمبر من عام تسعة عشر ثمانية وثمانين", "1988-09")]
    assert values("أسس النادي عام تسعة عشر خمسة وعشرين.", conventions=conventions) == [
        ("عام تسعة عشر خمسة وعشرين", "1925")]
    # the rest must be 10-99; a count after it is not a year
    assert values("أسس النادي عام تسعة عشر خمسة.", conventions=conventions) == []
    assert values("قتل في تسعة عشر ستين شخصا.", conventions=conventions) == []


@PROFILES
def test_quarter_of_a_year_in_words(conventions):
    assert values("تراجعت المبيعات في الربع الثاني من ألفين وتسعة عشر.", conventions=conventions) == [
        ("الربع الثاني من ألفين وتسعة عشر", "2019-04-01/2019-06-30")]
    assert values("نما الاقتصاد في الربع الأول من عام ألفين وعشرين.", conventions=conventions) == [
        ("الربع الأول من عام ألفين وعشرين", "2020-01-01/2020-03-31")]


@PROFILES
def test_day_month_two_digit_year(conventions):
    # Arabic order is day/month; the century that puts the year at most 20 years after publication
    assert values("صدر القرار بتاريخ 7-3-19 وعمم على الدوائر.", conventions=conventions) == [("7-3-19", "2019-03-07")]
    assert values("وقعت الحادثة 25/12/98 في المدينة.", conventions=conventions) == [("25/12/98", "1998-12-25")]
    # the second number cannot be a month: month/day
    assert values("وقعت الحادثة 3/25/98 في المدينة.", conventions=conventions) == [("3/25/98", "1998-03-25")]
    # a two-digit Hijri year is not read as Gregorian
    assert values("صدر القرار 9/11/36هـ في الرياض.", conventions=conventions) == []


@PROFILES
def test_zero_padded_day_month_ending_the_clause(conventions):
    assert values("ستنطلق البطولة 09/06.", conventions=conventions) == [("09/06", "2024-06-09")]
    assert values("افتتح المعرض 21/03، بحضور الوزير.", conventions=conventions) == [("21/03", "2024-03-21")]
    # not zero-padded, or going on into a noun: a fraction, a score or a number
    assert values("فاز الفريق 2/1.", conventions=conventions) == []
    assert values("صدر القرار 12/03 الخاص بالتعليم.", conventions=conventions) == []


@PROFILES
def test_month_then_its_days_as_a_range(conventions):
    assert values("تقام الدورة في شهر أكتوبر بين 14 و 16.", conventions=conventions) == [
        ("شهر أكتوبر بين 14 و 16", "2023-10-14/2023-10-16")]
    assert values("ستقام الدورة في سبتمبر 2024 من 3 إلى 6، في جدة.", conventions=conventions) == [
        ("سبتمبر 2024 من 3 إلى 6", "2024-09-03/2024-09-06")]
    # the numbers go on to a unit: a share in that month, not its days
    assert values("تراوح التضخم في مارس بين 3 و 5 بالمئة.", conventions=conventions) == [("مارس", "2024-03")]


@PROFILES
def test_weekday_then_day_in_cardinal_words(conventions):
    # the 17th that is a Friday: May 2024 (published Wednesday 15 May, a future clause)
    assert values("سيصل الوفد يوم الجمعة في سبعة عشر.", conventions=conventions) == [
        ("يوم الجمعة في سبعة عشر", "2024-05-17")]
    # a count of something, or a small number (an hour: "الليلة في 7"), is not a day
    assert values("قتل يوم الجمعة في سبعة عشر هجوما.", conventions=conventions) == [("يوم الجمعة", "2024-05-10")]
    assert ("يوم الجمعة في خمسة", "2024-05-05") not in values("وصل يوم الجمعة في خمسة.", conventions=conventions)
