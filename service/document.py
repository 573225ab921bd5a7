"""The analysis document every enrichment stage reads.

Three layers of text, each with a map back to the one before:
  original  the title and body as received (spans in the output point here)
  clean     markup and column separators removed (what a reader would see)
  norm      normalized for matching (diacritics, letter variants, digits, case kept)

Stages search `norm` (or `norm_folded` for case-insensitive matching; same length and
offsets) and report spans through `locate()`, which returns original-text coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .model import RawArticle
from .text.clean import clean_text
from .text.normalize import fold, normalize
from .text.offsets import compose

# Title and body are analysed as one string separated by this gap, so that no match spans both.
TITLE_GAP = "\n\n"
# Work per article must stay bounded (a worker must never stall on one message): beyond this many
# visible characters, about 30 long news articles, the rest of the text is kept in the event but
# not analysed, and the event says so in its warnings.
MAX_ANALYSED_CHARS = 100_000


@dataclass(slots=True)
class Doc:
    raw: RawArticle
    original: str  # title + TITLE_GAP + body for JSON with a title, else body
    body_offset: int  # where the body starts inside `original`
    clean: str
    clean_origin: Sequence[int]  # clean -> original (text/offsets.py)
    norm: str
    norm_origin: Sequence[int]  # norm -> original (composed)
    norm_folded: str
    language: str = "und"
    language_confidence: float = 0.0
    published_at: datetime | None = None  # the anchor for relative dates (timezone-aware)
    published_from: str = "received"  # metadata | dateline | text | received
    received_at: datetime | None = None
    notes: dict = field(default_factory=dict)  # stage-to-stage hints (e.g. dateline span)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of `norm` (or `norm_folded`) into `original`."""
        origin = self.norm_origin
        if end <= start:
            return origin[start], origin[start]
        return origin[start], origin[end - 1] + 1

    def clean_original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of `clean` into `original`."""
        origin = self.clean_origin
        if end <= start:
            return origin[start], origin[start]
        return origin[start], origin[end - 1] + 1

    def locate(self, start: int, end: int) -> dict:
        """Span of `norm` -> {"span": [s, e], "text": ...} in the field the output refers to.

        Mentions in a separate JSON title carry "field": "title"; everything else is in the body.
        """
        s, e = self.original_span(start, end)
        return self.locate_original(s, e)

    def locate_original(self, s: int, e: int) -> dict:
        text = self.original[s:e]
        if s < self.body_offset:
            return {"span": [s, e], "text": text, "field": "title"}
        off = self.body_offset
        return {"span": [s - off, e - off], "text": text}


def build_doc(raw: RawArticle) -> Doc:
    if raw.title and raw.title_span is None:
        original = raw.title + TITLE_GAP + raw.body
        body_offset = len(raw.title) + len(TITLE_GAP)
    else:
        original = raw.body
        body_offset = 0
    clean, clean_origin = clean_text(original, footer=_shift(raw.footer, body_offset))
    notes: dict = {}
    if len(clean) > MAX_ANALYSED_CHARS:
        clean, clean_origin = clean[:MAX_ANALYSED_CHARS], clean_origin[:MAX_ANALYSED_CHARS + 1]
        notes["warnings"] = [f"analysis_truncated: only the first {MAX_ANALYSED_CHARS} characters were analysed"]
    norm, norm_local = normalize(clean)
    # Most articles need no cleaning: then the clean layer is the original and no composing is due.
    norm_origin = norm_local if clean is original else compose(norm_local, clean_origin)
    folded = fold(norm)
    return Doc(
        raw=raw,
        original=original,
        body_offset=body_offset,
        clean=clean,
        clean_origin=clean_origin,
        norm=norm,
        norm_origin=norm_origin,
        norm_folded=folded,
        notes=notes,
    )


def _shift(span: tuple[int, int] | None, by: int) -> tuple[int, int] | None:
    return None if span is None else (span[0] + by, span[1] + by)
