"""Evaluation and explanation metrics (SPEC §4–5): data in, numbers out.

Pure functions in the scikit-learn style — data positional, options keyword-only, `ValueError`
naming the bad values — so every number in a report can be re-derived by hand.

An *explanation* of one utterance is its lower-cased word forms (`core.data.words.word_forms`) plus
the normalised signed word weights the explainer gave them (same length; `explain.normalisation`).

- `uar` — unweighted average recall (SPEC §4).
- `explanation_set` — E(M), the top-k words by positive weight (SPEC §5).
- `mad_utterance`, `mad_category_shares` — model attribution difference (SPEC §5.1).
- `psc_utterance`, `psc_words_utterance` (the share of contradicting words), `gen_correct_indices`,
  `psc_uar_correlation` — Psc (SPEC §5.2).
- `topk_positions`, `comprehensiveness`, `sufficiency` — ERASER faithfulness (SPEC §5.3).

A model's MAD and Psc are the means of MAD_i and P_i over a model × seed's utterances, declared once
with each Table 1 column in core.pipeline.table1; significance tests and bootstrap intervals are in
core.pipeline.statistics.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy import stats
from sklearn.metrics import balanced_accuracy_score

from core.data.lexicons import CATEGORIES, GenderLexicon, ValenceLexicon
from core.schema import VALENCE_CLASSES

# Psc: a positive weight on a word whose bin is here, for gold class y, relies on a spurious cue.
OPPOSITE = {"low": frozenset({"high"}), "high": frozenset({"low"}), "mid": frozenset({"low", "high"})}


# --------------------------------------------------------------------------------------------
# UAR
# --------------------------------------------------------------------------------------------

def uar(y_true: Sequence, y_pred: Sequence) -> float:
    """Unweighted average recall: the mean of per-class recalls over the classes in ``y_true``.

    Valence classes are imbalanced, so plain accuracy would reward predicting the majority class.
    This is exactly ``sklearn.metrics.balanced_accuracy_score`` (which warns when ``y_pred`` holds a
    class absent from ``y_true``).

    >>> uar(["low", "low", "high"], ["low", "high", "high"])  # (1/2 + 1/1) / 2
    0.75
    """
    return float(balanced_accuracy_score(y_true, y_pred))


# --------------------------------------------------------------------------------------------
# Explanation sets
# --------------------------------------------------------------------------------------------

def _check_explanation(forms: Sequence[str], weights: Sequence[float], name: str = "weights") -> None:
    if len(forms) != len(weights):
        raise ValueError(f"forms and {name} differ in length: {len(forms)} != {len(weights)}")
    bad = [w for w in weights if not math.isfinite(w)]
    if bad:
        raise ValueError(f"{name} must be finite, got {bad[:5]}")


def _check_k(k: int) -> None:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")


def explanation_set(forms: Sequence[str], weights: Sequence[float], *, k: int = 5) -> dict[str, float]:
    """E(M): the top-``k`` word forms by positive weight, each with its weight, best first.

    SPEC §5: words are compared by lower-cased form, and a form that occurs more than once takes
    its largest weight. Only weights > 0 enter (a word pushing *against* the predicted class is not
    part of the model's reason for it), so the set may hold fewer than ``k`` words.
    Ties in weight go to the form whose best-weighted occurrence comes first in the utterance,
    so the result is deterministic.

    Parameters
    ----------
    forms : lower-cased word forms of the utterance, in order.
    weights : normalised signed word weights, one per form.
    k : maximum size of the set (default 5).

    >>> explanation_set(["i", "am", "so", "so", "sad"], [0.1, -0.2, 0.1, 0.3, 0.3], k=2)
    {'so': 0.3, 'sad': 0.3}
    """
    _check_explanation(forms, weights)
    _check_k(k)
    best: dict[str, tuple[float, int]] = {}  # form -> (largest weight, position where it occurs)
    for pos, (form, w) in enumerate(zip(forms, weights)):
        if form not in best or w > best[form][0]:
            best[form] = (float(w), pos)
    ranked = sorted((item for item in best.items() if item[1][0] > 0), key=lambda it: (-it[1][0], it[1][1]))
    return {form: w for form, (w, _) in ranked[:k]}


# --------------------------------------------------------------------------------------------
# MAD — model attribution difference (SPEC §5.1)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MadItem:
    """MAD of one utterance, with the words that produced it (for highlights and breakdowns).

    Attributes
    ----------
    score : MAD_i = (Σ_{Ed} w_g − Σ_{Ea} w_x) / max(g, 1).
    dropped : Ed_i, L-words in E(Mg) but not E(Mx), with Gen's weight.
    added : Ea_i, L-words in E(Mx) but not E(Mg), with the compared model's weight.
    g : G_i = |E(Mg) ∩ L| before the max(·, 1).
    categories : categories of L each form of Ed ∪ Ea takes in this utterance.
    """

    score: float
    dropped: dict[str, float] = field(default_factory=dict)
    added: dict[str, float] = field(default_factory=dict)
    g: int = 0
    categories: dict[str, frozenset[str]] = field(default_factory=dict)


def mad_utterance(forms: Sequence[str], gen_weights: Sequence[float], other_weights: Sequence[float],
                  lexicon: GenderLexicon, *, k: int = 5) -> MadItem:
    """MAD_i of the compared model Mx against Gen (Mg) on one utterance (SPEC §5.1).

    Positive when Mx stopped relying on gender-perception words Gen used; negative when it
    started relying on new ones. L membership is per utterance (`GenderLexicon.member_forms`), so a
    phrase entry such as "kind of" makes both words members only where the phrase occurs.

    Parameters
    ----------
    forms : lower-cased word forms of the utterance.
    gen_weights, other_weights : normalised signed word weights of Gen and of Mx, one per form.
    lexicon : the gender-perception lexicon L.
    k : explanation-set size (default 5).
    """
    _check_explanation(forms, gen_weights, "gen_weights")
    _check_explanation(forms, other_weights, "other_weights")
    members = lexicon.member_forms(forms)
    e_gen = explanation_set(forms, gen_weights, k=k)
    e_other = explanation_set(forms, other_weights, k=k)
    dropped = {f: w for f, w in e_gen.items() if f in members and f not in e_other}
    added = {f: w for f, w in e_other.items() if f in members and f not in e_gen}
    g = sum(1 for f in e_gen if f in members)
    score = (sum(dropped.values()) - sum(added.values())) / max(g, 1)
    categories = {f: members[f] for f in (*dropped, *added)}
    return MadItem(score=score, dropped=dropped, added=added, g=g, categories=categories)


def mad_category_shares(items: Sequence[MadItem], *,
                        categories: Sequence[str] = CATEGORIES) -> dict[str, float]:
    """Share of the Ed ∪ Ea words each category of L contributes, over all utterances.

    Which kinds of gender cue (LIWC-style vs IAT, …) the compared model moved away from or
    towards. Each Ed ∪ Ea word of each utterance counts once; a form that takes several categories
    in that utterance splits its count equally among them, so the shares sum to 1. Every category
    in ``categories`` is reported (plus any other category met); with no Ed ∪ Ea word at all
    every share is 0.
    """
    counts = {c: 0.0 for c in categories}
    total = 0
    for item in items:
        for form, cats in item.categories.items():
            if not cats:
                raise ValueError(f"form {form!r} in Ed ∪ Ea has no category")
            for c in cats:
                counts[c] = counts.get(c, 0.0) + 1 / len(cats)
            total += 1
    return {c: (n / total if total else 0.0) for c, n in counts.items()}


# --------------------------------------------------------------------------------------------
# Psc — probability of relying on spurious correlations (SPEC §5.2)
# --------------------------------------------------------------------------------------------

def psc_utterance(forms: Sequence[str], weights: Sequence[float], gold: str,
                  valence_lexicon: ValenceLexicon) -> float:
    """P_i: weight mass on words that point the wrong way for the gold class, per word.

    cn = words with negative weight whose valence bin equals ``gold`` (the model discounts a
    genuine cue); cp = words with positive weight whose bin is opposite to ``gold`` (the model
    leans on a contrary cue). Counted per position, so a repeated word counts each time; words
    absent from the valence lexicon, and weights of exactly 0, count in s_i only.
    P_i = (Σ_cn |w| + Σ_cp |w|) / s_i with s_i the number of words.

    Parameters
    ----------
    forms : lower-cased word forms of the utterance (at least one).
    weights : normalised signed word weights of the explained model, one per form.
    gold : gold valence class, 'low' | 'mid' | 'high'.
    valence_lexicon : gives each form its bin (`ValenceLexicon.bin`).
    """
    contradicting = _contradicting_positions(forms, weights, gold, valence_lexicon)
    return float(sum(abs(weights[i]) for i in contradicting)) / len(forms)


def psc_words_utterance(forms: Sequence[str], weights: Sequence[float], gold: str,
                        valence_lexicon: ValenceLexicon) -> float:
    """P_i in the paper's prose reading: the share of word positions that contradict ``gold``.

    The same cn and cp as `psc_utterance`, counted instead of weighed: P_i = (|cn| + |cp|) / s_i,
    so it does not depend on how the weights were normalised, only on their signs.
    Example: gold high, ["great", "but", "sad"] with weights [−.1, .2, .7] → cn = {great},
    cp = {sad} → 2 / 3.
    """
    return len(_contradicting_positions(forms, weights, gold, valence_lexicon)) / len(forms)


def _contradicting_positions(forms: Sequence[str], weights: Sequence[float], gold: str,
                             valence_lexicon: ValenceLexicon) -> list[int]:
    """Positions in cn ∪ cp: negative weight on a word of bin ``gold``, positive on an opposite one."""
    _check_explanation(forms, weights)
    if gold not in OPPOSITE:
        raise ValueError(f"gold must be one of {VALENCE_CLASSES}, got {gold!r}")
    if len(forms) == 0:
        raise ValueError("Psc needs at least one word, got an empty utterance")
    out = []
    for i, (form, w) in enumerate(zip(forms, weights)):
        b = valence_lexicon.bin(form)
        if b is not None and ((w < 0 and b == gold) or (w > 0 and b in OPPOSITE[gold])):
            out.append(i)
    return out


def gen_correct_indices(y_true: Sequence, gen_pred: Sequence) -> list[int]:
    """Indices of the utterances Gen classifies correctly: the N of Psc, shared by all models."""
    if len(y_true) != len(gen_pred):
        raise ValueError(f"y_true and gen_pred differ in length: {len(y_true)} != {len(gen_pred)}")
    return [i for i, (y, p) in enumerate(zip(y_true, gen_pred)) if y == p]


def psc_uar_correlation(psc_values: Sequence[float], cross_uars: Sequence[float]) -> dict[str, float]:
    """Correlation between Psc and cross-corpus valence UAR across models × seeds.

    Returns ``pearson_r, pearson_p, spearman_rho, spearman_p, n``; coefficients are NaN when either
    input is constant (scipy warns). Needs at least 3 paired, finite points.
    """
    x = np.asarray(psc_values, dtype=float)
    y = np.asarray(cross_uars, dtype=float)
    if x.ndim != 1 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"psc_values and cross_uars must be 1-D of equal length, "
                         f"got shapes {x.shape} and {y.shape}")
    if len(x) < 3:
        raise ValueError(f"correlation needs at least 3 points, got {len(x)}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError(f"values must be finite, got psc_values={x.tolist()}, cross_uars={y.tolist()}")
    pearson = stats.pearsonr(x, y)
    spearman = stats.spearmanr(x, y)
    return {"pearson_r": float(pearson.statistic), "pearson_p": float(pearson.pvalue),
            "spearman_rho": float(spearman.statistic), "spearman_p": float(spearman.pvalue), "n": len(x)}


# --------------------------------------------------------------------------------------------
# Faithfulness — ERASER comprehensiveness and sufficiency (SPEC §5.3)
# --------------------------------------------------------------------------------------------

def topk_positions(weights: Sequence[float], *, k: int = 5,
                   forms: Sequence[str] | None = None) -> list[int]:
    """Word positions of the top-``k`` positive weights, ascending, to erase or keep.

    Without ``forms``: the ``k`` positions with the largest weights > 0 (ties to the earlier
    position). With ``forms``: every position whose form is in E(M) = `explanation_set`, so the
    erased words are exactly the highlighted explanation set (a repeated word is erased everywhere).
    """
    _check_k(k)
    if forms is not None:
        chosen = explanation_set(forms, weights, k=k)
        return [i for i, f in enumerate(forms) if f in chosen]
    _check_explanation(range(len(weights)), weights)
    ranked = sorted((i for i, w in enumerate(weights) if w > 0), key=lambda i: (-weights[i], i))
    return sorted(ranked[:k])


def _probabilities(a: Sequence[float], b: Sequence[float], names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or len(x) == 0:
        raise ValueError(f"{names[0]} and {names[1]} must be non-empty 1-D of equal length, "
                         f"got shapes {x.shape} and {y.shape}")
    for name, v in zip(names, (x, y)):
        bad = v[~((v >= 0) & (v <= 1))]
        if bad.size:
            raise ValueError(f"{name} must be probabilities in [0, 1], got {bad[:5].tolist()}")
    return x, y


def comprehensiveness(p_full: Sequence[float], p_without_topk: Sequence[float]) -> float:
    """Mean drop in the target-class probability when the top-k words are erased (higher = faithful).

    ERASER (DeYoung et al., 2020): mean_i [p(y|x_i) − p(y|x_i without its top-k words)].
    """
    full, without = _probabilities(p_full, p_without_topk, ("p_full", "p_without_topk"))
    return float(np.mean(full - without))


def sufficiency(p_full: Sequence[float], p_only_topk: Sequence[float]) -> float:
    """Mean drop in the target-class probability when only the top-k words are kept (lower = faithful).

    ERASER (DeYoung et al., 2020): mean_i [p(y|x_i) − p(y|only the top-k words of x_i)].
    """
    full, only = _probabilities(p_full, p_only_topk, ("p_full", "p_only_topk"))
    return float(np.mean(full - only))
