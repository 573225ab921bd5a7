"""The regex start finder (languages without proclitics) must give exactly the automaton's candidates."""

import importlib
import random

import pytest

from service.dates.lexicon import lexicon

X = importlib.import_module("service.dates.extract")


def _automaton(text, lx):
    saved = lx.starts, lx.digit_starts
    lx.starts = lx.digit_starts = None
    try:
        return X._candidates(text, lx)
    finally:
        lx.starts, lx.digit_starts = saved


SENTENCES = [
    "the talks began on 3 march 2019 and ended in late-2020, two years later",
    "in q2 the firm sold 1,200 units; by the 1st of june it was mid-1990s again",
    "at 10:30 pm on monday, 4th july — a café opened (since 1998) @ noon",
    "within a nation of 2nd-rate 3rdparty tools, 4th2 and q2٣ and ²3 are odd",
]


@pytest.mark.parametrize("language,conventions", [("en", "news"), ("en", "recognizers"), ("und", "news")])
def test_regex_starts_equal_automaton(language, conventions):
    lx = lexicon(language, conventions)
    assert lx.digit_starts is not None
    for text in SENTENCES:
        assert X._candidates(text, lx) == _automaton(text, lx)
    rng = random.Random(7)
    words = list(lx.start_names)
    ascii_only = list("abcdefghijklmnopqrstuvwxyz 0123456789-'@.,\n")
    for i in range(3000):
        alphabet = ascii_only if i % 2 else ascii_only + list("é²½ß٣")  # ASCII texts take a shorter path
        parts = [rng.choice(words) if rng.random() < 0.5 else "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))
                 for _ in range(rng.randint(1, 8))]
        text = "".join(p + rng.choice(["", " ", "2", "-"] + ([] if i % 2 else ["é"])) for p in parts)
        assert X._candidates(text, lx) == _automaton(text, lx), text


def test_arabic_keeps_the_automaton():
    assert lexicon("ar").starts is None and lexicon("ar").digit_starts is None
