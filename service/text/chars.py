"""The native module's text classes (news_enricher_native: CharMap, WordTable, Spaces,
CharCounts, LangModel), and the character classes of Python's `re` as bitmaps over all code points for
them, so that their scans use exactly this interpreter's Unicode tables."""

from __future__ import annotations

import os
import re
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def _all_code_points() -> str:
    return np.arange(0x110000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


@lru_cache(maxsize=None)
def class_bitmap(char_class: str) -> bytes:
    """Bitmap (bit i of byte i // 8, little-endian) of the code points the one-character regex
    `char_class` (e.g. r"\\w", r"[^\\W\\d_]") matches.  ~0.05 s each, once per process."""
    flags = np.zeros(0x110000, np.bool_)
    for m in re.finditer(f"(?:{char_class})+", _all_code_points()):  # each match is a whole run
        flags[m.start():m.end()] = True
    return np.packbits(flags, bitorder="little").tobytes()


def char_bitmaps() -> tuple[bytes, bytes]:
    """Bitmaps of re's `\\w` and `\\s` (str.split's whitespace is the same set)."""
    return class_bitmap(r"\w"), class_bitmap(r"\s")


def native_class(name: str):
    """The native module's class `name`, or None when the module (or that class: an older build)
    is absent or NEWS_ENRICHER_TEXT_NATIVE=0; the callers then run their Python path."""
    if os.environ.get("NEWS_ENRICHER_TEXT_NATIVE", "auto") == "0":
        return None
    try:
        import news_enricher_native
    except ImportError:
        return None
    return getattr(news_enricher_native, name, None)
