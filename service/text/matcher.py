"""Every occurrence of every word of a fixed set in a text, in one Aho-Corasick pass.

`Matcher({word: value, ...}).iter(text)` gives (end, value) for each occurrence, `end` being
the index of its last character, ordered by end and, at one end, longest word first: what
pyahocorasick's `Automaton.iter` gives.  The gazetteer, the trigger patterns, the dates stage
and the source registry search with it.

The search runs natively (`news_enricher_native.Matcher`, native/src/matcher.rs) when the
module is installed, else with pyahocorasick; the hits are the same.  NEWS_ENRICHER_MATCHER_NATIVE=0
forces pyahocorasick.
"""

from __future__ import annotations

import os

import ahocorasick


def _load_native():
    if os.environ.get("NEWS_ENRICHER_MATCHER_NATIVE", "auto") == "0":
        return None
    try:
        from news_enricher_native import Matcher as native  # an older module may not have it
    except ImportError:
        return None
    return native


_native = _load_native()


class Matcher:
    __slots__ = ("iter", "native")

    def __init__(self, words: dict[str, object], native: bool = True) -> None:
        """`words`: word -> value (words non-empty); `native=False` forces pyahocorasick."""
        impl = _native if native else None
        self.native = impl is not None
        if impl is not None:
            self.iter = impl(list(words.items())).iter
        elif not words:  # pyahocorasick refuses to search with an empty automaton
            self.iter = lambda text: []
        else:
            auto = ahocorasick.Automaton()
            for word, value in words.items():
                auto.add_word(word, value)
            auto.make_automaton()
            self.iter = auto.iter
