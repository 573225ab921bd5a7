"""In-text citations of agencies and outlets: `بحسب تقرير وكالة فارس`, `به گزارش خبرگزاری مهر`,
`(رويترز)`, `according to Reuters`, `Reuters reported`.

A registry name counts as a citation only with a cue:
- an attribution phrase before it (`وفقا لتقرير`, `به گزارش`, `according to`), at most a few
  words away and in the same sentence;
- a reporting verb right after it (`reported`, `گزارش داد`);
- parentheses around it (`(أ ف ب)`), or an outlet word right before it (`وكالة`, `خبرگزاری`);
- a ل proclitic on the name itself (`قال لرويترز`, "told Reuters").
Names that are also ordinary words (`فارس`, `مهر`, `الرياض`: `needs_cue` in the registry) need
the tight cues only: an outlet word, parentheses, or an attribution phrase directly before them.
"""

from __future__ import annotations

import re

from .registry import REGISTRY, NameForm

# How far back an attribution phrase may stand before the name (characters, then words).
_BEFORE_WINDOW = 90
_MAX_WORDS_BETWEEN = 6
_AFTER_WINDOW = 30
_SENTENCE_BREAK = re.compile(r"[.!?;\n]")
_LEADING_SPACE = re.compile(r"[ \t]{0,3}")  # a line break (or the title gap) ends the sentence


def find_mentions(norm: str, folded: str, prefer: str | None = None) -> list[tuple[int, int, int, NameForm]]:
    """All registry names in the text: (start incl. proclitics, name start, end, best form)."""
    return REGISTRY.scan(folded, norm, prefer)


def _squash(text: str) -> str:
    return " ".join(text.split())


def find_attributions(norm: str, folded: str, skip_before: int = 0, prefer: str | None = None) -> list[dict]:
    """Attributions as norm-coordinates: {"form", "cue", "cue_start", "start", "end"}.

    `skip_before`: mentions that start before this offset belong to the dateline, reported there.
    """
    out: list[dict] = []
    last_end = -1
    last_id = None
    for start, name_start, end, form in find_mentions(norm, folded, prefer):
        if start < last_end:
            continue  # overlaps a longer name already taken
        if start < skip_before:
            continue
        cue = _cue(folded, start, name_start, end, form)
        if cue is None:
            continue
        cue_text, cue_start, span_start, span_end = cue
        # "وكالة الأنباء السعودية (واس)": the abbreviation restates the name just cited.
        if form.outlet.id == last_id and start - last_end <= 3:
            last_end = end
            continue
        out.append({"form": form, "cue": cue_text, "cue_start": cue_start, "start": name_start, "end": end,
                    "span_start": span_start, "span_end": span_end})
        last_end, last_id = end, form.outlet.id
    return out


def _cue(folded: str, start: int, name_start: int, end: int, form: NameForm):
    """(cue text, cue start, span start, span end) or None; the span covers cue and name."""
    before = folded[max(0, start - _BEFORE_WINDOW):start]
    if start > 0 and folded[start - 1] == "(" and folded[end:end + 1] == ")":
        return "(…)", start - 1, start - 1, end + 1
    # The longest outlet phrase ("پایگاه اطلاع رسانی") is under 30 characters: look only there.
    outlet = REGISTRY.outlet_word_end_re.search(before, max(0, len(before) - 30))
    if outlet is not None:
        cue_start = start - len(before) + outlet.start()
        phrase = _phrase_before(folded, cue_start, tight=False)  # the outlet word settled it
        if phrase is not None:
            return phrase[0], phrase[1], phrase[1], end
        return before[outlet.start():].strip(), cue_start, cue_start, end
    phrase = _phrase_before(folded, start, tight=form.ambiguous and not form.has_outlet_word)
    if phrase is not None:
        return phrase[0], phrase[1], phrase[1], end
    after = folded[end:end + _AFTER_WINDOW]
    m = REGISTRY.after_re.match(after, len(_LEADING_SPACE.match(after).group(0)))
    if m is not None:
        return m.group(0).strip(), end + m.start(), name_start, end + m.end()
    if form.has_outlet_word:  # "وكالة …" names the outlet as a source
        return folded[name_start:end].split()[0], name_start, name_start, end
    pre = folded[start:name_start]
    if pre.endswith("ل") and not form.ambiguous:
        return "لـ", start, start, end
    return None


def _phrase_before(folded: str, start: int, tight: bool) -> tuple[str, int] | None:
    """The last attribution phrase before `start` in the same sentence, few words away."""
    window_start = max(0, start - _BEFORE_WINDOW)
    window = folded[window_start:start]
    matches = list(REGISTRY.before_re.finditer(window))
    if not matches:
        return None
    best = matches[-1]
    first = best
    # "بحسب تقرير", "وفقا لما ذكرته": adjacent cue words form one cue, reported from the first.
    for m in reversed(matches[:-1]):
        if len(window[m.end():first.start()].split()) <= 1 and not _SENTENCE_BREAK.search(window[m.end():first.start()]):
            first = m
        else:
            break
    between = window[best.end():]
    if _SENTENCE_BREAK.search(between):
        return None
    words = len(between.split())
    if words > (0 if tight else _MAX_WORDS_BETWEEN):
        return None
    return window[first.start():best.end()].strip(), window_start + first.start()
