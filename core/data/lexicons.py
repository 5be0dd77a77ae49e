"""Lexicons (SPEC §2.5): gender perception L, word valence, and the gender-swap list.

The gender lexicon and swap list are data files this project writes itself (core/data/); the
valence lexicon is NRC-VAD when the user supplies it, else VADER as shipped by vaderSentiment.
"""
from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import vaderSentiment

from core.data.textfiles import numbered_lines
from core.data.words import split_words

DATA_DIR = Path(__file__).resolve().parent  # the lexicon files ship beside this module
GENDER_LEXICON_CSV = DATA_DIR / "gender_lexicon.csv"
GENDER_SWAPS_CSV = DATA_DIR / "gender_swaps.csv"
VADER_LEXICON = Path(vaderSentiment.__file__).resolve().parent / "vader_lexicon.txt"
CATEGORIES = ("iat", "hedge", "tag_question", "politeness", "first_person", "profanity",
              "referential", "gendered_term")


@dataclass(frozen=True)
class LexiconEntry:
    """One row of L: a word or phrase (lower-cased word forms), its category and perceived gender."""

    forms: tuple[str, ...]
    category: str
    gender: str

    @property
    def text(self) -> str:
        return " ".join(self.forms)


@dataclass(frozen=True)
class LexiconHit:
    """An occurrence of ``entry`` covering word positions ``start`` .. ``end - 1``."""

    entry: LexiconEntry
    start: int
    end: int


@dataclass(frozen=True)
class GenderLexicon:
    """The gender-perception lexicon L with phrase matching over word boundaries."""

    entries: tuple[LexiconEntry, ...]

    @classmethod
    def load(cls, path: Path | str = GENDER_LEXICON_CSV) -> "GenderLexicon":
        """Read a CSV with columns ``entry, category, gender``."""
        entries = []
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            for row in reader:  # reader.line_num: the physical line, blank lines counted
                forms = tuple(w.text.lower() for w in split_words(row["entry"] or ""))
                if not forms or row["category"] not in CATEGORIES or row["gender"] not in ("F", "M"):
                    raise ValueError(f"{path}:{reader.line_num}: bad lexicon row {row!r}")
                entries.append(LexiconEntry(forms, row["category"], row["gender"]))
        return cls(tuple(entries))

    def match(self, forms: Sequence[str]) -> list[LexiconHit]:
        """Every occurrence of every entry in the lower-cased word forms ``forms``."""
        hits, present = [], set(forms)
        for entry in self.entries:
            if entry.forms[0] not in present:  # most entries: nothing to scan
                continue
            n = len(entry.forms)
            for i in range(len(forms) - n + 1):
                if tuple(forms[i:i + n]) == entry.forms:
                    hits.append(LexiconHit(entry, i, i + n))
        return hits

    def categories_at(self, forms: Sequence[str]) -> list[frozenset[str]]:
        """Per word position, the categories of the entries covering it (empty: not in L)."""
        cats: list[set[str]] = [set() for _ in forms]
        for hit in self.match(forms):
            for i in range(hit.start, hit.end):
                cats[i].add(hit.entry.category)
        return [frozenset(c) for c in cats]

    def member_forms(self, forms: Sequence[str]) -> dict[str, frozenset[str]]:
        """Word forms that are in L for this utterance, each with the categories it takes here.

        A form is in L when any of its positions is (SPEC §5): a single-word entry, or inside a
        phrase occurrence ("kind of" makes that "kind" and that "of" members).
        """
        members: dict[str, set[str]] = {}
        for form, cats in zip(forms, self.categories_at(forms)):
            if cats:
                members.setdefault(form, set()).update(cats)
        return {form: frozenset(c) for form, c in members.items()}


@dataclass(frozen=True)
class ValenceLexicon:
    """Word → valence on 0..1, binned into low/mid/high (defaults: low < 0.35, high > 0.65)."""

    scores: dict[str, float] = field(repr=False)
    low_below: float = 0.35
    high_above: float = 0.65
    source: str = "vader"

    @classmethod
    def vader(cls, path: Path | str = VADER_LEXICON, **bins: float) -> "ValenceLexicon":
        """VADER: ``token<TAB>mean(-4..4)<TAB>sd<TAB>ratings``, mapped to 0..1 by (v + 4) / 8."""
        scores = {}
        for line_no, line in numbered_lines(path):
            fields = line.split("\t")
            try:
                scores[fields[0].lower()] = (float(fields[1]) + 4) / 8
            except (IndexError, ValueError):
                raise ValueError(f"{path}:{line_no}: expected token<TAB>mean..., got {line!r}") from None
        return cls(scores, source="vader", **bins)

    @classmethod
    def nrc_vad(cls, path: Path | str, **bins: float) -> "ValenceLexicon":
        """NRC-VAD: ``word<TAB>valence<TAB>arousal<TAB>dominance``; v2's -1..1 is rescaled to 0..1."""
        raw = {}
        for line_no, line in numbered_lines(path):
            fields = line.split("\t")
            try:
                raw[fields[0].lower()] = float(fields[1])
            except (IndexError, ValueError):
                if line_no == 1:  # header row ("Word  Valence  Arousal  Dominance")
                    continue
                raise ValueError(f"{path}:{line_no}: expected word<TAB>valence..., got {line!r}") from None
        if raw and min(raw.values()) < 0:
            raw = {w: (v + 1) / 2 for w, v in raw.items()}
        return cls(raw, source="nrc_vad", **bins)

    def bin(self, form: str) -> str | None:
        """'low' | 'mid' | 'high' for a lower-cased word form, None when it is not in the lexicon."""
        score = self.scores.get(form)
        if score is None or math.isnan(score):
            return None
        if score < self.low_below:
            return "low"
        return "high" if score > self.high_above else "mid"


# `her` is his-or-him: it becomes "his" before a noun-like word, "him" otherwise. A word counts
# as noun-like unless it is in this closed class (determiners, pronouns, prepositions,
# conjunctions, auxiliaries, common adverbs) or is not alphabetic (punctuation, end of text).
_NOT_NOUN_LIKE = frozenset("""
a an the this that these those my your his her its our their some any no every each all both
i you he she it we they me him us them myself yourself herself himself
to of in on at for with from by about into over after before under up down out off as than
and or but so because if when while though although until since
is am are was were be been being do does did have has had will would can could shall should may
might must not n't
again too now then today tonight tomorrow yesterday here there very really just also already
still yet ever never always sometimes soon later away back home
""".split())
_WORD_TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


@dataclass(frozen=True)
class GenderSwapper:
    """Swaps gendered words (he↔she, husband↔wife, John↔Amy, …), preserving case."""

    to_female: dict[str, str]
    to_male: dict[str, str]

    @classmethod
    def load(cls, path: Path | str = GENDER_SWAPS_CSV) -> "GenderSwapper":
        """Read ``male,female`` pairs; the first pair for a word wins in each direction."""
        to_female: dict[str, str] = {}
        to_male: dict[str, str] = {}
        with open(path, encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                to_female.setdefault(row["male"], row["female"])
                to_male.setdefault(row["female"], row["male"])
        return cls(to_female, to_male)

    def swap(self, text: str) -> str:
        """Return ``text`` with every listed word replaced by its other-gender counterpart."""
        tokens = list(_WORD_TOKEN.finditer(text))
        out, last = [], 0
        for i, m in enumerate(tokens):
            following = _following_word(text, m, tokens[i + 1] if i + 1 < len(tokens) else None)
            out.append(text[last:m.start()] + _match_case(m.group(), self._swap_word(m.group().lower(), following)))
            last = m.end()
        return "".join(out) + text[last:]

    def _swap_word(self, word: str, following: str | None) -> str:
        """Swap a lower-cased token; "he's" / "husband's" swap their stem and keep the clitic."""
        stem, apostrophe, clitic = word.partition("'")
        if stem != "her" and (word in self.to_female or word in self.to_male):  # listed whole, e.g. "ma'am"
            return self.to_female.get(word) or self.to_male[word]
        if stem == "her":
            following = following.partition("'")[0] if following else None
            noun_like = following is not None and following.isalpha() and following not in _NOT_NOUN_LIKE
            stem = "his" if noun_like else "him"
        else:
            stem = self.to_female.get(stem) or self.to_male.get(stem) or stem
        return stem + apostrophe + clitic


def _following_word(text: str, current: re.Match, nxt: re.Match | None) -> str | None:
    """The next word when only spaces separate it from ``current`` (punctuation ends a phrase)."""
    if nxt is None or text[current.end():nxt.start()].strip():
        return None
    return nxt.group().lower()


def _match_case(original: str, replacement: str) -> str:
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[0].isupper():
        return replacement[0].upper() + replacement[1:]
    return replacement
