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


# English function words: what a reader skips when asking "which words did the model rely on?". Negations
# (not, no, never, n't and the negated auxiliaries) are left out of the list on purpose: they carry valence.
FUNCTION_WORDS = frozenset("""
a an the this that these those my your his her its our their some any every each all both either neither
i you he she it we they me him us them myself yourself himself herself itself ourselves themselves
i'm i've i'll i'd you're you've you'll you'd he's she's it's we're we've they're they've that's there's let's
to of in on at for with from by about into onto over after before under up down out off as than through
and or but so because if when while though although until since then also just
is am are was were be been being do does did have has had will would can could shall should may might must
what which who whom whose where why how there here
""".split())


def is_content_word(form: str) -> bool:
    """A lower-cased form that carries meaning: it has a letter or digit and is not an English function word."""
    return any(ch.isalnum() for ch in form) and form not in FUNCTION_WORDS
