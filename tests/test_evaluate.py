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
