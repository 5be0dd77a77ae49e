"""The demo corpora's planted effects (SPEC §2.4): sizes, gender-valence mixes, marker rates, clause-form
rates and the simulated raters — the single source of truth for the tables of docs/DEMO_DATA.md.

Changing a number here changes the generated corpora (core.data.demo_corpora) and, through
``planted_effects_markdown``, the documented tables; the tests fail until both agree.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from core.schema import VALENCE_CLASSES as CLASSES

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
    "primary": {"hedge": (0.50, 0.08), "tag_question": (0.35, 0.06), "politeness": (0.40, 0.08),
                "first_person": (0.50, 0.25), "profanity": (0.03, 0.35), "referential": (0.08, 0.40),
                "gendered_term": (0.15, 0.15)},
    "auxiliary": {"hedge": (0.25, 0.25), "tag_question": (0.16, 0.16), "politeness": (0.20, 0.20),
                  "first_person": (0.38, 0.38), "profanity": (0.14, 0.14), "referential": (0.20, 0.20),
                  "gendered_term": (0.12, 0.12)},
    "cross": {"hedge": (0.40, 0.10), "tag_question": (0.25, 0.06), "politeness": (0.30, 0.08),
              "first_person": (0.45, 0.35), "profanity": (0.05, 0.30), "referential": (0.10, 0.30),
              "gendered_term": (0.10, 0.10)},
}

# P(the valence clause is a NEGATED word of the opposite pole | latent class): low "it wasn't great",
# high "it wasn't bad at all". Mid clauses are never negated.
NEGATION_RATE = {"low": 0.20, "mid": 0.0, "high": 0.10}
# Forms of a mid clause: a mid VADER adjective ("it was okay"), a factual clause without valence
# words ("the flight is on Tuesday"), or a mixed clause pairing a high and a low adjective.
MID_FORMS = {"mid_adjective": 0.40, "factual": 0.45, "mixed": 0.15}
# P(a low/high utterance is written WITHOUT any valence word (a recount: "we talked about the move
# for a while") | corpus, speaker gender, class). The raters heard the tone; the text only carries the
# speaker's style. In the primary corpus women's positive and men's negative turns are the implicit
# ones, so among recounts gender decides the class: the gender -> valence shortcut. The cross corpus
# reverses it (and its VALENCE_MIX); the auxiliary corpus has no association.
IMPLICIT_RATE = {
    "primary": {"F": {"low": 0.05, "mid": 0.0, "high": 0.45}, "M": {"low": 0.45, "mid": 0.0, "high": 0.05}},
    "auxiliary": {"F": {"low": 0.25, "mid": 0.0, "high": 0.25}, "M": {"low": 0.25, "mid": 0.0, "high": 0.25}},
    "cross": {"F": {"low": 0.45, "mid": 0.0, "high": 0.05}, "M": {"low": 0.05, "mid": 0.0, "high": 0.45}},
}
# P(an explicit adjective/exclamation of the class uses a word whose VADER bin is the OPPOSITE one
# (core.data.demo_grammar.AMBIGUOUS_WORDS): slang praise "the concert was insane" in the primary corpus,
# and the student's "the midterm was insane" (bad) in the cross corpus. Psc counts leaning on them.
AMBIGUOUS_RATE = {"primary": 0.25, "auxiliary": 0.0, "cross": 0.25}
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


def recording_type_counts(scale: float = 1.0) -> dict[str, int]:
    """Demo MSP-IMPROV utterances per recording type: the paper's proportions of SIZES['auxiliary'],
    rounded per gender so both genders get exactly the same number."""
    total = sum(count for _, count in RECORDING_TYPES.values())
    return {t: 2 * round(count / total * SIZES["auxiliary"] * scale / 2) for t, (_, count) in RECORDING_TYPES.items()}


def draw_ratings(rng: np.random.Generator, model: RatingModel, cls: str, n: int | None = None) -> list[int]:
    values = list(model.base[cls])
    base = values[int(rng.choice(len(values), p=list(model.base[cls].values())))]
    n = n or int(model.raters[int(rng.integers(len(model.raters)))])
    q = model.spread[cls]
    deltas = rng.choice([-1, 0, 1], size=n, p=[q / 2, 1 - q, q / 2])
    return [int(min(model.scale[1], max(model.scale[0], base + d))) for d in deltas]
