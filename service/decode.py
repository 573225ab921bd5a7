"""Bytes + Kafka headers -> RawArticle, or a DecodeError that says exactly what is wrong.

Accepted: UTF-8 (a BOM is allowed) JSON objects in the common article shapes (field aliases
below), or plain text (`content-type: text/plain`, or anything that is not a JSON object).
"""

from __future__ import annotations

import re
from typing import Any, Iterable

import orjson

from .model import EnrichmentError, RawArticle

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
BOM = b"\xef\xbb\xbf"


class DecodeError(EnrichmentError):
    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message, stage="decode", reason=reason)


# Field aliases, most specific first.  Values may be dotted paths into nested objects.
_ALIASES: dict[str, tuple[str, ...]] = {
    "article_id": ("id", "article_id", "uuid", "guid", "_id"),
    "url": ("url", "link", "canonical_url", "thread.url"),
    "title": ("title", "headline", "thread.title"),
    "body": ("body", "maintext", "text", "content", "article", "description"),
    "published_at": ("published_at", "publishedAt", "date_publish", "published", "pubDate",
                     "date", "datetime", "date_extracted", "thread.published"),
    "publisher": ("publisher", "source.name", "source_domain", "thread.site", "site", "source",
                  "source_name"),
    "language": ("language", "lang", "language_code"),
    "authors": ("authors", "author", "byline", "creator"),
}
# Which field betrays which producer shape (for the event's `input.shape`).
_SHAPE_MARKERS = (
    ("news-please", "maintext"), ("news-please", "date_publish"), ("newsapi", "publishedAt"),
    ("webz", "thread"), ("saudinewsnet", "date_extracted"),
)
# Fields read as part of a shape but not copied to `extra`.
_CONSUMED_PARENTS = {"source", "thread"}

_PUBLISHER_FOOTER = re.compile(
    r"\n[ \t|]*(?:ناشر|منبع|الناشر|المصدر|Publisher|Source)[ \t]*[|:：][ \t]*([^\n|]{2,120}?)[ \t|]*(?:\n[ \t|]*)*\Z"
)


def header_value(headers: Iterable[tuple[str, bytes]] | dict | None, name: str) -> str | None:
    if not headers:
        return None
    items = headers.items() if isinstance(headers, dict) else headers
    for key, value in items:
        if key.lower() == name:
            if isinstance(value, bytes):
                return value.decode("utf-8", "replace")
            return str(value)
    return None


def decode(value: bytes | None, headers=None, max_bytes: int = DEFAULT_MAX_BYTES) -> RawArticle:
    if value is None:
        raise DecodeError("message has no value (tombstone)", reason="empty_message")
    if len(value) > max_bytes:
        raise DecodeError(f"message is {len(value)} bytes, limit is {max_bytes}", reason="too_large")
    if value.startswith(BOM):
        value = value[len(BOM):]
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"not valid UTF-8: {exc.reason} at byte {exc.start}", reason="invalid_utf8") from None
    if "\x00" in text:
        raise DecodeError("text contains NUL characters", reason="invalid_text")
    content_type = (header_value(headers, "content-type") or "").lower()
    stripped = text.lstrip()
    if "text/plain" in content_type:
        return decode_plain_text(text)
    if "json" in content_type or stripped.startswith(("{", "[")):
        return decode_json(text)
    if not stripped:
        raise DecodeError("message is empty", reason="empty_body")
    return decode_plain_text(text)


def decode_json(text: str) -> RawArticle:
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"invalid JSON: {exc}", reason="invalid_json") from None
    if not isinstance(obj, dict):
        raise DecodeError(f"JSON value is a {type(obj).__name__}, expected an object", reason="not_an_object")
    return article_from_mapping(obj)


def article_from_mapping(obj: dict[str, Any]) -> RawArticle:
    used: set[str] = set()
    fields: dict[str, Any] = {}
    for name, aliases in _ALIASES.items():
        for alias in aliases:
            found = _lookup(obj, alias)
            if found is None or found == "" or found == []:
                continue
            if name == "publisher" and isinstance(found, dict):
                continue  # an object under "source" is read through "source.name"
            fields[name] = found
            used.add(alias.split(".")[0])
            break
    body = fields.get("body")
    if body is None:
        raise DecodeError("no article text: expected one of " + ", ".join(_ALIASES["body"]), reason="empty_body")
    for name in ("body", "title", "url", "published_at", "publisher", "language", "article_id"):
        if name in fields and not isinstance(fields[name], str):
            if name == "article_id" and isinstance(fields[name], int) and not isinstance(fields[name], bool):
                fields[name] = str(fields[name])
            else:
                raise DecodeError(f"field for {name!r} must be a string, got {type(fields[name]).__name__}",
                                  reason="wrong_type")
    if not body.strip():
        raise DecodeError("article body is empty", reason="empty_body")
    authors = fields.get("authors", [])
    if isinstance(authors, str):
        authors = [authors]
    elif not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise DecodeError("authors must be a string or a list of strings", reason="wrong_type")
    shape = "generic"
    for candidate, marker in _SHAPE_MARKERS:
        if marker in obj:
            shape = candidate
            break
    extra = {k: v for k, v in obj.items() if k not in used and k not in _CONSUMED_PARENTS}
    return RawArticle(
        body=body,
        title=fields.get("title"),
        article_id=fields.get("article_id"),
        url=fields.get("url"),
        published_at=fields.get("published_at"),
        publisher=fields.get("publisher"),
        language=fields.get("language"),
        authors=[a.strip() for a in authors if a.strip()],
        format="application/json",
        shape=shape,
        extra=extra,
    )


def _lookup(obj: dict[str, Any], path: str) -> Any:
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def decode_plain_text(text: str) -> RawArticle:
    """First non-empty line is the title; a trailing `ناشر | … |` line names the publisher."""
    if not text.strip():
        raise DecodeError("message is empty", reason="empty_body")
    start = len(text) - len(text.lstrip())
    line_end = text.find("\n", start)
    if line_end < 0:
        line_end = len(text)
    title_end = len(text[start:line_end].rstrip(" \t\r|"))
    publisher = None
    footer = None
    m = _PUBLISHER_FOOTER.search(text)
    if m and m.start() > line_end:
        publisher = m.group(1).strip()
        footer = (m.start() + 1, len(text))
    return RawArticle(
        body=text,
        title_span=(start, start + title_end) if line_end < len(text) else None,
        publisher=publisher,
        footer=footer,
        format="text/plain",
        shape="plain_text",
    )
