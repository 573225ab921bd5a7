"""Dates stage, English round 6: general English shapes.  Fixture sentences are our own."""

from __future__ import annotations

from datetime import datetime, timezone

from service.dates import extract_dates
from service.document import build_doc
from service.model import RawArticle

# Wednesday 15 May 2024, 09:00 UTC.
PUB = datetime(2024, 5, 15, 9, 0, tzinfo=timezone.utc)


def run(text: str, published: datetime = PUB) -> list[dict]:
    doc = build_doc(RawArticle(body=text))
    doc.language = "en"
    doc.received_at = doc.published_at = published
    doc.published_from = "metadata"
    return extract_dates(doc)


def found(text: str, **kw) -> dict[str, dict]:
    return {m["text"]: m for m in run(text, **kw)}


def test_period_part_of_a_year():
    got = found("The plant closed at the end of 2009 and reopened in mid-2011, then again in early 2013.")
    assert got["the end of 2009"]["value"] == "2009-07-01/2009-12-31"
    assert "mod_late" in got["the end of 2009"]["flags"]
    assert got["mid-2011"]["value"] == "2011-04-01/2011-09-30"
    assert got["early 2013"]["value"] == "2013-01-01/2013-06-30"


def test_period_part_of_a_decade():
    got = found("Sales peaked in the late 1990s and fell during the early '80s? No: in the mid-1970s.")
    assert got["the late 1990s"]["value"] == "1995-01-01/1999-12-31"
    assert got["the mid-1970s"]["value"] == "1973-01-01/1976-12-31"
    # "the late 1930's" is the decade, not the year 1930
    assert found("Service ran in the late 1930's.")["the late 1930's"]["value"] == "1935-01-01/1939-12-31"


def test_later_and_earlier_this_period():
    got = found("The minister resigned earlier this month and an election is due later this year.")
    assert got["earlier this month"]["value"] == "2024-05-01/2024-05-15"
    assert got["later this year"]["value"] == "2024-07-01/2024-12-31"
    assert found("They meet at the end of next week.")["the end of next week"]["value"] == "2024-05-23/2024-05-26"


def test_period_part_without_partner_is_dropped():
    # "late" alone is not a date; the weekday keeps its own reading
    got = run("Late Tuesday, the council voted. He was born late, in 1999 people came.")
    assert [m["text"] for m in got] == ["Tuesday"]


def test_quarters_relative_to_publication():
    got = found("Profits fell last quarter, should rise next quarter and are flat this quarter.")
    assert got["last quarter"]["value"] == "2024-01-01/2024-03-31"
    assert got["next quarter"]["value"] == "2024-07-01/2024-09-30"
    assert got["this quarter"]["timex"] == "2024-Q2"
    got = found("Revenue grew over the past two quarters and is forecast to grow in the next 3 quarters.")
    assert got["the past two quarters"]["value"] == "2023-10-01/2024-03-31"
    assert got["the next 3 quarters"]["value"] == "2024-07-01/2025-03-31"


def test_quarter_of_a_match_or_a_city_is_not_a_date():
    assert run("He scored twice in the last quarter. They live in this quarter of the old city.")[0]["text"] != "this quarter"
    assert not run("Three quarters of voters agreed; a quarter ago nobody did.")


def test_short_quarters_and_halves_with_their_year():
    got = found("Sales fell in Q3 2015, rose in 2017 Q1 and in 2019-H2, and doubled in H1 2020.")
    assert got["Q3 2015"]["value"] == "2015-07-01/2015-09-30"
    assert got["2017 Q1"]["value"] == "2017-01-01/2017-03-31"
    assert got["2019-H2"]["value"] == "2019-07-01/2019-12-31"
    assert got["H1 2020"]["value"] == "2020-01-01/2020-06-30"
    assert got["H1 2020"]["granularity"] == "half"
    got = found("Output rose in the first half of 2016 and will fall in the second half of next year.")
    assert got["the first half of 2016"]["value"] == "2016-01-01/2016-06-30"
    assert got["the second half of next year"]["value"] == "2025-07-01/2025-12-31"
    # a half without its year is a match's, not a date
    assert not run("He scored in the first half. H1 was weak.")


def test_month_name_between_digits():
    got = found("Filed 05-Aug-2016, updated 2019/aug/01, due Sep-23-2020, closed 23/Sep/2020.")
    assert [got[t]["value"] for t in ("05-Aug-2016", "2019/aug/01", "Sep-23-2020", "23/Sep/2020")] == [
        "2016-08-05", "2019-08-01", "2020-09-23", "2020-09-23"]
    assert found("The budget for Dec-2018 was cut.")["Dec-2018"]["value"] == "2018-12"
    assert found("It ran Dec/2018-May/2019.")["Dec/2018-May/2019"]["value"] == "2018-12-01/2019-05-31"
    assert not run("Flight BA-2019 left; build 3-May-2020x failed.")


def test_centuries():
    got = found("The church dates from the 12th century and was rebuilt in the nineteenth century.")
    assert got["the 12th century"]["value"] == "1100-01-01/1199-12-31"
    assert got["the 12th century"]["granularity"] == "century"
    assert got["the nineteenth century"]["value"] == "1800-01-01/1899-12-31"
    assert found("a 21st-century problem")["21st-century"]["value"] == "2000-01-01/2099-12-31"
    assert not run("He worked for 20th Century Fox.")
    got = found("Built in the early 20th century, on ruins from the middle of the 14th century.")
    assert got["the early 20th century"]["value"] == "1900-01-01/1949-12-31"
    assert got["the middle of the 14th century"]["value"] == "1330-01-01/1369-12-31"


def test_weekday_with_a_day_number_picks_the_month_it_fits():
    # published Wednesday 15 May 2024: the last Friday the 13th before it was in October 2023
    got = found("The outage began on Friday the 13th.")
    assert got["on Friday the 13th"]["value"] == "2023-10-13"
    assert "weekday_mismatch" not in got["on Friday the 13th"]["flags"]
    assert found("We met on Monday the twenty ninth.")["on Monday the twenty ninth"]["value"] == "2024-04-29"
    # in a future clause, the next such month; a clock may follow
    got = found("The vote will be held on Sunday the 30th at 9 am.")
    assert got["on Sunday the 30th at 9 am"]["value"].startswith("2024-06-30T09:00")


def test_clock_in_words():
    got = found("Doors open at half past seven, the talk starts at ten past 9 in the evening and ends at a quarter to eleven pm.")
    assert got["half past seven"]["value"] == "T07:30"
    assert got["ten past 9 in the evening"]["value"] == "T21:10"
    assert got["a quarter to eleven pm"]["value"] == "T22:45"
    assert found("The bells rang at eleven o'clock.")["eleven o'clock"]["value"] == "T11:00"
    got = found("The sun sets tomorrow at thirty-six minutes past eight.")
    assert got["tomorrow at thirty-six minutes past eight"]["value"].startswith("2024-05-16T08:36")
    # counts are not clocks
    assert not run("Prices rose from five to ten dollars, and from five to ten.")


def test_part_of_day_does_not_override_written_am_pm():
    got = found("The raid began tonight at 2 am and ended tonight around 3.")
    assert got["tonight at 2 am"]["value"].startswith("2024-05-15T02:00")
    assert got["tonight around 3"]["value"].startswith("2024-05-15T03:00")
    assert found("The shelling lasted from 8am-3 yesterday afternoon.")["from 8am-3 yesterday afternoon"]["value"] == \
        "2024-05-14T08:00:00+00:00/2024-05-14T15:00:00+00:00"
    # a range ends after it starts
    assert found("Polls open from 10:30 to 3 on 1/6/2024.")["from 10:30 to 3 on 1/6/2024"]["value"].endswith("T15:00:00+00:00")
    assert found("The meeting is tonight at 9.")["tonight at 9"]["value"].startswith("2024-05-15T21:00")


def test_count_from_a_date():
    got = found("Talks collapsed two weeks before Christmas 2023; a deal came 3 days after January 12, 2024.")
    assert got["two weeks before Christmas 2023"]["value"] == "2023-12-11"
    assert got["3 days after January 12, 2024"]["value"] == "2024-01-15"
    assert found("The ban ends three weeks from tomorrow.")["three weeks from tomorrow"]["value"] == "2024-06-06"
    # counted from an event, not a date: no mention
    assert not run("Two days after the attack, he resigned.")


def test_compound_count_ago():
    got = found("The ceasefire was signed 1 month and 21 days ago, the truce 2 years 3 months ago.")
    assert got["1 month and 21 days ago"]["value"] == "2024-03-25"
    assert got["2 years 3 months ago"]["value"] == "2022-02-15"


def test_month_ranges_share_a_year():
    got = found("Fighting lasted from Nov to March. The fair will run from May to September.")
    assert got["from Nov to March"]["value"] == "2023-11-01/2024-03-31"
    assert got["from May to September"]["value"] == "2024-05-01/2024-09-30"
    got = found("Output fell Nov-Feb 2017, recovered June-August 1992 and rose Nov 18-Dec 19, 2015.")
    assert got["Nov-Feb 2017"]["value"] == "2016-11-01/2017-02-28"
    assert got["June-August 1992"]["value"] == "1992-06-01/1992-08-31"
    assert got["Nov 18-Dec 19, 2015"]["value"] == "2015-11-18/2015-12-19"
    # an ambiguous month name needs its range partner
    assert not run("He may march to May. John and May left.")


def test_ranges_of_mixed_granularity_and_year_ranges():
    got = found("He served from 2015 to May 5, 2017 and again from February until the end of March.")
    assert got["from 2015 to May 5, 2017"]["value"] == "2015-01-01/2017-05-05"
    assert got["from February until the end of March"]["value"] == "2024-02-01/2024-03-31"
    got = found("Data cover 2014 to 2018, the years 1939 through 1945 and between March 2020 and now.")
    assert got["2014 to 2018"]["value"] == "2014-01-01/2018-12-31"
    assert got["1939 through 1945"]["value"] == "1939-01-01/1945-12-31"
    assert got["between March 2020 and now"]["value"] == "2020-03-01/2024-05-15"
    assert not run("Between 1500 to 2000 soldiers died.")


def test_parts_of_day_without_a_day():
    got = found("Shops open in the morning; the strike began early in the morning and ended in late afternoon.")
    assert got["the morning"]["value"] == "T08:00/T12:00"
    assert got["early in the morning"]["value"] == "T08:00/T10:00"
    assert got["late afternoon"]["value"] == "T14:00/T16:00"
    assert got["the morning"]["anchor"] is None
    # with a day, the day keeps its part of day
    got = found("Troops left yesterday in the evening.")
    assert got["yesterday in the evening"]["part_of_day"] == "EV"
    # a bare part without a preposition or a modifier is not a mention
    assert not run("The morning was cold.")


def test_within_a_count_is_a_stretch_from_publication():
    got = found("Officials will decide within 5 days and rebuild within the next 3 years; a reply is due within 30 minutes.")
    assert got["within 5 days"]["value"] == "2024-05-15/2024-05-19"
    assert got["within the next 3 years"]["value"] == "2024-05-15/2027-05-14"
    assert got["within 30 minutes"]["value"] == "2024-05-15T09:00:00+00:00/2024-05-15T09:30:00+00:00"
    assert found("The vote is in a fortnight.")["in a fortnight"]["value"] == "2024-05-29"


def test_year_after_in_and_end_of_a_day():
    assert found("He died on 10th December in 1989 in Ohio.")["10th December in 1989"]["value"] == "1989-12-10"
    got = found("Bids close at the end of Monday.")
    assert got["the end of Monday"]["value"].startswith("2024-05-13T23:59")
    # the idiom is not a date
    assert not run("At the end of the day, he won.")


def test_moveable_and_relative_holidays():
    got = found("Churches were full on Easter 2018 and on Good Friday 2019; shops opened on Black Friday 2010.")
    assert got["on Easter 2018"]["value"] == "2018-04-01"
    assert got["on Good Friday 2019"]["value"] == "2019-04-19"
    assert got["on Black Friday 2010"]["value"] == "2010-11-26"
    got = found("Prices rose after last Easter and will fall before next Christmas.")
    assert got["last Easter"]["value"] == "2024-03-31"
    assert got["next Christmas"]["value"] == "2024-12-25"
    # names, not dates
    assert not any("Easter" in m["text"] for m in run("They sailed to Easter Island after the Easter Rising film."))


def test_two_digit_years():
    got = found("She was born 05/05/89, enlisted 21/04/16 and retires 12/12/30.")
    assert got["05/05/89"]["value"] == "1989-05-05"
    assert got["21/04/16"]["value"] == "2016-04-21"  # the first number cannot be a month
    assert got["12/12/30"]["value"] == "2030-12-12"
    assert "century_inferred" in got["05/05/89"]["flags"]
    assert found("Filed 5/3/18 @ 17:49:19.")["5/3/18 @ 17:49:19"]["value"].startswith("2018-05-03T17:49:19")
    assert not run("Version 1.2.16 shipped; 10/20/30% of users.")


def test_hours_and_minutes_in_words():
    got = found("Flights resume at five-thirty tomorrow evening; the curfew starts at one in the morning.")
    assert got["at five-thirty tomorrow evening"]["value"].startswith("2024-05-16T17:30")
    assert got["at one in the morning"]["value"] == "T01:00"
    assert found("He landed at nine thirty p m.")["at nine thirty p m"]["value"] == "T21:30"
    # a number word alone is a count
    assert not run("Nine people died. At nine, he left.")


def test_two_periods_away_counts_in_words_and_bare_period_parts():
    got = found("Talks resume the week after next; the plant shut the year before last.")
    assert got["week after next"]["value"] == "2024-W22"
    assert got["year before last"]["value"] == "2022"
    got = found("Twenty years ago it opened; it will grow over the next couple weeks.")
    assert got["Twenty years ago"]["value"] == "2004-05-15"
    assert got["the next couple weeks"]["value"] == "2024-05-16/2024-05-29"
    got = found("The law takes effect by the end of the year; the report is due at the end of the week.")
    assert got["the end of the year"]["value"] == "2024-07-01/2024-12-31"
    assert got["the end of the week"]["value"] == "2024-05-16/2024-05-19"
    # a bare period part needs its preposition; the end of a day stays an idiom
    assert not run("The end of the year was quiet. At the end of the day, he won.")


def test_present_and_small_words():
    got = found("At present the border is closed; see you tonite.")
    assert got["At present"]["value"] == "2024-05-15T09:00:00+00:00"
    assert got["tonite"]["part_of_day"] == "NI"


def test_first_or_last_units_of_a_period():
    got = found("Exports rose in the first six months of 2023 and fell in the last 3 weeks of last year.")
    assert got["the first six months of 2023"]["value"] == "2023-01-01/2023-06-30"
    assert got["the last 3 weeks of last year"]["value"] == "2023-12-11/2023-12-31"
    assert found("The whole 1st quarter of 2013 was dry.")["1st quarter of 2013"]["value"] == "2013-01-01/2013-03-31"
    # of something that is not a period: nothing
    assert not run("He spoke during the last three weeks of the campaign.")


def test_bare_weekend():
    # published on a Wednesday: the weekend just past, or the coming one in a future clause
    got = run("Protests spread over the weekend. Talks will resume at the weekend.")
    assert [m["value"] for m in got] == ["2024-05-11/2024-05-12", "2024-05-18/2024-05-19"]


def test_recognizers_profile_reads_named_year_parts_as_thirds():
    doc = build_doc(RawArticle(body="The firm was set up at the end of 2000, and we meet the next day."))
    doc.language, doc.received_at, doc.published_at, doc.published_from = "en", PUB, PUB, "metadata"
    got = {m["text"]: m for m in extract_dates(doc, conventions="recognizers")}
    assert got["the end of 2000"]["value"] == "2000-09-01/2000-12-31"
    assert got["the next day"]["value"] == "2024-05-16"
    # the news reading: halves, and "the next day" is the day after a told event (not extracted)
    news = found("The firm was set up at the end of 2000, and we meet the next day.")
    assert news["the end of 2000"]["value"] == "2000-07-01/2000-12-31"
    assert "the next day" not in news


def test_unmarked_hour_range_next_to_a_day():
    got = found("Shelling went on between 7 and 9 last night; polls open between 3 and 5 on 1/6/2024.")
    assert got["between 7 and 9 last night"]["value"] == "2024-05-14T19:00:00+00:00/2024-05-14T21:00:00+00:00"
    assert got["between 3 and 5 on 1/6/2024"]["value"].startswith("2024-01-06T03:00")
    # a count range is not a clock
    assert [m["text"] for m in run("The rate rose from 3 to 5 percent yesterday.")] == ["yesterday"]


def test_numeric_month_day_ranges():
    got = found("Voting ran from 10/1 to 11/7 and the fair runs from 5/1-5/7, 2025.")
    assert got["from 10/1 to 11/7"]["value"] == "2023-10-01/2023-11-07"
    assert got["from 5/1-5/7, 2025"]["value"] == "2025-05-01/2025-05-07"
    assert not run("Support went from 1/3 to 1/2 of voters.")


def test_small_fixes():
    got = found("Pools open Thursday 19:00 - 21:00; the embargo runs from this May to Oct 2025; bids end of tomorrow.")
    assert got["Thursday 19:00 - 21:00"]["value"] == "2024-05-09T19:00:00+00:00/2024-05-09T21:00:00+00:00"
    assert got["from this May to Oct 2025"]["value"] == "2024-05-01/2025-10-31"
    assert got["end of tomorrow"]["value"] == "2024-05-16T23:59:59+00:00"


def test_joins_outside_the_calendar_do_not_fail_the_article():
    got = found("Coins of the early 1st century survive; so do some of the middle of the first century.")
    assert got["the early 1st century"]["value"] == "0001-01-01/0049-12-31"
    assert got["the middle of the first century"]["value"] == "0030-01-01/0069-12-31"


def test_from_pairs_with_to_between_with_and():
    got = run("Sales were flat from 2015 and 2016 on; they grew between 2017 and 2019 and from 2020 to 2022.")
    assert [m["value"] for m in got] == ["2015", "2016", "2017-01-01/2019-12-31", "2020-01-01/2022-12-31"]


def test_week_holding_a_date():
    got = found("Talks are set for the week of April 8 and resume the week beginning Sunday, April 21.")
    assert (got["the week of April 8"]["start"], got["the week of April 8"]["end"]) == ("2024-04-08", "2024-04-14")
    assert got["the week of April 8"]["granularity"] == "week"
    # a week beginning on a Sunday starts there
    mention = next(m for m in run("Talks resume the week beginning April 21.") if "April 21" in m["text"])
    assert (mention["start"], mention["end"], mention["value"]) == ("2024-04-21", "2024-04-27", "2024-04-21/2024-04-27")
