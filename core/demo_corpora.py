"""Demo corpora (SPEC §2.4): three small synthetic corpora written in the REAL on-disk layouts.

The licensed corpora cannot ship, so the demo runs on generated stand-ins that go through exactly the
loaders of ``core.corpora`` a licensed user runs:

- ``<out>/iemocap``    demo IEMOCAP, the primary corpus: 5 sessions x 1 F + 1 M speaker, dialogs,
  valence = mean of 3 simulated annotators' 1-5 ratings.
- ``<out>/msp_improv`` demo MSP-IMPROV, the gender-balanced auxiliary corpus: 6 sessions x F + M,
  recording types S/R/P/T in the corpus paper's proportions, shared target prompts.
- ``<out>/muse``       demo MuSE, the cross corpus: 20 speakers, other topics, 1-9 scale, the
  gender-valence association reversed.

Every utterance is composed from one documented grammar (docs/DEMO_DATA.md): a valence clause built
from VADER words of the intended bin (or a negated word of the opposite bin), neutral filler, and
sociolinguistic markers taken from the gender lexicon whose per-utterance rates depend on the
speaker's gender and the corpus. Every planted effect is a constant in this module;
:func:`planted_effects_markdown` renders them as the tables of docs/DEMO_DATA.md.

Example::

    paths = generate_demo_corpora("/tmp/demo", seed=0)   # {"primary": Path(".../iemocap"), ...}
    load_iemocap(paths["primary"])

Generation is deterministic: one ``numpy.random.Generator`` per corpus seeded by ``[seed, index]``,
stable orderings, ``"\\n"`` line ends and fixed float formats, so a seed gives byte-identical files.
"""
from __future__ import annotations

import csv
import io
import itertools
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.corpora import GENDERS, VALENCE_CLASSES as CLASSES
from core.lexicons import GenderLexicon, ValenceLexicon
from core.words import word_forms

CORPORA = ("primary", "auxiliary", "cross")
CORPUS_DIRS = {"primary": "iemocap", "auxiliary": "msp_improv", "cross": "muse"}  # folders under out
MARKER_FILE = ".privlens_demo"  # written into each generated folder; regeneration only replaces such folders

# --- planted effects: the single source of truth for docs/DEMO_DATA.md ----------------------------

SIZES = {"primary": 2500, "auxiliary": 800, "cross": 800}  # utterances at scale 1 (before rounding)

# P(latent valence class | speaker gender) as (low, mid, high); allocated exactly per speaker.
VALENCE_MIX = {
    "primary": {"F": (0.25, 0.25, 0.50), "M": (0.50, 0.25, 0.25)},    # gender predicts valence
    "auxiliary": {"F": (0.34, 0.32, 0.34), "M": (0.34, 0.32, 0.34)},  # no association
    "cross": {"F": (0.50, 0.25, 0.25), "M": (0.25, 0.25, 0.50)},      # the association reversed
}

MARKERS = ("hedge", "tag_question", "politeness", "first_person", "profanity", "referential",
           "gendered_term")  # gender-lexicon categories the grammar plants
# Share of a speaker's utterances that carry the marker, (F, M); allocated exactly per speaker,
# independently of the valence class. gendered_term: "my husband" for F, "my wife" for M.
MARKER_RATES = {
    "primary": {"hedge": (0.40, 0.10), "tag_question": (0.25, 0.08), "politeness": (0.30, 0.10),
                "first_person": (0.50, 0.25), "profanity": (0.04, 0.25), "referential": (0.10, 0.30),
                "gendered_term": (0.12, 0.12)},
    "auxiliary": {"hedge": (0.25, 0.25), "tag_question": (0.16, 0.16), "politeness": (0.20, 0.20),
                  "first_person": (0.38, 0.38), "profanity": (0.14, 0.14), "referential": (0.20, 0.20),
                  "gendered_term": (0.12, 0.12)},
    "cross": {"hedge": (0.20, 0.12), "tag_question": (0.12, 0.06), "politeness": (0.15, 0.10),
              "first_person": (0.45, 0.40), "profanity": (0.08, 0.15), "referential": (0.15, 0.22),
              "gendered_term": (0.06, 0.06)},
}

# P(the valence clause is a NEGATED word of the opposite pole | latent class): low "it wasn't great",
# high "it wasn't bad at all". Mid clauses are never negated.
NEGATION_RATE = {"low": 0.20, "mid": 0.0, "high": 0.10}
# Forms of a mid clause: a mid VADER adjective ("it was okay"), a factual clause without valence
# words ("the flight is on Tuesday"), or a mixed clause pairing a high and a low adjective.
MID_FORMS = {"mid_adjective": 0.40, "factual": 0.45, "mixed": 0.15}
# P(a low/high utterance is written WITHOUT any valence word (a factual clause, as for mid) | class):
# implicit valence that only the speaker's cues hint at, so gender markers become a usable shortcut.
IMPLICIT_RATE = {"low": 0.12, "mid": 0.0, "high": 0.12}
# Forms of a (non-negated, explicit) low/high clause.
CLAUSE_FORMS = {"adjective": 0.35, "feeling": 0.15, "verb": 0.20, "noun": 0.20, "exclaim": 0.10}
FILLER_RATE = 0.35  # share of utterances opening with a neutral filler ("well,", "um,"), both genders

# MSP-IMPROV recording types: the corpus paper's counts and the demo's letter for each (a demo
# convention: public descriptions of the real letters disagree).
RECORDING_TYPES = {"S": ("target-improvised", 652), "R": ("target-read", 620),
                   "P": ("other-improvised", 4381), "T": ("natural interaction", 2785)}


@dataclass(frozen=True)
class RatingModel:
    """How simulated raters turn a latent class into an averaged rating (the label noise).

    Per utterance a base rating is drawn from ``base[class]``; each of ``raters`` raters (a count
    drawn uniformly from the tuple) gives base - 1 or base + 1 with probability ``spread[class] / 2``
    each, else base, clipped to ``scale``. The label is the mean binned at ``bins``.
    """

    scale: tuple[int, int]             # rating range, inclusive
    raters: tuple[int, ...]            # possible numbers of raters per utterance
    base: dict[str, dict[int, float]]  # class -> {base rating: probability}
    spread: dict[str, float]           # class -> probability that one rater deviates by one point
    bins: tuple[float, float]          # low_max, mid_max (SPEC §2.3)

    def bin(self, mean: float) -> str:
        return "low" if mean <= self.bins[0] else "mid" if mean <= self.bins[1] else "high"


# Five-point base ratings: a few low/high utterances are ambiguous (base 3), a few mid ones lean.
_FIVE_BASE = {"low": {1: 0.25, 2: 0.69, 3: 0.06}, "mid": {2: 0.02, 3: 0.96, 4: 0.02},
              "high": {3: 0.06, 4: 0.69, 5: 0.25}}
RATINGS = {
    # demo IEMOCAP: 3 annotators (A-E1..A-E3)
    "primary": RatingModel(scale=(1, 5), raters=(3,), base=_FIVE_BASE,
                           spread={"low": 0.30, "mid": 0.08, "high": 0.30}, bins=(2.75, 3.25)),
    # demo MSP-IMPROV: 3-5 raters per utterance
    "auxiliary": RatingModel(scale=(1, 5), raters=(3, 4, 5), base=_FIVE_BASE,
                             spread={"low": 0.30, "mid": 0.05, "high": 0.30}, bins=(2.75, 3.25)),
    # demo MuSE: 5 raters on 1-9 with the narrow mid bin (3.75, 4.25], so mid is centred on 4
    "cross": RatingModel(scale=(1, 9), raters=(5,),
                         base={"low": {2: 0.30, 3: 0.64, 4: 0.06}, "mid": {3: 0.02, 4: 0.96, 5: 0.02},
                               "high": {4: 0.06, 5: 0.40, 6: 0.34, 7: 0.20}},
                         spread={"low": 0.35, "mid": 0.25, "high": 0.35}, bins=(3.75, 4.25)),
}

# --- the grammar ----------------------------------------------------------------------------------

# Valence-bearing words, part of speech -> VADER bin -> words. Verbs list (base, 3rd person, past).
# Every form is checked against VADER (core.lexicons.ValenceLexicon.vader) before generating.
VALENCE_WORDS: dict[str, dict[str, tuple]] = {
    "adjective": {
        "high": ("great", "wonderful", "amazing", "fantastic", "awesome", "lovely", "perfect", "excellent",
                 "fun", "nice", "beautiful", "brilliant", "exciting", "terrific"),
        "mid": ("okay", "fine", "alright"),
        "low": ("awful", "terrible", "horrible", "miserable", "stupid", "ugly", "boring", "annoying",
                "depressing", "frustrating", "disappointing", "painful", "ridiculous", "bad"),
    },
    "feeling": {  # adjectives for people: "we were so happy about the move"
        "high": ("happy", "glad", "delighted", "proud", "relaxed", "thrilled"),
        "low": ("sad", "upset", "angry", "miserable", "furious", "exhausted"),
    },
    "verb": {
        "high": (("love", "loves", "loved"), ("enjoy", "enjoys", "enjoyed"), ("adore", "adores", "adored"),
                 ("appreciate", "appreciates", "appreciated")),
        "low": (("hate", "hates", "hated"), ("dread", "dreads", "dreaded"), ("despise", "despises", "despised"),
                ("regret", "regrets", "regretted")),
    },
    "noun": {  # predicate nouns: "the trip was a disaster"
        "high": ("joy", "relief", "pleasure", "success", "gift", "treat", "win"),
        "low": ("disaster", "mess", "failure", "tragedy", "waste", "pain", "problem", "catastrophe"),
    },
}
_NOUN_PHRASE = {"waste": "a waste of time"}  # default: "a <noun>"
# Domain valence words only the cross corpus uses (student stress), for DOMAIN_RATE of its
# adjective/feeling picks: in-domain models meet them first cross-corpus.
DOMAIN_WORDS = {"cross": {
    "adjective": {"high": ("rewarding", "encouraging", "impressive", "satisfying", "inspiring"),
                  "low": ("stressful", "useless", "unfair", "discouraging", "worthless")},
    "feeling": {"high": ("relieved", "confident", "hopeful", "motivated", "grateful"),
                "low": ("hopeless", "scared", "terrified", "tense", "stressed")},
}}
DOMAIN_RATE = 0.35

# Topics (singular noun phrases): the cross corpus talks about other things.
TOPICS = {
    "primary": ("the flight", "the new job", "the interview", "the apartment", "the hotel", "the dinner",
                "the weekend", "the wedding", "the move", "the car", "the baggage claim", "the letter",
                "the bank", "the vacation", "the beach house", "the concert", "the office lunch"),
    "auxiliary": ("the audition", "the movie", "the phone", "the restaurant", "the game", "the class",
                  "the lecture", "the road trip", "the store", "the show", "the date", "the gym",
                  "the package", "the birthday dinner", "the camping trip"),
    "cross": ("the exam", "the deadline", "the roommate", "the thesis", "the lab report", "the midterm",
              "the internship", "the professor", "the group assignment", "the dorm", "the scholarship",
              "the library", "the presentation", "the final", "the semester"),
}
# MSP-IMPROV target sentences: fixed prompts, said by both genders in every emotional scenario, so
# their text carries no valence (their label comes from the scenario, as in the real corpus).
TARGET_SENTENCES = (
    "The package arrived this morning.", "We are leaving at noon.", "That was the last one.",
    "They changed the schedule again.", "The keys are on the table.", "She called an hour ago.",
    "We have to talk about the car.", "The meeting moved to Thursday.", "He took the train home.",
    "There is nobody at the door.", "The store closes at nine.", "They painted the kitchen.",
    "We still have the old couch.", "The bus comes every ten minutes.", "It rained all day.",
    "The letter came on Monday.", "Nobody answered the phone.", "They sold the house.",
    "We walked to the station.", "The lights are still on.",
)
FACTUAL = (  # mid clauses without valence words; {t} is the topic
    "{t} is on {day}", "{t} was on {day}", "we talked about {t} for a while", "{t} starts at {clock}",
    "we went over {t} again", "they moved {t} to {day}", "{t} is still the same as last week",
    "nobody said anything about {t} yet", "we have to call about {t} on {day}", "{t} came up at {clock}",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
CLOCKS = ("eight", "nine", "ten", "noon")
DEGREE = ("", "", "really ", "so ", "very ", "totally ")
TIME_NOUNS = ("day", "week", "evening", "idea", "place", "night")
FILLERS = ("well, ", "um, ", "you know, ", "so, ", "oh, ", "uh, ", "look, ")

# Marker realisations; each must contain an entry of its category in core/data/gender_lexicon.csv.
HEDGE_SENTENCE = ("maybe ", "perhaps ", "probably ", "possibly ", "it seems ")  # before the clause
HEDGE_ADJECTIVE = ("kind of ", "sort of ", "somewhat ", "a little ")          # before an adjective
TAGS_GENERAL = ("right?", "you know?", "don't you think?")
TAGS_BE = {"was": "wasn't it?", "is": "isn't it?"}  # after "<topic> was/is ..."
POLITE_OPENERS = ("sorry, ", "excuse me, but ", "sorry, but ")
POLITE_CLOSERS = ("Thank you.", "Thanks.", "Thanks for asking.", "Please, go on.", "Would you mind waiting a second?",
                  "Could you say that again?")
FIRST_PERSON_FRAMES = ("I'm telling you, ", "for me, ", "if you ask me, ", "I've got to say, ", "I'll tell you, ",
                       "I'd say ")
PROFANITY_ADJECTIVE = ("damn ", "bloody ", "fucking ")                         # intensifies an adjective
PROFANITY_OPENERS = ("damn, ", "hell, ", "shit, ", "oh crap, ", "what the hell, ")
REFERENTIAL = ("It took three hours.", "We paid fifty dollars for it.", "That's twenty miles from here.",
               "The price went up ten percent.", "The total came to two thousand dollars.",
               "About a hundred people came.", "It was exactly four o'clock.", "Our number was forty-two.")
GENDERED = {"F": ("my husband", "my boyfriend", "my hubby"), "M": ("my wife", "my girlfriend", "my missus")}
GENDERED_SENTENCES = ("{} said the same thing.", "{} thinks so too.", "Ask {}.", "{} was there too.")
OVERLAP_TEXTS = ("Yeah.", "Mm-hmm.", "Oh.", "Wait.", "No, no.", "Uh-huh.")  # unlabelled IEMOCAP XX turns

_MARKER_PIECES = {
    "hedge": HEDGE_SENTENCE + HEDGE_ADJECTIVE,
    "tag_question": TAGS_GENERAL + tuple(TAGS_BE.values()),
    "politeness": POLITE_OPENERS + POLITE_CLOSERS,
    "first_person": FIRST_PERSON_FRAMES,
    "profanity": PROFANITY_ADJECTIVE + PROFANITY_OPENERS,
    "referential": REFERENTIAL,
    "gendered_term": GENDERED["F"] + GENDERED["M"],
}
# The gendered phrases contain "my", so an utterance with a gendered term also carries a
# first-person marker; all other marker categories appear only where planted.
_NEUTRAL_PIECES = (TARGET_SENTENCES + FACTUAL + DAYS + CLOCKS + DEGREE + TIME_NOUNS + FILLERS
                   + GENDERED_SENTENCES + OVERLAP_TEXTS + tuple(itertools.chain(*TOPICS.values()))
                   + ("we were", "we are", "everyone", "they", "turned out to be", "what a", "what an", "but",
                      "at all", "wasn't", "isn't", "didn't", "just"))


# --- checks ---------------------------------------------------------------------------------------

def check_grammar(valence: ValenceLexicon | None = None, gender: GenderLexicon | None = None) -> None:
    """Raise ValueError unless the grammar's word lists agree with the lexicons.

    Every valence word form is in VADER with its intended bin; every neutral piece (topics, filler,
    templates) holds no VADER word outside the mid bin and no gender-lexicon entry other than an
    ``iat`` word; every marker piece holds an entry of its own category. Defaults: the packaged lexicons.
    """
    valence = valence or ValenceLexicon.vader()
    gender = gender or GenderLexicon.load()
    problems = [f"{form!r}: VADER bin {valence.bin(form)}, intended {intended}"
                for form, intended in valence_word_forms().items() if valence.bin(form) != intended]
    for piece in _NEUTRAL_PIECES:
        forms = word_forms(piece.replace("{}", "x").replace("{t}", "x"))
        problems += [f"neutral piece {piece!r}: {f!r} has VADER bin {valence.bin(f)}"
                     for f in forms if valence.bin(f) not in (None, "mid")]
        problems += [f"neutral piece {piece!r} holds lexicon entry {h.entry.text!r} ({h.entry.category})"
                     for h in gender.match(forms) if h.entry.category != "iat"]
    for category, pieces in _MARKER_PIECES.items():
        for piece in pieces:
            if not any(h.entry.category == category for h in gender.match(word_forms(piece))):
                problems.append(f"{category} piece {piece!r} holds no {category} entry of the gender lexicon")
    if problems:
        raise ValueError("demo grammar does not match the lexicons:\n  " + "\n  ".join(problems))


def _valence_lists():
    """(corpora, part of speech, bin, words) for the shared lists and the domain lists."""
    for pos, bins in VALENCE_WORDS.items():
        for intended, words in bins.items():
            yield "all", pos, intended, words
    for corpus, lists in DOMAIN_WORDS.items():
        for pos, bins in lists.items():
            for intended, words in bins.items():
                yield corpus, pos, intended, words


def valence_word_forms() -> dict[str, str]:
    """Every valence word form the grammar uses (verbs in all three forms) -> its intended VADER bin."""
    return {form: intended for _, _, intended, words in _valence_lists()
            for form in itertools.chain.from_iterable((w,) if isinstance(w, str) else w for w in words)}


def marker_word_forms() -> set[str]:
    """Every word form that occurs in a marker realisation (some are VADER words: 'please', 'damn')."""
    return {f for pieces in _MARKER_PIECES.values() for p in pieces for f in word_forms(p)}


# --- expected label agreement (exact enumeration of the rating model) -------------------------------

def expected_agreement(corpus: str) -> dict[str, float]:
    """P(binned averaged rating == latent class) per class under ``RATINGS[corpus]``, exactly."""
    model = RATINGS[corpus]
    lo, hi = model.scale
    out = {}
    for cls in CLASSES:
        q = model.spread[cls]
        step = {-1: q / 2, 0: 1 - q, 1: q / 2}
        total = 0.0
        for n in model.raters:
            for base, p_base in model.base[cls].items():
                for deltas in itertools.product((-1, 0, 1), repeat=n):
                    p = p_base * float(np.prod([step[d] for d in deltas]))
                    mean = sum(min(hi, max(lo, base + d)) for d in deltas) / n
                    total += p * (model.bin(mean) == cls) / len(model.raters)
        out[cls] = total
    return out


# --- composing one utterance ----------------------------------------------------------------------

@dataclass
class _Clause:
    text: str                  # lower-case start, no final punctuation; "{mod}" marks an adjective slot
    tags: tuple[str, ...]      # tag questions that fit after it
    exclaim: bool = False      # "what a ..." clauses end with "!" and take no tag
    profane_slot: bool = True  # whether a profanity may fill the adjective slot
    degree: str = ""           # what fills the slot without a marker ("really "); a hedge replaces it


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _word(rng: np.random.Generator, corpus: str, pos: str, cls: str):
    """A valence word; the cross corpus draws DOMAIN_RATE of its adjectives/feelings from DOMAIN_WORDS."""
    domain = DOMAIN_WORDS.get(corpus, {}).get(pos, {}).get(cls)
    if domain and rng.random() < DOMAIN_RATE:
        return _pick(rng, domain)
    return _pick(rng, VALENCE_WORDS[pos][cls])


def _factual(rng: np.random.Generator, topic: str) -> str:
    return _pick(rng, FACTUAL).format(t=topic, day=_pick(rng, DAYS), clock=_pick(rng, CLOCKS))


def _valence_clause(rng: np.random.Generator, corpus: str, cls: str, topic: str) -> _Clause:
    tense = "was" if rng.random() < 0.6 else "is"
    general = TAGS_GENERAL
    if cls == "mid":
        form = rng.choice(list(MID_FORMS), p=list(MID_FORMS.values()))
        if form == "mid_adjective":
            adj = _pick(rng, VALENCE_WORDS["adjective"]["mid"])
            return _Clause(f"{topic} {tense} {{mod}}{adj}", (TAGS_BE[tense],) + general, profane_slot=False,
                           degree=_pick(rng, ("", "just ", "")))
        if form == "factual":
            return _Clause(_factual(rng, topic), general)
        other = _pick(rng, [t for t in TOPICS[corpus] if t != topic])
        good, bad = _word(rng, corpus, "adjective", "high"), _word(rng, corpus, "adjective", "low")
        first, second = (good, bad) if rng.random() < 0.5 else (bad, good)
        return _Clause(f"{topic} was {first} but {other} was {second}", general)
    if rng.random() < IMPLICIT_RATE[cls]:  # no valence word: only the speaker's cues hint at the class
        return _Clause(_factual(rng, topic), general)
    opposite = "low" if cls == "high" else "high"
    if rng.random() < NEGATION_RATE[cls]:
        if cls == "high":  # a negated low word; "at all" makes it clearly positive
            return _Clause(f"{topic} {tense}n't {_word(rng, corpus, 'adjective', 'low')} at all", general)
        if rng.random() < 0.5:
            return _Clause(f"{topic} {tense}n't {_word(rng, corpus, 'adjective', opposite)}", general)
        return _Clause(f"we didn't {_pick(rng, VALENCE_WORDS['verb'][opposite])[0]} {topic}", general)
    form = rng.choice(list(CLAUSE_FORMS), p=list(CLAUSE_FORMS.values()))
    if form == "adjective":
        adj = _word(rng, corpus, "adjective", cls)
        return _Clause(f"{topic} {tense} {{mod}}{adj}", (TAGS_BE[tense],) + general, degree=_pick(rng, DEGREE))
    if form == "feeling":
        subject = "we were" if tense == "was" else "we are"
        adj = _word(rng, corpus, "feeling", cls)
        return _Clause(f"{subject} {{mod}}{adj} about {topic}", general, degree=_pick(rng, DEGREE))
    if form == "verb":
        base, third, past = _pick(rng, VALENCE_WORDS["verb"][cls])
        plural, singular = (past, past) if tense == "was" else (base, third)
        subject, verb = _pick(rng, (("we", plural), ("they", plural), ("everyone", singular)))
        return _Clause(f"{subject} {verb} {topic}", general)
    if form == "noun":
        noun = _pick(rng, VALENCE_WORDS["noun"][cls])
        verb = _pick(rng, (tense, "turned out to be"))
        tags = ((TAGS_BE[verb],) if verb in TAGS_BE else ()) + general
        return _Clause(f"{topic} {verb} {_NOUN_PHRASE.get(noun, f'a {noun}')}", tags)
    adj = _word(rng, corpus, "adjective", cls)
    return _Clause(f"what {_article(adj)} {adj} {_pick(rng, TIME_NOUNS)}", (), exclaim=True)


def compose(rng: np.random.Generator, corpus: str, cls: str, gender: str, markers: set[str],
            topic: str | None = None) -> str:
    """One utterance of ``corpus`` with latent valence ``cls`` by a ``gender`` speaker carrying exactly
    ``markers`` (names from :data:`MARKERS`); ``topic`` defaults to a random one of the corpus.

    Order: [politeness opener] [filler] [profanity opener] [first-person frame] [hedge] clause
    [, tag?] [referential sentence] [gendered sentence] [politeness closer].
    Example: ``compose(np.random.default_rng(0), "primary", "high", "F", {"hedge"})``.
    """
    if corpus not in CORPORA or cls not in CLASSES or gender not in GENDERS or not markers <= set(MARKERS):
        raise ValueError(f"bad compose arguments: corpus={corpus!r}, cls={cls!r}, gender={gender!r}, "
                         f"markers={sorted(markers)!r}")
    topic = topic or _pick(rng, TOPICS[corpus])
    clause = _valence_clause(rng, corpus, cls, topic)
    while clause.exclaim and markers & {"tag_question", "hedge"}:  # "what a day!" takes no tag or hedge
        clause = _valence_clause(rng, corpus, cls, topic)
    slot = "{mod}" in clause.text
    mod, pre = None, []
    polite_open = "politeness" in markers and rng.random() < 0.5
    if polite_open:
        pre.append(_pick(rng, POLITE_OPENERS))
    if rng.random() < FILLER_RATE:
        pre.append(_pick(rng, FILLERS))
    if "profanity" in markers:
        if slot and clause.profane_slot and rng.random() < 0.6:
            mod = clause.degree + _pick(rng, PROFANITY_ADJECTIVE)  # "so damn good"
        else:
            pre.append(_pick(rng, PROFANITY_OPENERS))
    if "first_person" in markers:
        pre.append(_pick(rng, FIRST_PERSON_FRAMES))
    if "hedge" in markers:
        if slot and not mod and rng.random() < 0.5:
            mod = _pick(rng, HEDGE_ADJECTIVE)
        else:
            pre.append(_pick(rng, HEDGE_SENTENCE))
    body = "".join(pre) + clause.text.replace("{mod}", clause.degree if mod is None else mod)
    if "tag_question" in markers:
        body += ", " + _pick(rng, clause.tags)
    else:
        body += "!" if clause.exclaim or (cls != "mid" and rng.random() < 0.25) else "."
    sentences = [body[0].upper() + body[1:]]
    if "referential" in markers:
        sentences.append(_pick(rng, REFERENTIAL))
    if "gendered_term" in markers:
        phrase = _pick(rng, GENDERED_SENTENCES).format(_pick(rng, GENDERED[gender]))
        sentences.append(phrase[0].upper() + phrase[1:])
    if "politeness" in markers and not polite_open:
        sentences.append(_pick(rng, POLITE_CLOSERS))
    return " ".join(sentences)


def _allocate(rng: np.random.Generator, n: int, shares: tuple[float, ...]) -> list[int]:
    """n items spread over categories in exactly the given shares (largest remainder), shuffled."""
    raw = np.asarray(shares, dtype=float) * n / sum(shares)
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    labels = np.repeat(np.arange(len(shares)), counts)
    return [int(x) for x in rng.permutation(labels)]


def _flags(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """n booleans with exactly round(rate * n) true ones, shuffled."""
    return np.asarray(_allocate(rng, n, (1 - rate, rate)), dtype=bool)


def _speaker_utterances(rng: np.random.Generator, corpus: str, gender: str, n: int,
                        topic_of=None) -> list[tuple[str, str, str]]:
    """(latent class, text, markers) for n utterances of one speaker, exact class and marker shares;
    markers are the planted marker names joined by ';'."""
    classes = [CLASSES[i] for i in _allocate(rng, n, VALENCE_MIX[corpus][gender])]
    flags = {m: _flags(rng, n, MARKER_RATES[corpus][m][GENDERS.index(gender)]) for m in MARKERS}
    out = []
    for i, cls in enumerate(classes):
        markers = {m for m in MARKERS if flags[m][i]}
        text = compose(rng, corpus, cls, gender, markers, topic_of(i) if topic_of else None)
        out.append((cls, text, ";".join(m for m in MARKERS if m in markers)))
    return out


def _ratings(rng: np.random.Generator, model: RatingModel, cls: str, n: int | None = None) -> list[int]:
    values = list(model.base[cls])
    base = values[int(rng.choice(len(values), p=list(model.base[cls].values())))]
    n = n or int(_pick(rng, model.raters))
    q = model.spread[cls]
    deltas = rng.choice([-1, 0, 1], size=n, p=[q / 2, 1 - q, q / 2])
    return [int(min(model.scale[1], max(model.scale[0], base + d))) for d in deltas]


# --- writers --------------------------------------------------------------------------------------

def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


_IEMOCAP_DIALOGS = ("impro01", "impro02", "impro03", "impro04", "impro05", "impro06", "impro07", "impro08",
                    "script01_1", "script01_2", "script01_3", "script02_1", "script02_2", "script03_1",
                    "script03_2")
_IEMOCAP_CATEGORIES = {"low": ("Anger", "Sadness", "Frustration"), "mid": ("Neutral",),
                       "high": ("Happiness", "Excited")}
_IEMOCAP_CODES = {"Anger": "ang", "Sadness": "sad", "Frustration": "fru", "Neutral": "neu", "Happiness": "hap",
                  "Excited": "exc"}


def write_iemocap(root: str | Path, *, seed: int = 0, scale: float = 1.0) -> list[tuple[str, ...]]:
    """Demo IEMOCAP under ``root``: Session1..5/dialog/{transcriptions,EmoEvaluation}/<dialog>.txt.

    Session prefixes alternate Ses01F, Ses02M, ... while every session holds one F and one M speaker,
    so the prefix letter is not the speaker's gender for half the turns. Returns the ground-truth
    rows (see :data:`GROUND_TRUTH_COLUMNS`).
    """
    rng = np.random.default_rng([seed, 0])
    root = Path(root)
    per_speaker = max(1, round(SIZES["primary"] * scale / 10))
    n_dialogs = max(1, min(len(_IEMOCAP_DIALOGS), -(-per_speaker // 17)))
    truth = []
    for session in range(1, 6):
        prefix = f"Ses{session:02d}{'F' if session % 2 else 'M'}"
        dialog_topics = [_pick(rng, TOPICS["primary"]) for _ in range(n_dialogs)]
        turns = {}  # gender -> list of (dialog index, class, text, markers)
        for gender in GENDERS:
            dialog_of = sorted(i % n_dialogs for i in range(per_speaker))
            topic_of = (lambda i, d=dialog_of: dialog_topics[d[i]] if rng.random() < 0.7
                        else _pick(rng, TOPICS["primary"]))
            utts = _speaker_utterances(rng, "primary", gender, per_speaker, topic_of)
            turns[gender] = [(dialog_of[i], *utt) for i, utt in enumerate(utts)]
        base = root / f"Session{session}" / "dialog"
        for d in range(n_dialogs):
            dialog = f"{prefix}_{_IEMOCAP_DIALOGS[d]}"
            queues = {g: [utt[1:] for utt in turns[g] if utt[0] == d] for g in GENDERS}
            order, speaker = [], _pick(rng, GENDERS)
            while queues["F"] or queues["M"]:
                if not queues[speaker] or (queues["F"] and queues["M"] and rng.random() < 0.15):
                    speaker = "M" if speaker == "F" else "F"  # mostly alternate, sometimes a double turn
                order.append((speaker, *queues[speaker].pop(0)))
                speaker = "M" if speaker == "F" else "F"
            clock, index = float(rng.uniform(2, 8)), {"F": 0, "M": 0}
            lines, blocks, cats = [], [], []
            for gender, cls, text, markers in order:
                start = clock
                end = start + 0.9 + 0.33 * len(text.split()) + float(rng.uniform(0, 1.2))
                clock = end + float(rng.uniform(0.05, 1.5))
                turn = f"{dialog}_{gender}{index[gender]:03d}"
                index[gender] += 1
                truth.append(("primary", turn, f"{prefix[:5]}_{gender}", gender, cls, markers))
                lines.append((start, f"{turn} [{start:08.4f}-{end:08.4f}]: {text}"))
                block, category = _iemocap_evaluation(rng, turn, start, end, cls)
                blocks.append(block)
                cats.append(f"{turn} :{category}; ()")
            if rng.random() < 0.4 and len(lines) > 2:  # an unlabelled overlap turn (XX), never evaluated
                at = lines[int(rng.integers(1, len(lines)))][0] + 0.3
                g = _pick(rng, GENDERS)
                lines.append((at, f"{dialog}_{g}XX0 [{at:08.4f}-{at + 0.6:08.4f}]: {_pick(rng, OVERLAP_TEXTS)}"))
            lines.sort(key=lambda x: x[0])
            _write(base / "transcriptions" / f"{dialog}.txt", "".join(f"{line}\n" for _, line in lines))
            header = "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"
            _write(base / "EmoEvaluation" / f"{dialog}.txt", header + "\n".join(blocks) + "\n")
            _write(base / "EmoEvaluation" / "Categorical" / f"{dialog}_e1_cat.txt", "".join(f"{c}\n" for c in cats))
    return truth


def _iemocap_evaluation(rng: np.random.Generator, turn: str, start: float, end: float, cls: str) -> tuple[str, str]:
    """One EmoEvaluation block (summary, C-E and A-E lines, trailing newline) and C-E1's category."""
    vals = _ratings(rng, RATINGS["primary"], cls)
    acts = [int(rng.integers(2, 5)) for _ in vals]
    doms = [int(rng.integers(2, 5)) for _ in vals]
    emotion = _pick(rng, _IEMOCAP_CATEGORIES[cls])
    votes = [emotion if rng.random() < 0.75 else _pick(rng, tuple(_IEMOCAP_CODES)) for _ in range(3)]
    top, count = max(((v, votes.count(v)) for v in votes), key=lambda x: x[1])
    code = _IEMOCAP_CODES[top] if count >= 2 else "xxx"
    lines = [f"[{start:.4f} - {end:.4f}]\t{turn}\t{code}\t"
             f"[{np.mean(vals):.4f}, {np.mean(acts):.4f}, {np.mean(doms):.4f}]"]
    lines += [f"C-E{k}:\t{v};\t()" for k, v in enumerate(votes, start=1)]
    lines += [f"A-E{k}:\tval {v}; act {a}; dom  {d};\t()" for k, (v, a, d) in enumerate(zip(vals, acts, doms), 1)]
    return "\n".join(lines) + "\n", votes[0]


_MSP_EMOTIONS = {"low": ("A", "S"), "mid": ("N",), "high": ("H",)}
_MSP_NAMES = {"A": "Angry", "S": "Sad", "N": "Neutral", "H": "Happy"}
_MSP_RATERS = ("mb", "ls", "jt", "ak", "rc", "dw", "sp", "hk", "ej", "tn")


def recording_type_counts(scale: float = 1.0) -> dict[str, int]:
    """Demo MSP-IMPROV utterances per recording type: the paper's proportions of SIZES['auxiliary'],
    rounded per gender so both genders get exactly the same number."""
    total = sum(count for _, count in RECORDING_TYPES.values())
    return {t: 2 * round(count / total * SIZES["auxiliary"] * scale / 2) for t, (_, count) in RECORDING_TYPES.items()}


def write_msp_improv(root: str | Path, *, seed: int = 0, scale: float = 1.0) -> list[tuple[str, ...]]:
    """Demo MSP-IMPROV under ``root``: Evaluation.txt (label + rater lines) and transcripts.tsv.

    Names ``UTD-IMPROV-S03H-F01-P-FM02``: target sentence 03 in scenario H, speaker F01, recording
    type P, running number 02. Both genders get the same counts per type, class and session.
    Returns the ground-truth rows.
    """
    rng = np.random.default_rng([seed, 1])
    root = Path(root)
    records = []  # (sentence number, emotion letter, speaker, type, class, text, markers)
    for rtype, n_type in recording_type_counts(scale).items():
        per_gender = n_type // 2
        sessions = [per_gender // 6 + (s < per_gender % 6) for s in range(6)]
        for session, n in enumerate(sessions, start=1):
            for gender in GENDERS:
                if rtype in "SR":  # the fixed prompts, text independent of the scenario
                    classes = [CLASSES[i] for i in _allocate(rng, n, VALENCE_MIX["auxiliary"][gender])]
                    sentences = [int(s) for s in rng.permutation(len(TARGET_SENTENCES))]
                    utts = [(c, TARGET_SENTENCES[sentences[i % len(sentences)]], "") for i, c in enumerate(classes)]
                    numbers = [sentences[i % len(sentences)] + 1 for i in range(n)]
                else:
                    utts = _speaker_utterances(rng, "auxiliary", gender, n)
                    numbers = [int(rng.integers(1, len(TARGET_SENTENCES) + 1)) for _ in range(n)]
                for (cls, text, markers), number in zip(utts, numbers):
                    records.append((number, _pick(rng, _MSP_EMOTIONS[cls]), f"{gender}{session:02d}", rtype, cls,
                                    text, markers))
    seen: dict[tuple, int] = {}
    blocks, transcripts, truth = [], [], []
    for number, emotion, speaker, rtype, cls, text, markers in records:
        key = (number, emotion, speaker, rtype)
        seen[key] = seen.get(key, 0) + 1
        pair = "FM" if speaker[0] == "F" else "MF"
        name = f"UTD-IMPROV-S{number:02d}{emotion}-{speaker}-{rtype}-{pair}{seen[key]:02d}"
        blocks.append((name, _msp_evaluation(rng, name, emotion, cls)))
        transcripts.append((name, text))
        truth.append(("auxiliary", name, speaker, speaker[0], cls, markers))
    blocks.sort()
    transcripts.sort()
    _write(root / "Evaluation.txt", "\n".join(b for _, b in blocks))
    _write(root / "transcripts.tsv", "".join(f"{n}\t{t}\n" for n, t in transcripts))
    return sorted(truth)


def _msp_evaluation(rng: np.random.Generator, name: str, emotion: str, cls: str) -> str:
    """One Evaluation.txt block: the label line (means; about 3 % without N:) and one line per rater."""
    vals = _ratings(rng, RATINGS["auxiliary"], cls)
    acts = [float(rng.integers(2, 5)) for _ in vals]
    doms = [float(rng.integers(2, 5)) for _ in vals]
    nats = [float(rng.integers(3, 6)) for _ in vals]
    with_n = rng.random() >= 0.03  # a few label lines lack the naturalness field
    cats = [emotion if rng.random() < 0.75 else _pick(rng, tuple(_MSP_NAMES)) for _ in vals]
    consensus = max(cats, key=lambda c: (cats.count(c), c == emotion))
    nat = f" N:{np.mean(nats):.6f};" if with_n else ""
    lines = [f"{name}.avi; {consensus}; A:{np.mean(acts):.6f}; V:{np.mean(vals):.6f}; D:{np.mean(doms):.6f};{nat}"]
    for r, c, a, v, d, m in zip(rng.permutation(len(_MSP_RATERS)), cats, acts, vals, doms, nats):
        rater_n = f" N:{m:.1f};" if with_n else ""
        lines.append(f"{_MSP_RATERS[r]}; {_MSP_NAMES[c]}; A:{a:.1f}; V:{float(v):.1f}; D:{d:.1f};{rater_n}")
    return "\n".join(lines) + "\n"


def write_muse(root: str | Path, *, seed: int = 0, scale: float = 1.0) -> list[tuple[str, ...]]:
    """Demo MuSE under ``root``: muse_crowdsourcing.csv and Combined/Utterance Transcripts/<name>.txt.

    20 speakers ``01``..``20`` (odd F, even M); names ``03_stress_0012`` (speaker, Type, number).
    Type is independent of valence. Returns the ground-truth rows.
    """
    rng = np.random.default_rng([seed, 2])
    root = Path(root)
    model = RATINGS["cross"]
    per_speaker = max(2, round(SIZES["cross"] * scale / 20))
    rows, truth = [], []
    for number in range(1, 21):
        speaker, gender = f"{number:02d}", "F" if number % 2 else "M"
        utts = _speaker_utterances(rng, "cross", gender, per_speaker)
        types = [("nonstress", "stress")[i] for i in _allocate(rng, per_speaker, (0.5, 0.5))]
        counts = {"stress": 0, "nonstress": 0}
        for (cls, text, markers), kind in zip(utts, types):
            counts[kind] += 1
            name = f"{speaker}_{kind}_{counts[kind]:04d}"
            vals = _ratings(rng, model, cls)
            arousal = float(np.mean(rng.integers(3, 8, size=len(vals)) + (kind == "stress")))
            rows.append((name, "Female" if gender == "F" else "Male", kind, f"{np.mean(vals):.4f}", f"{arousal:.4f}"))
            _write(root / "Combined" / "Utterance Transcripts" / f"{name}.txt", text + "\n")
            truth.append(("cross", name, speaker, gender, cls, markers))
    rows.sort()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("Sentence_name", "Gender", "Type", "Valence_Mean", "Arousal_Mean"))
    writer.writerows(rows)
    _write(root / "muse_crowdsourcing.csv", buffer.getvalue())
    return sorted(truth)


_WRITERS = {"primary": write_iemocap, "auxiliary": write_msp_improv, "cross": write_muse}


GROUND_TRUTH_FILE = "demo_ground_truth.csv"  # under out, beside the corpus folders (loaders never see it)
GROUND_TRUTH_COLUMNS = ("corpus", "utt_id", "speaker", "gender", "latent_class", "markers")


def generate_demo_corpora(out: str | Path, *, seed: int = 0, scale: float = 1.0) -> dict[str, Path]:
    """Write the three demo corpora under ``out``; returns ``{"primary": out/iemocap, ...}``.

    Also writes ``out/demo_ground_truth.csv`` (:data:`GROUND_TRUTH_COLUMNS`): per labelled utterance
    the latent class its text was written for and the planted markers (';'-joined), the ground truth
    the dashboard can show against the noisy labels. A corpus folder that already exists is replaced
    when it was generated here (it holds ``.privlens_demo``); any other non-empty folder raises
    FileExistsError before anything is written. Raises ValueError when the grammar disagrees with the
    lexicons (:func:`check_grammar`) or for a non-positive ``scale``.

    Example: ``generate_demo_corpora("/tmp/demo", seed=0, scale=0.5)["cross"]`` is ``/tmp/demo/muse``.
    """
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    check_grammar()
    out = Path(out)
    paths = {corpus: out / CORPUS_DIRS[corpus] for corpus in CORPORA}
    for folder in paths.values():
        if folder.exists() and any(folder.iterdir()) and not (folder / MARKER_FILE).exists():
            raise FileExistsError(f"{folder}: exists and was not generated by privlens; not replacing it")
    truth = []
    for corpus, folder in paths.items():
        if folder.exists():
            shutil.rmtree(folder)
        truth += _WRITERS[corpus](folder, seed=seed, scale=scale)
        _write(folder / MARKER_FILE, f"privlens demo corpus {corpus} seed={seed} scale={scale}\n")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(GROUND_TRUTH_COLUMNS)
    writer.writerows(truth)
    _write(out / GROUND_TRUTH_FILE, buffer.getvalue())
    return paths


# --- the tables of docs/DEMO_DATA.md --------------------------------------------------------------

def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def planted_effects_markdown() -> str:
    """The planted-effects tables of docs/DEMO_DATA.md, rendered from this module's constants."""
    valence = ValenceLexicon.vader()
    parts = ["### Sizes at `--scale 1`", _table(
        ["corpus", "folder", "utterances", "speakers"],
        [["primary (demo IEMOCAP)", "`iemocap/`", f"{SIZES['primary']} ({SIZES['primary'] // 10} per speaker)",
          "5 sessions x 1 F + 1 M"],
         ["auxiliary (demo MSP-IMPROV)", "`msp_improv/`", sum(recording_type_counts().values()),
          "6 sessions x 1 F + 1 M"],
         ["cross (demo MuSE)", "`muse/`", f"{SIZES['cross']} ({SIZES['cross'] // 20} per speaker)", "10 F + 10 M"]])]
    parts += ["### Gender-valence association: P(latent class | gender)", _table(
        ["corpus", "gender", "low", "mid", "high"],
        [[c, g, *(f"{p:.2f}" for p in VALENCE_MIX[c][g])] for c in CORPORA for g in GENDERS])]
    rows = []
    for marker in MARKERS:
        rows.append([f"`{marker}`", *(f"{MARKER_RATES[c][marker][i]:.2f}" for c in CORPORA for i in (0, 1))])
    parts += ["### Marker rates: share of a speaker's utterances carrying the marker", _table(
        ["marker", *(f"{c} {g}" for c in CORPORA for g in GENDERS)], rows)]
    rows = []
    for c in CORPORA:
        for marker in MARKERS:
            f_rate, m_rate = MARKER_RATES[c][marker]
            with_m = [f_rate * VALENCE_MIX[c]["F"][2], m_rate * VALENCE_MIX[c]["M"][2]]
            without = [(1 - f_rate) * VALENCE_MIX[c]["F"][2], (1 - m_rate) * VALENCE_MIX[c]["M"][2]]
            p_with = sum(with_m) / (f_rate + m_rate) if f_rate + m_rate else float("nan")
            p_without = sum(without) / (2 - f_rate - m_rate)
            rows.append([c, f"`{marker}`", f"{p_with:.3f}", f"{p_without:.3f}"])
    parts += ["### Implied spurious cue: P(latent high | marker) vs P(latent high | no marker), "
              "equal speakers per gender",
              _table(["corpus", "marker", "P(high given marker)", "P(high given no marker)"], rows)]
    rows = []
    for c in CORPORA:
        m = RATINGS[c]
        agree = expected_agreement(c)
        overall = {g: sum(p * agree[k] for p, k in zip(VALENCE_MIX[c][g], CLASSES)) for g in GENDERS}
        base = "; ".join(f"{k}: " + ", ".join(f"{b}:{p:.2f}" for b, p in m.base[k].items()) for k in CLASSES)
        rows.append([c, f"{m.scale[0]}-{m.scale[1]}", "/".join(map(str, m.raters)), base,
                     ", ".join(f"{k} {m.spread[k]:.2f}" for k in CLASSES), f"{m.bins[0]} / {m.bins[1]}",
                     ", ".join(f"{k} {agree[k]:.3f}" for k in CLASSES),
                     ", ".join(f"{g} {overall[g]:.3f}" for g in GENDERS)])
    parts += ["### Label noise: simulated raters (agreement = P(binned mean == latent class), exact)", _table(
        ["corpus", "scale", "raters", "base rating distribution per class", "P(rater deviates +-1)",
         "bins low_max / mid_max", "agreement per class", "agreement per gender"], rows)]
    parts += ["### Clause forms", _table(
        ["parameter", "value"],
        [["negation rate (low: negated high word)", f"{NEGATION_RATE['low']:.2f}"],
         ["negation rate (high: negated low word + 'at all')", f"{NEGATION_RATE['high']:.2f}"],
         ["negation rate (mid)", f"{NEGATION_RATE['mid']:.2f}"],
         *[[f"implicit rate ({k}: factual clause, no valence word)", f"{IMPLICIT_RATE[k]:.2f}"]
           for k in ("low", "high")],
         *[[f"low/high form `{k}` (explicit, not negated)", f"{v:.2f}"] for k, v in CLAUSE_FORMS.items()],
         *[[f"mid form `{k}`", f"{v:.2f}"] for k, v in MID_FORMS.items()],
         [f"cross corpus: share of adjective/feeling picks from its domain words", f"{DOMAIN_RATE:.2f}"],
         ["filler rate (both genders, all corpora)", f"{FILLER_RATE:.2f}"]])]
    counts = recording_type_counts()
    parts += ["### MSP-IMPROV recording types (demo letters)", _table(
        ["letter", "type", "paper count", "demo count at scale 1"],
        [[t, name, f"{n:,}", counts[t]] for t, (name, n) in RECORDING_TYPES.items()])]
    rows = []
    for used_by, pos, intended, words in _valence_lists():
        forms = [w if isinstance(w, str) else "/".join(w) for w in words]
        scores = [valence.scores[f] * 8 - 4 for w in words for f in ((w,) if isinstance(w, str) else w)]
        rows.append([used_by, pos, intended, ", ".join(forms), f"{min(scores):+.1f} .. {max(scores):+.1f}"])
    parts += ["### Valence words (VADER bin verified at generation; VADER mean on -4..4)", _table(
        ["used by", "part of speech", "bin", "words", "VADER range"], rows)]
    rows = []
    for category, pieces in _MARKER_PIECES.items():
        forms = sorted({f for p in pieces for f in word_forms(p) if valence.bin(f) not in (None, "mid")})
        shown = ", ".join(f"{f} ({valence.bin(f)})" for f in forms) or "none"
        rows.append([f"`{category}`", " / ".join(p.strip() for p in pieces), shown])
    parts += ["### Marker realisations and the VADER words they bring", _table(
        ["marker", "realisations", "non-mid VADER words"], rows)]
    return "\n\n".join(parts) + "\n"
