"""Bytes + Kafka headers -> RawArticle, or a DecodeError that says exactly what is wrong.

Accepted: UTF-8 (a BOM is allowed) JSON objects in the common article shapes (field aliases
below, documented in docs/sources.md), or plain text (`content-type: text/plain`, or anything
that does not look like JSON).  Every failure is a DecodeError with a short machine-readable
`reason`; no other exception leaves `decode()` (the agent routes DecodeErrors to the DLQ).
"""

from __future__ import annotations

import re
from typing import Any, Iterable

import orjson

from .model import EnrichmentError, RawArticle

# 2 MiB: about 1,000 times an average news article.  The pipeline keeps three offset maps
# (8 bytes per character each), so this also bounds the memory one message can take.
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
# orjson itself stops at 1,024 levels; the enriched event nests `extra` two levels deeper and
# orjson.dumps refuses more than 254, so anything deeper than this is rejected up front.
MAX_JSON_DEPTH = 64
BOM = b"\xef\xbb\xbf"

# Reasons a message can be rejected (the DLQ record carries one of these).
REASONS = (
    "empty_message",  # Kafka tombstone (no value)
    "too_large",  # more bytes than max_bytes
    "unsupported_charset",  # a content-type charset other than UTF-8
    "invalid_utf8",  # bytes are not UTF-8
    "invalid_text",  # NUL characters in the text
    "invalid_json",  # looks like / declared as JSON but does not parse
    "too_deeply_nested",  # JSON nested deeper than MAX_JSON_DEPTH (or orjson's own limit)
    "not_an_object",  # JSON value is an array, string, number ...
    "wrong_type",  # a known field holds the wrong type (e.g. a number as the body)
    "empty_body",  # no article text at all
)


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
                  "source_name", "source.id", "thread.site_full"),
    "language": ("language", "lang", "language_code"),
    "authors": ("authors", "author", "byline", "creator"),
}
# Which field betrays which producer shape (for the event's `input.shape`).
_SHAPE_MARKERS = (
    ("news-please", "maintext"), ("news-please", "date_publish"), ("newsapi", "publishedAt"),
    ("webz", "thread"), ("saudinewsnet", "date_extracted"),
)
_STRING_FIELDS = ("body", "title", "url", "published_at", "publisher", "language", "article_id")

_PUBLISHER_FOOTER = re.compile(
    r"\n[ \t|]*(?:ناشر|منبع|الناشر|المصدر|Publisher|Source)[ \t]*[|:：][ \t]*([^\n|]{2,120}?)[ \t|]*(?:\n[ \t|]*)*\Z"
)
# A JSON text starts with an object/array and then a value character: `{"`, `{}`, `[{`, `[1` ...
# Text such as "[Reuters] ..." or "{draft}" is plain text that merely starts with a bracket.
_LOOKS_JSON = re.compile(r'\s*(?:\{\s*(?:"|\})|\[\s*(?:[\[{"\]\-0-9]|true|false|null))')
_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9_\-]{1,40})")


def header_value(headers: Iterable[tuple[str, bytes]] | dict | None, name: str) -> str | None:
    if not headers:
        return None
    try:
        items = headers.items() if isinstance(headers, dict) else headers
        for key, value in items:
            if isinstance(key, bytes):
                key = key.decode("utf-8", "replace")
            if isinstance(key, str) and key.lower() == name and value is not None:
                if isinstance(value, (bytes, bytearray)):
                    return bytes(value).decode("utf-8", "replace")
                return str(value)
    except (TypeError, ValueError):  # malformed headers are ignored, not fatal
        return None
    return None


def decode(value: bytes | None, headers=None, max_bytes: int = DEFAULT_MAX_BYTES) -> RawArticle:
    if value is None:
        raise DecodeError("message has no value (tombstone)", reason="empty_message")
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogatepass")
    elif isinstance(value, (bytearray, memoryview)):
        value = bytes(value)
    elif not isinstance(value, bytes):
        raise DecodeError(f"message value is a {type(value).__name__}, expected bytes", reason="wrong_type")
    if len(value) > max_bytes:
        raise DecodeError(f"message is {len(value)} bytes, limit is {max_bytes}", reason="too_large")
    content_type = (header_value(headers, "content-type") or "").lower()
    charset = _CHARSET.search(content_type)
    if charset and charset.group(1).replace("_", "-") not in ("utf-8", "utf8", "us-ascii", "ascii"):
        raise DecodeError(f"charset {charset.group(1)!r} is not supported, send UTF-8",
                          reason="unsupported_charset")
    if value.startswith(BOM):
        value = value[len(BOM):]
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"not valid UTF-8: {exc.reason} at byte {exc.start}", reason="invalid_utf8") from None
    if "\x00" in text:
        raise DecodeError(f"text contains a NUL character at {text.index(chr(0))}", reason="invalid_text")
    if not text.strip():
        raise DecodeError("message is empty", reason="empty_body")
    if "text/plain" in content_type:
        return decode_plain_text(text)
    if "json" in content_type or _LOOKS_JSON.match(text):
        return decode_json(text)
    return decode_plain_text(text)


def decode_json(text: str) -> RawArticle:
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):
            raise DecodeError(f"JSON nested too deeply: {exc}", reason="too_deeply_nested") from None
        raise DecodeError(f"invalid JSON: {exc}", reason="invalid_json") from None
    if not isinstance(obj, dict):
        raise DecodeError(f"JSON value is a {type(obj).__name__}, expected an object", reason="not_an_object")
    _check_depth(obj)
    return article_from_mapping(obj)


def _check_depth(obj: Any) -> None:
    """Iterative (no recursion) depth check; articles are small objects so this is cheap."""
    stack = [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise DecodeError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", reason="too_deeply_nested")
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)) and child:
                stack.append((child, depth + 1))


def article_from_mapping(obj: dict[str, Any]) -> RawArticle:
    """Map a decoded JSON object (any known shape) to a RawArticle; unknown fields go to `extra`."""
    if not isinstance(obj, dict):
        raise DecodeError(f"expected an object, got {type(obj).__name__}", reason="not_an_object")
    used: set[str] = set()  # dotted paths read into RawArticle fields
    fields: dict[str, Any] = {}
    for name, aliases in _ALIASES.items():
        for alias in aliases:
            found = _lookup(obj, alias)
            if found is None or found == "" or found == [] or found == {}:
                continue
            if name == "publisher" and isinstance(found, dict):
                continue  # an object under "source" is read through "source.name"
            if name == "published_at" and isinstance(found, (int, float)) and not isinstance(found, bool):
                found = repr(found)  # epoch seconds or milliseconds; parsed by the source stage
            if name == "article_id" and isinstance(found, int) and not isinstance(found, bool):
                found = str(found)
            if name == "body" and isinstance(found, list) and found and all(isinstance(p, str) for p in found):
                found = "\n".join(found)  # a list of paragraphs
            fields[name] = found
            used.add(alias)
            break
    body = fields.get("body")
    if body is None:
        raise DecodeError("no article text: expected one of " + ", ".join(_ALIASES["body"]), reason="empty_body")
    for name in _STRING_FIELDS:
        if name in fields and not isinstance(fields[name], str):
            raise DecodeError(f"field for {name!r} must be a string, got {type(fields[name]).__name__}",
                              reason="wrong_type")
    if not body.strip():
        raise DecodeError("article body is empty", reason="empty_body")
    if "\x00" in body or "\x00" in (fields.get("title") or ""):
        raise DecodeError("text contains a NUL character", reason="invalid_text")
    authors = _authors(fields.get("authors", []))
    shape = "generic"
    for candidate, marker in _SHAPE_MARKERS:
        if marker in obj:
            shape = candidate
            break
    title = fields.get("title")
    return RawArticle(
        body=body,
        title=title if title and title.strip() else None,
        article_id=fields.get("article_id"),
        url=fields.get("url"),
        published_at=fields.get("published_at"),
        publisher=fields.get("publisher"),
        language=fields.get("language"),
        authors=authors,
        format="application/json",
        shape=shape,
        extra=_unused(obj, used),
    )


def _authors(value: Any) -> list[str]:
    """A string, a list of strings, or a list of {"name": ...} objects (some CMS exports)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise DecodeError("authors must be a string or a list of strings", reason="wrong_type")
    out = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            item = item["name"]
        if not isinstance(item, str):
            raise DecodeError("authors must be a string or a list of strings", reason="wrong_type")
        if item.strip():
            out.append(item.strip())
    return out


def _unused(obj: dict[str, Any], used: set[str]) -> dict[str, Any]:
    """Everything not read into a RawArticle field, nested objects minus the keys we read."""
    nested_used: dict[str, set[str]] = {}
    for path in used:
        if "." in path:
            parent, child = path.split(".", 1)
            nested_used.setdefault(parent, set()).add(child)
    extra: dict[str, Any] = {}
    for key, value in obj.items():
        if key in used:
            continue
        if key in nested_used and isinstance(value, dict):
            rest = {k: v for k, v in value.items() if k not in nested_used[key]}
            if rest:
                extra[key] = rest
            continue
        extra[key] = value
    return extra


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
    # Only the tail can hold the footer: bounding the search keeps a 2 MB body cheap.
    tail_from = max(0, len(text) - 400)
    m = _PUBLISHER_FOOTER.search(text, tail_from)
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
