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
