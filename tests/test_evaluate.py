"""The metrics stage (core.pipeline.evaluate): alignment of explanations, Psc's N per seed, the per-seed
aggregates, significance, the Psc correlation and the leakage probes, on hand-built inputs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.config import MetricsConfig
from core.data.lexicons import ValenceLexicon
from core.pipeline import metrics as m
from core.pipeline import table1 as t1
from core.pipeline.evaluate import (Explanation, PairedComparison, align_to, faithfulness, leakage, per_seed_table,
                                    psc_correlation, psc_items, significance, significance_plan, table1_markdown)

SPEC = {metric.column: metric for metric in t1.METRICS}


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
    row = {c: 0.5 for c in t1.columns()}
    gen = {"model": "Gen", **row, **{f"{c}_std": 0.01 for c in t1.columns()}}
    adv = {"model": "PrivAdv", **row, "mad": 0.123456, "mad_std": 0.02, "mad_sig": True, "mad_p": 0.004,
           "mad_p_ttest": 0.03, **{f"{c}_p": 0.5 for c in t1.columns() if c != "mad"}}
    text = table1_markdown(pd.DataFrame([gen, adv]), normalisation="l1", alpha=0.05)
    assert "normalised by `l1`" in text
    values, pvalues = text.split("## p-values")
    assert "| Gen | 0.500 ± 0.010 |" in values
    assert "0.123 ± 0.020 *" in values and values.count("*") == 2  # the mark, plus "* = significant" legend
    assert "| PrivAdv | 0.500 | 0.500 | 0.500 | 0.500 | 0.004 (t-test 0.030) | 0.500 | 0.500 |" in pvalues
    assert "| Gen |" not in pvalues


# ---------------------------------------------------------------- Table 1 aggregation and significance

def test_per_seed_table_means_items_per_model_and_seed():
    # Gen: primary test low, high predicted low, low → UAR (1 + 0) / 2 (the train row does not count); cross right.
    # PrivAdv: primary test right, cross both wrong.
    predictions = pd.DataFrame({"method": ["Gen"] * 5 + ["PrivAdv"] * 5, "seed": 0,
                                "role": ["primary"] * 3 + ["cross"] * 2 + ["primary"] * 3 + ["cross"] * 2,
                                "split": ["train", "test", "test", "all", "all"] * 2, "utt_id": list("tabcd") * 2,
                                "valence_class": ["low", "low", "high", "low", "high"] * 2,
                                "predicted": ["high", "low", "low", "low", "high",
                                              "low", "low", "high", "high", "low"]})
    # Each probe's guesses (core.pipeline.evaluate.leakage). logreg: Gen's all right, PrivAdv's one of two within;
    # mlp: Gen's guesses F everywhere (UAR 0.5), PrivAdv's all right. The stronger is marked per model and split.
    guesses = pd.DataFrame({"method": (["Gen"] * 4 + ["PrivAdv"] * 4) * 2, "seed": 0, "utt_id": list("abcd") * 4,
                            "split": ["within", "within", "cross", "cross"] * 4, "gender": list("FMFM") * 4,
                            "probe": ["logreg"] * 8 + ["mlp"] * 8,
                            "guess": list("FMFM") + list("FFFM") + list("FFFF") + list("FMFM"),
                            "stronger": [True] * 4 + [False, False, True, True] + [False] * 4 +
                                        [True, True, False, False]})
    # MAD_i −.6, .15, −.2 → −.65 / 3; Gen's MAD is 0 by definition
    mad = pd.DataFrame({"method": "PrivAdv", "seed": 0, "utt_id": ["a", "b", "c"], "mad_i": [-0.6, 0.15, -0.2],
                        "item": None})
    # P_i .14, .1875, .225 for PrivAdv; no utterance for Gen (it got nothing right): NaN, not a crash
    psc = pd.DataFrame({"method": "PrivAdv", "seed": 0, "utt_id": ["a", "b", "c"], "p_i": [0.14, 0.1875, 0.225],
                        "p_words_i": [0.4, 0.75, 0.75]})
    plan = significance_plan(t1.Table1Inputs(None, predictions, pd.DataFrame(), {}, guesses, mad, psc))
    table = per_seed_table(plan, predictions).set_index("method")
    assert table.loc["Gen", ["valence_uar_within", "valence_uar_cross"]].tolist() == [0.5, 1.0]
    assert table.loc["PrivAdv", ["valence_uar_within", "valence_uar_cross"]].tolist() == [1.0, 0.0]
    assert table.loc["PrivAdv", "mad"] == pytest.approx(-0.65 / 3) and table.loc["Gen", "mad"] == 0.0
    assert table.loc["PrivAdv", "psc"] == pytest.approx((0.14 + 0.1875 + 0.225) / 3)
    assert table.loc["PrivAdv", "psc_words"] == pytest.approx((0.4 + 0.75 + 0.75) / 3)
    assert np.isnan(table.loc["Gen", "psc"]) and np.isnan(table.loc["Gen", "psc_words"])
    assert table.loc["Gen", ["gender_uar_within", "gender_uar_cross"]].tolist() == [1.0, 1.0]
    assert table.loc["PrivAdv", ["gender_uar_within", "gender_uar_cross"]].tolist() == [1.0, 1.0]  # mlp, logreg
    linear = ["gender_uar_linear_within", "gender_uar_linear_cross"]
    mlp = ["gender_uar_mlp_within", "gender_uar_mlp_cross"]
    assert table.loc["Gen", linear].tolist() == [1.0, 1.0] and table.loc["Gen", mlp].tolist() == [0.5, 0.5]
    assert table.loc["PrivAdv", linear].tolist() == [0.5, 1.0] and table.loc["PrivAdv", mlp].tolist() == [1.0, 1.0]


def _labels(method: str, predicted: str, n: int = 20, seed: int = 0) -> pd.DataFrame:
    return pd.DataFrame({"method": method, "seed": seed, "utt_id": [f"u{i:02d}" for i in range(n)], "gold": "low",
                         "predicted": predicted})


def test_significance_bootstrap_and_holm_by_hand():
    # Gen is wrong on every utterance, PrivAdv right on every one, GenderExp identical to Gen. Every
    # resample then gives PrivAdv − Gen = 1 (UAR 1 vs 0): p = 2 / (B + 1) = 0.02 with B = 99;
    # identical predictions give p = 1. Holm over the two: [0.02 · 2, 1] = [0.04, 1].
    frame = pd.concat([_labels("Gen", "high"), _labels("PrivAdv", "low"), _labels("GenderExp", "high")])
    per_seed = pd.DataFrame({"method": ["Gen", "PrivAdv", "GenderExp"], "seed": 0, "valence_uar_within": [0, 1, 0]})
    plan = [PairedComparison(SPEC["valence_uar_within"], frame)]
    tests = significance(per_seed, plan, MetricsConfig(bootstrap_resamples=99, alpha=0.05)).set_index("model")
    assert tests.valence_uar_within_p.tolist() == pytest.approx([0.04, 1.0])
    assert tests.valence_uar_within_sig.tolist() == [True, False]
    assert tests.valence_uar_within_p_ttest.isna().all()  # one seed: no t-test


def test_significance_compares_mad_with_zero_and_lets_the_ttest_decide_with_three_seeds():
    # MAD_i of PrivAdv are all 0.5 > 0 (Gen's MAD_i is 0 by definition): bootstrap p = 2 / (B + 1).
    mad = pd.concat([pd.DataFrame({"method": "PrivAdv", "seed": s, "utt_id": ["a", "b"], "mad_i": 0.5, "gold": 0})
                     for s in (0, 1, 2)])
    # Per-seed MAD differences 0.1, 0.2, 0.3: t = 0.2 / (0.1 / √3) = √12 with 2 degrees of freedom, whose
    # CDF is 1/2 + t / (2 √(2 + t²)), so p = 1 − √12 / √14 = 0.0742 (not significant; the t-test decides).
    per_seed = pd.DataFrame({"method": ["Gen"] * 3 + ["PrivAdv"] * 3, "seed": [0, 1, 2] * 2,
                             "mad": [0.0, 0.0, 0.0, 0.1, 0.2, 0.3]})
    plan = [PairedComparison(SPEC["mad"], mad)]
    row = significance(per_seed, plan, MetricsConfig(bootstrap_resamples=99)).iloc[0]
    assert row.mad_p == pytest.approx(0.02)
    assert row.mad_p_ttest == pytest.approx(1 - np.sqrt(12 / 14))
    assert not row.mad_sig


def test_psc_correlation_leaves_out_the_attention_check():
    per_seed = pd.DataFrame({"method": ["Gen", "PrivAdv", "PrivAug", "ArtNoise"], "seed": 0,
                             "psc": [0.1, 0.2, 0.3, 0.9], "valence_uar_cross": [0.3, 0.2, 0.1, 0.9]})
    correlation = psc_correlation(per_seed)
    assert correlation["n"] == 3 and correlation["pearson_r"] == pytest.approx(-1.0)  # ArtNoise would break it
    assert psc_correlation(per_seed[per_seed.method != "Gen"]) == {}  # fewer than 3 points


# ---------------------------------------------------------------- gender leakage probes

def _model_rows(method: str) -> pd.DataFrame:
    rows = [{"method": method, "seed": 0, "role": role, "split": split, "utt_id": f"{role}{split}{i}",
             "gender": "FM"[i % 2]}
            for role, split, n in (("primary", "train", 40), ("primary", "val", 10), ("primary", "test", 10),
                                   ("cross", "all", 10)) for i in range(n)]
    return pd.DataFrame(rows)


def test_leakage_probes_read_gender_from_z_and_not_from_a_constant():
    telling, blind = _model_rows("GenderExp"), _model_rows("PrivAdv")
    rng = np.random.default_rng(0)
    sign = np.where(telling.gender == "F", 1.0, -1.0)
    z_telling = np.column_stack([3 * sign + rng.normal(0, 0.1, len(sign)), rng.normal(0, 1, len(sign))])
    z_blind = np.zeros((len(blind), 2))  # every utterance looks the same: a probe can only guess one class
    scores, guesses = leakage(pd.concat([telling, blind], ignore_index=True),
                              {("GenderExp", 0): z_telling, ("PrivAdv", 0): z_blind},
                              MetricsConfig(probe_max_iter=200))
    assert len(scores) == 2 * 2 * 2  # models × probes × splits
    logreg = scores[scores.probe == "logreg"].set_index(["method", "split"]).gender_uar
    assert logreg[("GenderExp", "within")] == logreg[("GenderExp", "cross")] == 1.0
    assert scores[scores.method == "PrivAdv"].gender_uar.eq(0.5).all()  # constant guess: chance UAR
    assert len(guesses) == 2 * 2 * 20  # models × probes × (10 test + 10 cross utterances)
    best = guesses[(guesses.method == "GenderExp") & guesses.stronger]
    assert len(best) == 20 and (best.guess == best.gender).all()
    for (method, probe, split), part in guesses.groupby(["method", "probe", "split"]):  # each probe's guesses score
        assert m.uar(part.gender, part.guess) == scores.set_index(["method", "probe", "split"]).gender_uar[
            (method, probe, split)]
    # the stronger per model and split is the probe with the higher UAR (the first, logreg, on a tie)
    strongest = scores.loc[scores.groupby(["method", "split"], sort=False).gender_uar.idxmax()]
    marked = guesses[guesses.stronger].drop_duplicates(["method", "split"])
    assert sorted(zip(marked.method, marked.split, marked.probe)) == sorted(
        zip(strongest.method, strongest.split, strongest.probe))


def test_faithfulness_by_hand_with_steps_that_vary_per_utterance():
    u = pd.DataFrame({"method": "Gen", "seed": 0, "role": "primary", "p_target": [0.9, 0.7, 0.8],
                      "p_without_topk": [0.4, 0.5, 0.2], "p_only_topk": [0.8, 0.7, 0.9],
                      "delta": [0.01, -0.03, 0.02], "gap": [0.5, 0.3, 0.4], "n_steps": [16, 48, 16],
                      "converged": [True, False, True]})
    row = faithfulness(u).iloc[0]
    assert row.comprehensiveness == pytest.approx((0.5 + 0.2 + 0.6) / 3)
    assert row.sufficiency == pytest.approx((0.1 + 0.0 - 0.1) / 3)
    assert row.mean_abs_delta == pytest.approx(0.02) and row.delta_ratio == pytest.approx(0.02 / 0.4)
    assert (row.n_steps_min, row.n_steps_max, row.unconverged, row.utterances) == (16, 48, 1, 3)
