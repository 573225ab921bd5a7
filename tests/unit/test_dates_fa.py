"""Dates stage, Persian: Solar Hijri dates, relative days and weeks, parts of day, clock ranges.
Fixture sentences are our own."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from service.dates import extract_dates
from service.document import build_doc
from service.model import RawArticle

TEHRAN = timezone(timedelta(hours=3, minutes=30))
# Wednesday 15 May 2024 = 26 Ordibehesht 1403, 12:00 Tehran time.
PUB = datetime(2024, 5, 15, 12, 0, tzinfo=TEHRAN)


def found(text: str) -> dict[str, dict]:
    doc = build_doc(RawArticle(body=text))
    doc.language = "fa"
    doc.received_at = doc.published_at = PUB
    doc.published_from = "metadata"
    return {m["text"]: m for m in extract_dates(doc)}


def test_solar_hijri_dates_with_and_without_year():
    got = found("نشست روز ۷ آذر ماه ۱۴۰۲ برگزار شد و قرارداد ۱۵ فروردین امضا شد.")
    assert got["۷ آذر ماه ۱۴۰۲"]["value"] == "2023-11-28"
    assert got["۷ آذر ماه ۱۴۰۲"]["calendar"] == "solar_hijri"
    assert got["۷ آذر ماه ۱۴۰۲"]["calendar_value"] == "1402-09-07"
    # no year: the most recent 15 Farvardin on or before publication (1403)
    assert got["۱۵ فروردین"]["value"] == "2024-04-03"
    assert "year_inferred" in got["۱۵ فروردین"]["flags"]


def test_relative_days_weeks_and_counts():
    got = found("وزیر دیروز گفت که هفته گذشته دو روز پیش از سفر، جلسه‌ای برگزار شد.")
    assert got["دیروز"]["value"] == "2024-05-14"
    assert got["هفته گذشته"]["value"] == "2024-W19"
    assert got["دو روز پیش"]["value"] == "2024-05-13"


def test_day_with_its_part_of_day():
    got = found("وزیر امروز صبح گفت که فردا شب و دیروز عصر جلسه داشتند و امشب سخنرانی می‌کند.")
    assert (got["امروز صبح"]["value"], got["امروز صبح"]["part_of_day"]) == ("2024-05-15", "MO")
    assert (got["فردا شب"]["value"], got["فردا شب"]["part_of_day"]) == ("2024-05-16", "NI")
    assert (got["دیروز عصر"]["value"], got["دیروز عصر"]["part_of_day"]) == ("2024-05-14", "AF")
    assert got["امشب"]["part_of_day"] == "NI"


def test_two_clock_times_joined_by_and_are_not_a_range():
    got = found("پرواز ساعت ۸ شب و ساعت ۱۴:۳۰ انجام شد؛ جلسه بین ساعت ۸ و ۱۰ است.")
    assert got["ساعت ۸ شب"]["value"] == "T20:00"
    assert got["ساعت ۱۴:۳۰"]["value"] == "T14:30"
    assert got["بین ساعت ۸ و ۱۰"]["value"] == "T08:00/T10:00"
    assert found("ساعت ۱۰ و ۳۰ دقیقه")["ساعت ۱۰ و ۳۰ دقیقه"]["value"] == "T10:30"


def test_within_a_count():
    got = found("دولت ظرف سه روز پاسخ می‌دهد.")
    assert got["ظرف سه روز"]["value"] == "2024-05-15/2024-05-17"
