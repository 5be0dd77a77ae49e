"""The metrics stage's joins: alignment of explanations across models, Psc's N per seed."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.evaluate import Explanation, align_to, psc_items
from core.lexicons import ValenceLexicon


def test_align_inserts_zero_weight_for_the_noise_token():
    base = Explanation(["i", "liked", "it", "."], np.array([0.1, 0.6, -0.2, 0.1]))
    noisy = Explanation(["i", "liked", "zx2", "it", "."], np.array([0.1, 0.3, 0.4, -0.1, 0.1]))
    aligned = align_to(base, noisy)
    assert aligned.forms == noisy.forms
    np.testing.assert_allclose(aligned.weights, [0.1, 0.6, 0.0, -0.2, 0.1])
    assert align_to(base, base) is base


def test_align_refuses_different_texts():
    with pytest.raises(ValueError, match="cannot align"):
        align_to(Explanation(["good"], np.array([1.0])), Explanation(["bad"], np.array([1.0])))


def test_psc_uses_the_utterances_gen_of_the_same_seed_gets_right():
    lexicon = ValenceLexicon({"awful": 0.1, "great": 0.9})
    rows, explained = [], {}
    # Gen is right on "a" with seed 0 and on "c" with seed 1 only.
    gen_predictions = {(0, "a"): "low", (0, "b"): "high", (0, "c"): "high",
                       (1, "a"): "high", (1, "b"): "high", (1, "c"): "low"}
    for method in ("Gen", "PrivAdv"):
        for (seed, utt_id), predicted in gen_predictions.items():
            rows.append({"method": method, "seed": seed, "role": "primary", "utt_id": utt_id,
                         "valence_class": "low", "predicted": predicted if method == "Gen" else "low"})
            # "great" (opposite of gold low) with positive weight 0.5 of 2 words: P_i = 0.5 / 2
            explained[(method, seed, "primary", utt_id)] = Explanation(["great", "awful"], np.array([0.5, 0.5]))
    items = psc_items(explained, pd.DataFrame(rows), lexicon)
    assert sorted(set(zip(items.seed, items.utt_id))) == [(0, "a"), (1, "c")]
    assert len(items) == 4 and items.p_i.eq(0.25).all()
    assert items.p_words_i.eq(0.5).all()  # "great" contradicts gold low, "awful" does not: 1 of 2 words


def test_table1_markdown_shows_mean_std_marks_and_a_pvalue_table():
    from core.evaluate import TABLE1_COLUMNS, table1_markdown

    row = {c: 0.5 for c in TABLE1_COLUMNS}
    gen = {"model": "Gen", **row, **{f"{c}_std": 0.01 for c in TABLE1_COLUMNS}}
    adv = {"model": "PrivAdv", **row, "mad": 0.123456, "mad_std": 0.02, "mad_sig": True, "mad_p": 0.004,
           "mad_p_ttest": 0.03, **{f"{c}_p": 0.5 for c in TABLE1_COLUMNS if c != "mad"}}
    text = table1_markdown(pd.DataFrame([gen, adv]), normalisation="l1", alpha=0.05)
    assert "normalised by `l1`" in text
    values, pvalues = text.split("## p-values")
    assert "| Gen | 0.500 ± 0.010 |" in values
    assert "0.123 ± 0.020 *" in values and values.count("*") == 2  # the mark, plus "* = significant" legend
    assert "| PrivAdv | 0.500 | 0.500 | 0.500 | 0.500 | 0.004 (t-test 0.030) | 0.500 | 0.500 |" in pvalues
    assert "| Gen |" not in pvalues
