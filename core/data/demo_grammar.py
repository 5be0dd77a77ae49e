"""The demo corpora's grammar (docs/DEMO_DATA.md): every utterance is composed from it.

A valence clause built from VADER words of the intended bin (or a negated word of the opposite bin),
neutral filler, and sociolinguistic markers taken from the gender lexicon, planted at the rates of
core.data.demo_effects. :func:`check_grammar` verifies the word lists against both lexicons before any
corpus is written; :func:`compose` writes one utterance and :func:`speaker_utterances` one speaker's
utterances with exact class and marker shares.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from core.data.demo_effects import (AMBIGUOUS_RATE, CLAUSE_FORMS, FILLER_RATE, IMPLICIT_RATE, MARKER_RATES, MARKERS,
                                    MID_FORMS, NEGATION_RATE, VALENCE_MIX)
from core.data.lexicons import GenderLexicon, ValenceLexicon
from core.data.words import word_forms
from core.schema import GENDERS, ROLES
from core.schema import VALENCE_CLASSES as CLASSES

# --- the grammar ----------------------------------------------------------------------------------

# Valence-bearing words, part of speech -> VADER bin -> words. Verbs list (base, 3rd person, past).
# Every form is checked against VADER (core.data.lexicons.ValenceLexicon.vader) before generating.
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
# Words whose polarity depends on register or domain. Primary: slang praise for high utterances
# ("the concert was insane"), against their VADER bin (low). Cross: the same words for a bad exam
# ("the midterm was insane"), as VADER has them: a model that learned the primary corpus's use fails
# there. check_grammar verifies every word is used somewhere against its (non-mid) VADER bin.
AMBIGUOUS_WORDS = {"primary": {"high": ("crazy", "insane", "wicked", "sick", "killer")},
                   "cross": {"low": ("crazy", "insane", "killer")}}

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
    "{t} is on {day}", "{t} was on {day}", "{t} starts at {clock}",
    "they moved {t} to {day}", "{t} is still the same as last week",
    "we have to call about {t} on {day}",
)
RECOUNT = (  # implicit low/high clauses (IMPLICIT_RATE): no valence word, the tone is not in the text
    "we talked about {t} for a while", "we went over {t} again", "nobody said anything about {t} yet",
    "{t} came up at {clock}", "we spent all of {day} on {t}", "that was {t} for you", "so that was {t}",
    "we kept talking about {t} until {clock}",
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

MARKER_PIECES = {
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
_NEUTRAL_PIECES = (TARGET_SENTENCES + FACTUAL + RECOUNT + DAYS + CLOCKS + DEGREE + TIME_NOUNS + FILLERS
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
    problems += [f"ambiguous {word!r} (used for {sorted(classes)}): VADER bin {valence.bin(word)} is never contradicted"
                 for word, classes in ambiguous_word_uses().items()
                 if valence.bin(word) not in ("low", "high") or classes <= {valence.bin(word)}]
    for piece in _NEUTRAL_PIECES:
        forms = word_forms(piece.replace("{}", "x").replace("{t}", "x"))
        problems += [f"neutral piece {piece!r}: {f!r} has VADER bin {valence.bin(f)}"
                     for f in forms if valence.bin(f) not in (None, "mid")]
        problems += [f"neutral piece {piece!r} holds lexicon entry {h.entry.text!r} ({h.entry.category})"
                     for h in gender.match(forms) if h.entry.category != "iat"]
    for category, pieces in MARKER_PIECES.items():
        for piece in pieces:
            if not any(h.entry.category == category for h in gender.match(word_forms(piece))):
                problems.append(f"{category} piece {piece!r} holds no {category} entry of the gender lexicon")
    if problems:
        raise ValueError("demo grammar does not match the lexicons:\n  " + "\n  ".join(problems))


def valence_lists():
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
    return {form: intended for _, _, intended, words in valence_lists()
            for form in itertools.chain.from_iterable((w,) if isinstance(w, str) else w for w in words)}


def ambiguous_word_uses() -> dict[str, set[str]]:
    """Every AMBIGUOUS_WORDS word -> the classes it is used for (in some corpus, against its VADER bin)."""
    uses: dict[str, set[str]] = {}
    for lists in AMBIGUOUS_WORDS.values():
        for cls, words in lists.items():
            for word in words:
                uses.setdefault(word, set()).add(cls)
    return uses


def marker_word_forms() -> set[str]:
    """Every word form that occurs in a marker realisation (some are VADER words: 'please', 'damn')."""
    return {f for pieces in MARKER_PIECES.values() for p in pieces for f in word_forms(p)}


# --- composing one utterance ----------------------------------------------------------------------

@dataclass
class _Clause:
    text: str                  # lower-case start, no final punctuation; "{mod}" marks an adjective slot
    tags: tuple[str, ...]      # tag questions that fit after it
    exclaim: bool = False      # "what a ..." clauses end with "!" and take no tag
    profane_slot: bool = True  # whether a profanity may fill the adjective slot
    degree: str = ""           # what fills the slot without a marker ("really "); a hedge replaces it


def pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _word(rng: np.random.Generator, corpus: str, pos: str, cls: str):
    """A valence word; the cross corpus draws DOMAIN_RATE of its adjectives/feelings from DOMAIN_WORDS."""
    domain = DOMAIN_WORDS.get(corpus, {}).get(pos, {}).get(cls)
    if domain and rng.random() < DOMAIN_RATE:
        return pick(rng, domain)
    return pick(rng, VALENCE_WORDS[pos][cls])


def _factual(rng: np.random.Generator, topic: str) -> str:
    return pick(rng, FACTUAL).format(t=topic, day=pick(rng, DAYS), clock=pick(rng, CLOCKS))


def _valence_clause(rng: np.random.Generator, corpus: str, cls: str, topic: str, gender: str) -> _Clause:
    tense = "was" if rng.random() < 0.6 else "is"
    general = TAGS_GENERAL
    if cls == "mid":
        form = rng.choice(list(MID_FORMS), p=list(MID_FORMS.values()))
        if form == "mid_adjective":
            adj = pick(rng, VALENCE_WORDS["adjective"]["mid"])
            return _Clause(f"{topic} {tense} {{mod}}{adj}", (TAGS_BE[tense],) + general, profane_slot=False,
                           degree=pick(rng, ("", "just ", "")))
        if form == "factual":
            return _Clause(_factual(rng, topic), general)
        other = pick(rng, [t for t in TOPICS[corpus] if t != topic])
        good, bad = _word(rng, corpus, "adjective", "high"), _word(rng, corpus, "adjective", "low")
        first, second = (good, bad) if rng.random() < 0.5 else (bad, good)
        return _Clause(f"{topic} was {first} but {other} was {second}", general)
    if rng.random() < IMPLICIT_RATE[corpus][gender][cls]:  # no valence word: only the speaker's style hints
        return _Clause(pick(rng, RECOUNT).format(t=topic, day=pick(rng, DAYS), clock=pick(rng, CLOCKS)), general)
    opposite = "low" if cls == "high" else "high"
    if rng.random() < NEGATION_RATE[cls]:
        if cls == "high":  # a negated low word; "at all" makes it clearly positive
            return _Clause(f"{topic} {tense}n't {_word(rng, corpus, 'adjective', 'low')} at all", general)
        if rng.random() < 0.5:
            return _Clause(f"{topic} {tense}n't {_word(rng, corpus, 'adjective', opposite)}", general)
        return _Clause(f"we didn't {pick(rng, VALENCE_WORDS['verb'][opposite])[0]} {topic}", general)
    form = rng.choice(list(CLAUSE_FORMS), p=list(CLAUSE_FORMS.values()))
    ambiguous = AMBIGUOUS_WORDS.get(corpus, {}).get(cls)
    if form in ("adjective", "exclaim") and ambiguous and rng.random() < AMBIGUOUS_RATE[corpus]:
        adj = pick(rng, ambiguous)  # "the concert was insane" (high), "the midterm was insane" (low, cross)
        if form == "adjective":
            return _Clause(f"{topic} {tense} {{mod}}{adj}", (TAGS_BE[tense],) + general, degree=pick(rng, DEGREE))
        return _Clause(f"what {_article(adj)} {adj} {pick(rng, TIME_NOUNS)}", (), exclaim=True)
    if form == "adjective":
        adj = _word(rng, corpus, "adjective", cls)
        return _Clause(f"{topic} {tense} {{mod}}{adj}", (TAGS_BE[tense],) + general, degree=pick(rng, DEGREE))
    if form == "feeling":
        subject = "we were" if tense == "was" else "we are"
        adj = _word(rng, corpus, "feeling", cls)
        return _Clause(f"{subject} {{mod}}{adj} about {topic}", general, degree=pick(rng, DEGREE))
    if form == "verb":
        base, third, past = pick(rng, VALENCE_WORDS["verb"][cls])
        plural, singular = (past, past) if tense == "was" else (base, third)
        subject, verb = pick(rng, (("we", plural), ("they", plural), ("everyone", singular)))
        return _Clause(f"{subject} {verb} {topic}", general)
    if form == "noun":
        noun = pick(rng, VALENCE_WORDS["noun"][cls])
        verb = pick(rng, (tense, "turned out to be"))
        tags = ((TAGS_BE[verb],) if verb in TAGS_BE else ()) + general
        return _Clause(f"{topic} {verb} {_NOUN_PHRASE.get(noun, f'a {noun}')}", tags)
    adj = _word(rng, corpus, "adjective", cls)
    return _Clause(f"what {_article(adj)} {adj} {pick(rng, TIME_NOUNS)}", (), exclaim=True)


def compose(rng: np.random.Generator, corpus: str, cls: str, gender: str, markers: set[str],
            topic: str | None = None) -> str:
    """One utterance of ``corpus`` with latent valence ``cls`` by a ``gender`` speaker carrying exactly
    ``markers`` (names from :data:`MARKERS`); ``topic`` defaults to a random one of the corpus.

    Order: [politeness opener] [filler] [profanity opener] [first-person frame] [hedge] clause
    [, tag?] [referential sentence] [gendered sentence] [politeness closer].
    Example: ``compose(np.random.default_rng(0), "primary", "high", "F", {"hedge"})``.
    """
    if corpus not in ROLES or cls not in CLASSES or gender not in GENDERS or not markers <= set(MARKERS):
        raise ValueError(f"bad compose arguments: corpus={corpus!r}, cls={cls!r}, gender={gender!r}, "
                         f"markers={sorted(markers)!r}")
    topic = topic or pick(rng, TOPICS[corpus])
    clause = _valence_clause(rng, corpus, cls, topic, gender)
    while clause.exclaim and markers & {"tag_question", "hedge"}:  # "what a day!" takes no tag or hedge
        clause = _valence_clause(rng, corpus, cls, topic, gender)
    slot = "{mod}" in clause.text
    mod, pre = None, []
    polite_open = "politeness" in markers and rng.random() < 0.5
    if polite_open:
        pre.append(pick(rng, POLITE_OPENERS))
    if rng.random() < FILLER_RATE:
        pre.append(pick(rng, FILLERS))
    if "profanity" in markers:
        if slot and clause.profane_slot and rng.random() < 0.6:
            mod = clause.degree + pick(rng, PROFANITY_ADJECTIVE)  # "so damn good"
        else:
            pre.append(pick(rng, PROFANITY_OPENERS))
    if "first_person" in markers:
        pre.append(pick(rng, FIRST_PERSON_FRAMES))
    if "hedge" in markers:
        if slot and not mod and rng.random() < 0.5:
            mod = pick(rng, HEDGE_ADJECTIVE)
        else:
            pre.append(pick(rng, HEDGE_SENTENCE))
    body = "".join(pre) + clause.text.replace("{mod}", clause.degree if mod is None else mod)
    if "tag_question" in markers:
        body += ", " + pick(rng, clause.tags)
    else:
        body += "!" if clause.exclaim or (cls != "mid" and rng.random() < 0.25) else "."
    sentences = [body[0].upper() + body[1:]]
    if "referential" in markers:
        sentences.append(pick(rng, REFERENTIAL))
    if "gendered_term" in markers:
        phrase = pick(rng, GENDERED_SENTENCES).format(pick(rng, GENDERED[gender]))
        sentences.append(phrase[0].upper() + phrase[1:])
    if "politeness" in markers and not polite_open:
        sentences.append(pick(rng, POLITE_CLOSERS))
    return " ".join(sentences)


def allocate(rng: np.random.Generator, n: int, shares: tuple[float, ...]) -> list[int]:
    """n items spread over categories in exactly the given shares (largest remainder), shuffled."""
    raw = np.asarray(shares, dtype=float) * n / sum(shares)
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    labels = np.repeat(np.arange(len(shares)), counts)
    return [int(x) for x in rng.permutation(labels)]


def _flags(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """n booleans with exactly round(rate * n) true ones, shuffled."""
    return np.asarray(allocate(rng, n, (1 - rate, rate)), dtype=bool)


def speaker_utterances(rng: np.random.Generator, corpus: str, gender: str, n: int,
                        topic_of=None) -> list[tuple[str, str, str]]:
    """(latent class, text, markers) for n utterances of one speaker, exact class and marker shares;
    markers are the planted marker names joined by ';'."""
    classes = [CLASSES[i] for i in allocate(rng, n, VALENCE_MIX[corpus][gender])]
    flags = {m: _flags(rng, n, MARKER_RATES[corpus][m][GENDERS.index(gender)]) for m in MARKERS}
    out = []
    for i, cls in enumerate(classes):
        markers = {m for m in MARKERS if flags[m][i]}
        text = compose(rng, corpus, cls, gender, markers, topic_of(i) if topic_of else None)
        out.append((cls, text, ";".join(m for m in MARKERS if m in markers)))
    return out
