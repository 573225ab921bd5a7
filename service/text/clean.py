"""Reduce received text to what a reader sees, keeping an offset map to the original.

- HTML markup: tags dropped (block tags become a newline), script/style contents dropped,
  character references decoded.
- Column separators: a `|` standing alone between spaces or at a line end is layout left over
  from a scraped page, not text; it becomes a space so words on either side stay apart.
- The publisher footer line of a plain-text article is kept out of the analysed text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from .offsets import TextBuilder, identity

_LOOKS_HTML = re.compile(r"</?(?:p|br|div|span|a|b|i|em|strong|h[1-6]|li|ul|ol|table|tr|td|img|script|style|html|body)\b[^>]{0,2000}>", re.I)
_MARKUP = re.compile(
    r"<(script|style)\b[^>]{0,2000}>.*?</\1\s*>"  # whole script/style elements
    r"|<!--.*?-->"
    r"|<[/!]?[A-Za-z][^<>]{0,2000}>"  # a tag
    r"|&(?:#\d{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?",  # a character reference
    re.S | re.I,
)
_BLOCK_TAG = re.compile(r"</?(?:p|br|div|h[1-6]|li|tr|table|ul|ol|blockquote|section|article)\b", re.I)
_PIPE = re.compile(r"(?:(?<=\s)|^)\|(?=\s|$)", re.M)


def clean_text(text: str, footer: tuple[int, int] | None = None) -> tuple[str, Sequence[int]]:
    builder = TextBuilder(len(text))
    pos = 0
    cuts: list[tuple[int, int, str]] = []  # (start, end, replacement)
    if _LOOKS_HTML.search(text):
        for m in _MARKUP.finditer(text):
            tok = m.group(0)
            if tok.startswith("&"):
                rep = html.unescape(tok)
                if rep == tok:
                    continue
            elif _BLOCK_TAG.match(tok):
                rep = "\n"
            else:
                rep = ""
            cuts.append((m.start(), m.end(), rep))
    elif "&" in text:
        for m in re.finditer(r"&(?:#\d{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});", text):
            rep = html.unescape(m.group(0))
            if rep != m.group(0):
                cuts.append((m.start(), m.end(), rep))
    if "|" in text:
        cuts.extend((m.start(), m.end(), " ") for m in _PIPE.finditer(text))
    if footer is not None:
        cuts.append((footer[0], footer[1], ""))
    if not cuts:
        return text, identity(len(text))
    cuts.sort()
    for start, end, rep in cuts:
        if start < pos:  # overlapping cut (e.g. a pipe inside the footer): already handled
            continue
        builder.copy(text, pos, start)
        builder.emit(rep, start, end)
        pos = end
    builder.copy(text, pos, len(text))
    return builder.build()
