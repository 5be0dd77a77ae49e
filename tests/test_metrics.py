"""core.pipeline.metrics against hand-computed examples (arithmetic in the comments)."""
import math

import pytest

from core.data.lexicons import CATEGORIES, GenderLexicon, LexiconEntry, ValenceLexicon
from core.pipeline.metrics import (MadItem, comprehensiveness, explanation_set, gen_correct_indices,
                                   mad_category_shares, mad_utterance, psc_uar_correlation, psc_utterance,
                                   psc_words_utterance, sufficiency, topk_positions, uar)
from core.pipeline.statistics import holm, paired_bootstrap_pvalue, paired_ttest_pvalue

LEXICON = GenderLexicon((
    LexiconEntry(("i",), "first_person", "F"),
    LexiconEntry(("kind", "of"), "hedge", "F"),
    LexiconEntry(("kind",), "iat", "F"),
    LexiconEntry(("sorry",), "politeness", "F"),
    LexiconEntry(("damn",), "profanity", "M"),
    LexiconEntry(("he",), "referential", "M"),
))
# bins: low < 0.35, high > 0.65, else mid
VALENCE = ValenceLexicon(scores={"great": 0.9, "love": 0.8, "okay": 0.5, "bad": 0.2, "sad": 0.1})


# ---------------------------------------------------------------- UAR

def test_uar_is_mean_per_class_recall():
    y_true = [0, 0, 0, 0, 1, 1, 2, 2]
    y_pred = [0, 0, 0, 1, 1, 0, 2, 2]
    # recall: class 0 = 3/4, class 1 = 1/2, class 2 = 2/2 → (0.75 + 0.5 + 1) / 3 = 0.75
    assert uar(y_true, y_pred) == pytest.approx(0.75)


# ---------------------------------------------------------------- explanation sets

def test_explanation_set_positive_only_largest_weight_and_tie_break():
    forms = ["i", "am", "so", "so", "sad", "now"]
    weights = [0.1, -0.2, 0.05, 0.25, 0.25, 0.15]
    # "so" takes max(0.05, 0.25) = 0.25 at position 3; "sad" 0.25 at position 4 → tie, "so" first.
    assert list(explanation_set(forms, weights, k=2).items()) == [("so", 0.25), ("sad", 0.25)]
    # k larger than the positives: "am" (-0.2) never enters.
    assert explanation_set(forms, weights, k=10) == {"so": 0.25, "sad": 0.25, "now": 0.15, "i": 0.1}
    assert explanation_set(["a", "b"], [0.0, -1.0]) == {}


@pytest.mark.parametrize("forms, weights, k", [
    (["a", "b"], [1.0], 5),
    (["a"], [math.nan], 5),
    (["a"], [1.0], 0),
])
def test_explanation_set_rejects_bad_input(forms, weights, k):
    with pytest.raises(ValueError):
        explanation_set(forms, weights, k=k)


# ---------------------------------------------------------------- MAD

def _mad_examples() -> list[MadItem]:
    # 1) G = 0 → divide by 1; words outside L ignored; a weight ≤ 0 never enters E.
    forms = ["the", "movie", "was", "great", "damn"]
    gen = [0.1, 0.2, -0.1, 0.5, -0.1]      # Σ|w| = 1; E(Mg) = {great .5, movie .2, the .1}; damn ≤ 0
    other = [0.05, 0.1, 0.05, 0.2, 0.6]    # Σ|w| = 1; E(Mx) = {damn .6, great .2, movie .1, the .05, was .05}
    # G = |E(Mg) ∩ L| = 0; Ed = {}; Ea = {damn .6} ("was" not in L) → MAD = (0 − 0.6) / 1 = −0.6
    one = mad_utterance(forms, gen, other, LEXICON)

    # 2) dropped and added L-words, phrase "kind of", repeated "i" (largest weight), k = 3.
    forms = ["i", "am", "kind", "of", "sorry", "i", "guess"]
    gen = [0.05, 0.05, 0.2, 0.1, 0.3, 0.25, 0.05]     # Σ = 1; "i" → max(.05, .25) = .25
    # E(Mg) = {sorry .3, i .25, kind .2}; all in L → G = 3
    other = [0.02, 0.2, -0.1, 0.3, 0.05, 0.03, 0.3]   # Σ|w| = 1; "kind" negative
    # E(Mx) = {of .3, guess .3, am .2}
    # Ed = {sorry .3, i .25, kind .2}; Ea = {of .3} ("of" ∈ L through "kind of"; guess, am ∉ L)
    # MAD = (.3 + .25 + .2 − .3) / 3 = .45 / 3 = .15
    two = mad_utterance(forms, gen, other, LEXICON, k=3)

    # 3) "of" without "kind" before it is not in L; tie-break by position, k = 2.
    forms = ["of", "course", "he", "is", "kind"]
    gen = [0.4, 0.1, 0.2, 0.1, 0.2]        # E(Mg) = {of .4, he .2} (he at 2 beats kind at 4)
    other = [0.1, 0.1, -0.3, 0.1, 0.4]     # E(Mx) = {kind .4, of .1} (of at 0 beats course, is)
    # L members here: he, kind. G = |{of, he} ∩ L| = 1
    # Ed = {he .2}; Ea = {kind .4} → MAD = (.2 − .4) / 1 = −.2
    three = mad_utterance(forms, gen, other, LEXICON, k=2)
    return [one, two, three]


def test_mad_hand_computed():
    one, two, three = _mad_examples()
    assert one.score == pytest.approx(-0.6)
    assert (one.g, one.dropped, one.added) == (0, {}, {"damn": 0.6})

    assert two.score == pytest.approx(0.15)
    assert two.g == 3
    assert two.dropped == pytest.approx({"sorry": 0.3, "i": 0.25, "kind": 0.2})
    assert two.added == pytest.approx({"of": 0.3})
    assert two.categories == {"sorry": {"politeness"}, "i": {"first_person"},
                              "kind": {"iat", "hedge"}, "of": {"hedge"}}

    assert three.score == pytest.approx(-0.2)
    assert (three.g, three.dropped, three.added) == (1, {"he": 0.2}, {"kind": 0.4})
    assert three.categories == {"he": {"referential"}, "kind": {"iat"}}


def test_mad_same_model_is_zero_and_bad_input_raises():
    forms = ["i", "am", "sorry"]
    w = [0.5, 0.2, 0.3]
    item = mad_utterance(forms, w, w, LEXICON)
    assert (item.score, item.dropped, item.added, item.g) == (0.0, {}, {}, 2)
    with pytest.raises(ValueError, match="other_weights"):
        mad_utterance(forms, w, [1.0], LEXICON)


def test_mad_category_shares():
    # Ed ∪ Ea words: (1) damn; (2) sorry, i, kind{iat, hedge}, of; (3) he, kind{iat} → 7 words
    # profanity 1, politeness 1, first_person 1, iat .5 + 1, hedge .5 + 1, referential 1
    shares = mad_category_shares(_mad_examples())
    assert set(shares) == set(CATEGORIES)
    assert shares == pytest.approx({
        "profanity": 1 / 7, "politeness": 1 / 7, "first_person": 1 / 7, "iat": 1.5 / 7,
        "hedge": 1.5 / 7, "referential": 1 / 7, "tag_question": 0.0, "gendered_term": 0.0})
    assert sum(shares.values()) == pytest.approx(1.0)
    assert mad_category_shares([]) == {c: 0.0 for c in CATEGORIES}


# ---------------------------------------------------------------- Psc

def test_psc_hand_computed():
    # gold high: cn = great (−.3, bin high); cp = sad (+.4, bin low); movie/but/ending absent
    # P = (.3 + .4) / 5 = .14
    p1 = psc_utterance(["great", "movie", "but", "sad", "ending"], [-0.3, 0.1, 0.1, 0.4, 0.1], "high", VALENCE)
    assert p1 == pytest.approx(0.14)
    # gold mid: cp = great (+.25, high) + sad (+.25, low); cn = okay (−.25, mid);
    # bad (−.25, low) is neither → P = (.25 + .25 + .25) / 4 = .1875
    p2 = psc_utterance(["great", "sad", "okay", "bad"], [0.25, 0.25, -0.25, -0.25], "mid", VALENCE)
    assert p2 == pytest.approx(0.1875)
    # gold low, repeated "love" counts per position: cp = .3 + .2; cn = bad .4; day absent
    # P = (.3 + .2 + .4) / 4 = .225
    p3 = psc_utterance(["love", "love", "bad", "day"], [0.3, 0.2, -0.4, 0.1], "low", VALENCE)
    assert p3 == pytest.approx(0.225)


def test_psc_words_hand_computed():
    # the three utterances of test_psc_hand_computed, counted instead of weighed
    # gold high: cn = {great}, cp = {sad} → 2 / 5
    assert psc_words_utterance(["great", "movie", "but", "sad", "ending"], [-0.3, 0.1, 0.1, 0.4, 0.1], "high",
                               VALENCE) == pytest.approx(2 / 5)
    # gold mid: cp = {great, sad}, cn = {okay}; bad (negative, low) is neither → 3 / 4
    assert psc_words_utterance(["great", "sad", "okay", "bad"], [0.25, 0.25, -0.25, -0.25], "mid",
                               VALENCE) == pytest.approx(3 / 4)
    # gold low: both positions of "love" count, and "bad" (negative, low) → 3 / 4
    assert psc_words_utterance(["love", "love", "bad", "day"], [0.3, 0.2, -0.4, 0.1], "low",
                               VALENCE) == pytest.approx(3 / 4)
    # only the signs matter: any rescaling of the weights gives the same share, unlike Psc
    assert psc_words_utterance(["love", "day"], [30.0, 1.0], "low", VALENCE) == 0.5
    assert psc_utterance(["love", "day"], [30.0, 1.0], "low", VALENCE) == 15.0
    # weight 0 contradicts nothing
    assert psc_words_utterance(["sad", "day"], [0.0, 1.0], "high", VALENCE) == 0.0
    with pytest.raises(ValueError, match="gold"):
        psc_words_utterance(["sad"], [1.0], "positive", VALENCE)


def test_psc_zero_weight_and_bad_input():
    # weight 0 on "sad" with gold high: neither cn nor cp → P = 0 / 2
    assert psc_utterance(["sad", "day"], [0.0, 1.0], "high", VALENCE) == 0.0
    # gold high: opposite is {low} only, so a positive weight on mid "okay" is not cp → 0 / 2
    assert psc_utterance(["okay", "great"], [0.6, 0.4], "high", VALENCE) == 0.0
    with pytest.raises(ValueError, match="gold"):
        psc_utterance(["sad"], [1.0], "positive", VALENCE)
    with pytest.raises(ValueError):
        psc_utterance([], [], "low", VALENCE)


def test_gen_correct_indices():
    assert gen_correct_indices(["low", "mid", "high"], ["low", "high", "high"]) == [0, 2]
    with pytest.raises(ValueError):
        gen_correct_indices(["low"], [])


def test_psc_uar_correlation():
    out = psc_uar_correlation([0.1, 0.2, 0.3, 0.4], [0.8, 0.6, 0.4, 0.2])
    assert out["pearson_r"] == pytest.approx(-1.0)
    assert out["spearman_rho"] == pytest.approx(-1.0)
    assert out["n"] == 4
    with pytest.raises(ValueError, match="at least 3"):
        psc_uar_correlation([0.1, 0.2], [0.5, 0.6])
    with pytest.raises(ValueError, match="equal length"):
        psc_uar_correlation([0.1, 0.2, 0.3], [0.5, 0.6])


# ---------------------------------------------------------------- faithfulness

def test_topk_positions():
    w = [0.1, -0.5, 0.3, 0.3, 0.05]
    assert topk_positions(w, k=2) == [2, 3]
    assert topk_positions(w, k=3) == [0, 2, 3]
    assert topk_positions([-1.0], k=3) == []
    # with forms: every position of E(M) = {c .3, d .2, a .1} for k = 3; "a" at 0 and 3
    forms = ["a", "b", "c", "a", "d"]
    w = [0.1, -0.5, 0.3, 0.05, 0.2]
    assert topk_positions(w, k=2, forms=forms) == [2, 4]
    assert topk_positions(w, k=3, forms=forms) == [0, 2, 3, 4]


def test_comprehensiveness_and_sufficiency():
    # mean(.9 − .5, .8 − .6) = .3 ; mean(.9 − .85, .8 − .9) = −.025
    assert comprehensiveness([0.9, 0.8], [0.5, 0.6]) == pytest.approx(0.3)
    assert sufficiency([0.9, 0.8], [0.85, 0.9]) == pytest.approx(-0.025)
    with pytest.raises(ValueError, match="p_only_topk"):
        sufficiency([0.9], [1.5])
    with pytest.raises(ValueError):
        comprehensiveness([0.9, 0.8], [0.5])


# ---------------------------------------------------------------- significance

def test_bootstrap_identical_predictions_is_one():
    y = [0, 1, 2, 0, 1, 2, 0, 1]
    pred = [0, 1, 1, 0, 2, 2, 0, 0]
    assert paired_bootstrap_pvalue(y, pred, pred) == 1.0


def test_bootstrap_right_everywhere_vs_wrong_everywhere():
    y = [0, 1] * 20
    wrong = [1 - v for v in y]
    # every resample: Δ* = 1 − 0 > 0 → p = 2 · (1 + 0) / 1001 ≈ 0.002
    p = paired_bootstrap_pvalue(y, wrong, y, n_resamples=1000, seed=3)
    assert p == pytest.approx(2 / 1001)
    assert p < 0.01
    assert paired_bootstrap_pvalue(y, y, wrong) == pytest.approx(2 / 1001)


def test_bootstrap_is_seeded_and_validates():
    y = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]
    a = [0, 1, 2, 1, 1, 0, 0, 2, 2, 0]
    b = [0, 1, 1, 0, 2, 2, 0, 1, 0, 1]
    p = paired_bootstrap_pvalue(y, a, b, n_resamples=200, seed=7)
    assert p == paired_bootstrap_pvalue(y, a, b, n_resamples=200, seed=7)
    assert 0 < p <= 1
    # the fast UAR path gives exactly what the generic path gives with the same seed
    assert p == paired_bootstrap_pvalue(y, a, b, metric=lambda t, q: uar(t, q), n_resamples=200, seed=7)
    labels = ["low", "mid", "high"]
    assert p == paired_bootstrap_pvalue([labels[v] for v in y], [labels[v] for v in a],
                                        [labels[v] for v in b], n_resamples=200, seed=7)
    with pytest.raises(ValueError, match="differ in length"):
        paired_bootstrap_pvalue(y, a, b[:-1])
    with pytest.raises(ValueError, match="n_resamples"):
        paired_bootstrap_pvalue(y, a, b, n_resamples=0)


def test_paired_ttest():
    assert paired_ttest_pvalue([0.5, 0.6], [0.6, 0.7]) is None
    assert paired_ttest_pvalue([0.5, 0.6, 0.7], [0.5, 0.6, 0.7]) == 1.0
    # differences .1, .2, .2: mean 1/6, sd √(1/300), t = (1/6) / (√(1/300)/√3) = 5, df = 2
    # two-sided p for t(2) = 1 − t/√(2 + t²) = 1 − 5/√27
    p = paired_ttest_pvalue([0.5, 0.6, 0.7], [0.6, 0.8, 0.9])
    assert p == pytest.approx(1 - 5 / math.sqrt(27))
    with pytest.raises(ValueError):
        paired_ttest_pvalue([0.5, 0.6, 0.7], [0.5, 0.6])


def test_holm():
    # sorted .01·3 = .03, .03·2 = .06, .04·1 = .04 → running max .06 for .04
    adjusted, significant = holm([0.01, 0.04, 0.03])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06])
    assert significant == [True, False, False]
    # None / NaN are not counted among the tests and stay NaN
    adjusted, significant = holm([0.01, None, 0.04, math.nan, 0.03])
    assert adjusted[0] == pytest.approx(0.03) and adjusted[2] == pytest.approx(0.06)
    assert math.isnan(adjusted[1]) and math.isnan(adjusted[3])
    assert significant == [True, False, False, False, False]
    assert holm([]) == ([], [])
    with pytest.raises(ValueError, match="1.5"):
        holm([0.2, 1.5])
