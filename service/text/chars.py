"""Character classes of Python's `re` as bitmaps over all code points, for the native module
(news_enricher_native), so that its tokenizers use exactly this interpreter's Unicode tables."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def char_bitmaps() -> tuple[bytes, bytes]:
    """Bitmaps (bit i of byte i // 8, little-endian) of re's `\\w` and `\\s` (str.split's
    whitespace is the same set).  ~0.1 s, once per process."""
    text = np.arange(0x110000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    out = []
    for cls in ("w", "s"):
        flags = np.zeros(0x110000, np.bool_)
        # runs of the class and of its complement: each match is a whole run (fast)
        for m in re.finditer(rf"(\{cls}+)|\{cls.upper()}+", text):
            if m.group(1):
                flags[m.start():m.end()] = True
        out.append(np.packbits(flags, bitorder="little").tobytes())
    return out[0], out[1]
