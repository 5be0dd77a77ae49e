"""Words of an utterance: the unit that highlights, lexicons and metrics share.

A word is a run of letters/digits with inner apostrophes ("isn't", "I'm") or a run of other
non-space symbols (punctuation, emoji). Every consumer splits text with `split_words`, so an
attribution computed over WordPieces maps back onto exactly what the user typed.
"""
from __future__ import annotations

import re
from typing import NamedTuple

_WORD = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]+")


class Word(NamedTuple):
    """One word of a text with its character span (``text[start:end] == word``)."""

    text: str
    start: int
    end: int


def split_words(text: str) -> list[Word]:
    """Split ``text`` into words with character offsets, in order."""
    return [Word(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def word_forms(text: str) -> list[str]:
    """Lower-cased word forms of ``text``: the form lexicons and metrics compare."""
    return [w.text.lower() for w in split_words(text)]
