"""Dead-letter records: the original bytes untouched, the reason in headers.

Header names follow Kafka Connect's dead-letter practice (`…errors.topic`, `…partition`,
`…offset`, `…exception.class.name`, `…exception.message`) under our own prefix, so an operator
can replay a record to its source topic once the cause is fixed.
"""

from __future__ import annotations

import time

from . import __version__
from .model import InputPosition

HEADER_PREFIX = "news-enricher.error."
# Error messages can quote input; keep headers small and bounded.
_MAX_MESSAGE_CHARS = 1000


def dead_letter_headers(
    error: BaseException,
    *,
    stage: str,
    reason: str,
    position: InputPosition | None,
    original_headers: list[tuple[str, bytes]] | None = None,
) -> list[tuple[str, bytes]]:
    p = HEADER_PREFIX
    pos = position or InputPosition()
    ours = {
        p + "class": type(error).__name__,
        p + "message": str(error)[:_MAX_MESSAGE_CHARS],
        p + "reason": reason,
        p + "stage": stage,
        p + "topic": pos.topic or "",
        p + "partition": "" if pos.partition is None else str(pos.partition),
        p + "offset": "" if pos.offset is None else str(pos.offset),
        p + "timestamp": "" if pos.timestamp_ms is None else str(pos.timestamp_ms),
        p + "failed_at": str(int(time.time() * 1000)),
        p + "service_version": __version__,
    }
    headers = [(k, v.encode("utf-8", "replace")) for k, v in ours.items()]
    # Keep the producer's own headers after ours (minus any stale error headers from a replay).
    for key, value in original_headers or ():
        if not key.startswith(p):
            headers.append((key, value))
    return headers


def headers_as_dict(headers: list[tuple[str, bytes]]) -> dict[str, str]:
    return {k: v.decode("utf-8", "replace") for k, v in headers}
