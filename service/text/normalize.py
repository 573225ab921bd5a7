"""Normalization for matching Arabic-script and Latin text, with an offset map.

What it does (all of it one character to one character, or a deletion, so offsets stay cheap):
- removes Arabic diacritics (harakat, shadda, sukun, superscript alef, Quranic marks), tatweel,
  bidi control marks, zero-width joiners and the BOM;
- alef variants (أ إ آ ٱ) -> ا, alef maqsura ى -> ي, teh marbuta ة -> ه;
- Persian/Urdu letter forms to one form: ی ې ۍ ے -> ي, ک -> ك, ە ۀ -> ه;
- Arabic-Indic and Persian digits -> ASCII, Arabic comma/semicolon/question mark -> ASCII;
- ZWNJ and other odd spaces -> a plain space (Persian writes affixes after a ZWNJ);
- optionally folds Latin case.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from functools import lru_cache

from .chars import char_bitmaps, native_class
from .offsets import after_deletions, identity

_DELETE = (
    "\u0610\u0611\u0612\u0613\u0614\u0615\u0616\u0617\u0618\u0619\u061a"  # Quranic marks
    + "".join(chr(c) for c in range(0x064B, 0x0660))  # harakat, shadda, sukun, hamza marks
    + "\u0670"  # superscript alef
    + "\u06d6\u06d7\u06d8\u06d9\u06da\u06db\u06dc\u06df\u06e0\u06e1\u06e2\u06e3\u06e4"
    + "\u06e7\u06e8\u06ea\u06eb\u06ec\u06ed"
    + "\u0640"  # tatweel
    + "\u200b\u200d\u200e\u200f\u061c\ufeff"  # zero width space/joiner, LRM/RLM/ALM, BOM
    + "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # bidi embeddings/isolates
    + "\u00ad"  # soft hyphen
)

_MAP = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ى": "ي", "ی": "ي", "ې": "ي", "ۍ": "ي", "ے": "ي",
    "ة": "ه", "ە": "ه", "ۀ": "ه", "ہ": "ه", "ھ": "ه",
    "ک": "ك", "ڪ": "ك",
    "،": ",", "؛": ";", "؟": "?", "٪": "%", "٫": ".", "٬": ",",
    "\u200c": " ", "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u3000": " ",
    "\t": " ",
    "“": '"', "”": '"', "«": '"', "»": '"', "„": '"',
    "‘": "'", "’": "'",
    "–": "-", "—": "-", "‐": "-", "‑": "-",
}
for _i in range(10):
    _MAP[chr(0x0660 + _i)] = str(_i)
    _MAP[chr(0x06F0 + _i)] = str(_i)

_TABLE = str.maketrans({**_MAP, **{c: None for c in _DELETE}})
_FOLD_TABLE = str.maketrans(
    {**_MAP, **{c: None for c in _DELETE}, **{chr(c): chr(c + 32) for c in range(65, 91)}}
)
_DELETED = re.compile("[" + re.escape(_DELETE) + "]")
# str.translate with a dict looks every character up (~0.3 us each on Arabic text); a regex that
# stops only at the ~7 % of characters that change is 2.5 times faster on news articles.
# Split at them (the group keeps them as every other part) and map those parts in C: no Python
# call per change, as a replacement function for re.sub has (~120 changes per article).
_REPLACEMENT = {**_MAP, **{c: "" for c in _DELETE}}
_CHANGES = re.compile("([" + re.escape("".join(_REPLACEMENT)) + "])")
_replace = _REPLACEMENT.__getitem__


def _load_native():
    """The native CharMap for this mapping (one pass in Rust, the same output), or None."""
    char_map = native_class("CharMap")
    if char_map is None:
        return None
    return char_map([(ord(c), ord(to) if to else -1) for c, to in _REPLACEMENT.items()])


_native_map = _load_native()


def normalize(text: str, fold_case: bool = False) -> tuple[str, Sequence[int]]:
    """Return (normalized text, origin) where origin maps each character back into `text`.

    origin has len(normalized) + 1 entries; the last one is len(text) (see text/offsets.py).
    """
    if _native_map is not None:
        # the offset map comes back as int64 bytes: no Python int per character, no numpy
        out, origin_bytes = _native_map.apply_with_origin(text)
        origin = identity(len(text)) if origin_bytes is None else array("q", origin_bytes)
    else:
        out, deleted = _mapped(text)
        origin = after_deletions(len(text), deleted)
    if fold_case:
        out = fold(out)
    return out, origin


def _mapped(text: str) -> tuple[str, list[int]]:
    """(the mapped text, positions in `text` of the deleted characters)."""
    if _native_map is not None:
        return _native_map.apply(text)
    parts = _CHANGES.split(text)
    parts[1::2] = map(_replace, parts[1::2])
    out = "".join(parts)
    return out, [] if len(out) == len(text) else [m.start() for m in _DELETED.finditer(text)]


def fold(text: str) -> str:
    """Lower-case without changing the length (so offsets stay valid).

    U+0130 (Turkish dotted capital I) is the only code point whose str.lower() is two
    characters long; it is folded to a plain "i" first, so one C-level lower() does the rest.
    """
    if "\u0130" in text:
        text = text.replace("\u0130", "i")
    return text.lower()


@lru_cache(maxsize=1)
def _native_spaces():
    spaces = native_class("Spaces")
    return None if spaces is None else spaces(char_bitmaps()[1]).joined_utf8


def joined_utf8(text: str) -> bytes:
    """`" ".join(text.split()).encode()`, natively when the module has it (same bytes)."""
    native = _native_spaces()
    data = native(text) if native is not None else None
    return " ".join(text.split()).encode() if data is None else data


def normalize_key(text: str) -> str:
    """Normalized, case-folded, whitespace-collapsed form used as a lookup key in data files."""
    return " ".join(fold(_mapped(text)[0]).split())  # (no offset map: nobody maps a key back)


ARABIC_DIGITS = str.maketrans({chr(0x0660 + i): str(i) for i in range(10)} | {chr(0x06F0 + i): str(i) for i in range(10)})
