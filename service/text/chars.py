"""Character classes of Python's `re` as bitmaps over all code points, for the native module
(news_enricher_native), so that its scans use exactly this interpreter's Unicode tables."""

from __future__ import annotations

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
