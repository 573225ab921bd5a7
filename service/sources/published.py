"""Publication time from a metadata value: ISO-8601, RFC 2822, 'YYYY-MM-DD HH:MM:SS', epoch.

Zone rule for values without an offset ("naive"): the publisher's own zone from the registry
when the publisher is known (a Saudi paper's '2015-07-21 02:51:58' is Riyadh time), else UTC.
The caller records which zone was assumed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_EPOCH = re.compile(r"\s*(\d{9,13})(?:\.\d{1,9})?\s*")
# Formats datetime.fromisoformat does not take (slashes, dotted dates, a 'UTC'/'GMT' suffix).
_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M",
            "%d/%m/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y-%m-%d %H:%M", "%B %d, %Y %H:%M", "%B %d, %Y",
            "%d %B %Y %H:%M", "%d %B %Y", "%b %d, %Y", "%d %b %Y")
_ZONE_SUFFIX = re.compile(r"\s*(?:UTC|GMT|Z)\s*\Z", re.I)
# Epoch values outside this window are not publication times (a typo, a counter, an id).
_MIN_YEAR, _MAX_YEAR = 1990, 2100


@lru_cache(maxsize=64)
def zone(name: str | None):
    if not name:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def parse_published(value: str | None, naive_zone: str | None = None) -> tuple[datetime | None, str | None]:
    """Return (aware datetime or None, the zone assumed for a naive value or None)."""
    if not value or not isinstance(value, str):
        return None, None
    text = value.strip()
    if len(text) > 64:
        return None, None
    m = _EPOCH.fullmatch(text)
    if m:
        number = float(text)
        if len(m.group(1)) >= 12:  # milliseconds
            number /= 1000.0
        try:
            moment = datetime.fromtimestamp(number, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None, None
        return (moment, None) if _MIN_YEAR <= moment.year <= _MAX_YEAR else (None, None)
    moment = _parse_text(text)
    if moment is None or not (_MIN_YEAR <= moment.year <= _MAX_YEAR):
        return None, None
    if moment.tzinfo is not None:
        return moment, None
    assumed = naive_zone or "UTC"
    return moment.replace(tzinfo=zone(naive_zone)), assumed


def _parse_text(text: str) -> datetime | None:
    utc = bool(_ZONE_SUFFIX.search(text)) and not text.endswith(("z", "Z")) or text.endswith(("Z", "z"))
    core = _ZONE_SUFFIX.sub("", text) if utc else text
    try:
        moment = datetime.fromisoformat(core)
        return moment.replace(tzinfo=timezone.utc) if utc and moment.tzinfo is None else moment
    except ValueError:
        pass
    if "," in text or text[:3].isalpha():  # RFC 2822: "Tue, 21 Jul 2015 02:51:58 +0300"
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            pass
    for fmt in _FORMATS:
        try:
            moment = datetime.strptime(core, fmt)
        except ValueError:
            continue
        return moment.replace(tzinfo=timezone.utc) if utc else moment
    return None


def implausible(moment: datetime, received_at: datetime | None) -> bool:
    """A publication time more than a day after the message arrived is not believable."""
    return received_at is not None and moment - received_at > timedelta(days=1)
