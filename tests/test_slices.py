"""Slices (core.dashboard.slices) on a hand-made frame, every number computed by hand; and on the tiny build, the
"all" slice is Table 1's number."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.dashboard import experiment, slices
from core.data.lexicons import GenderLexicon, LexiconEntry

LEXICON = GenderLexicon((LexiconEntry(("maybe",), "hedge", "F"), LexiconEntry(("wife",), "gendered_term", "M")))
#          utt   split     gender gold    A       B       A's gender guess  text
UTTERANCES = [("u1", "within", "F", "low", "low", "low", "F", "maybe it was sad"),
              ("u2", "within", "F", "high", "high", "low", "M", "my wife was happy"),
              ("u3", "within", "M", "low", "mid", "low", "M", "it was sad"),
              ("u4", "within", "M", "high", "high", "high", "M", "it was great"),
              ("u5", "within", "F", "mid", "low", "high", "F", "maybe my wife was fine"),
              ("u6", "within", "M", "mid", "mid", "low", "F", "it was fine"),
              ("u7", "cross", "F", "low", "low", "mid", "F", "so sad")]


def frame() -> pd.DataFrame:
    """Models A and B (B has no attacker) and, listed first, the attention check with its planted token."""
    rows = []
    for utt, split, gender, gold, a, b, guess, text in UTTERANCES:
        role = "primary" if split == "within" else "cross"
        base = {"seed": 0, "split": split, "role": role, "utt_id": utt, "gender": gender, "valence_class": gold}
        rows.append({**base, "method": "ArtNoise", "predicted": gold, "gender_guess": None, "text": text + " zq1"})
        rows.append({**base, "method": "A", "predicted": a, "gender_guess": guess, "text": text})
        rows.append({**base, "method": "B", "predicted": b, "gender_guess": None, "text": text})
    return pd.DataFrame(rows)


def test_scored_rows_are_the_primary_test_split_and_the_cross_corpus():
    preds = pd.DataFrame({"role": ["primary", "primary", "auxiliary", "cross"],
                          "split": ["train", "test", "test", "all"], "utt_id": list("abcd")})
    rows = slices.scored_rows(preds)
    assert rows.utt_id.tolist() == ["b", "d"] and rows.split.tolist() == ["within", "cross"]


def test_slice_uars_by_gender_match_hand_computed_recalls():
    table = slices.slice_uars(frame(), ("gender",), resamples=200).set_index(["model", "split", "slice"])
    # A within, all: recalls low 1/2 (u1 ✓ u3 ✗), mid 1/2 (u6 ✓ u5 ✗), high 1 → 2/3
    assert table.loc[("A", "within", "all"), "valence_uar"] == pytest.approx(2 / 3)
    assert table.loc[("A", "within", "all"), "n"] == 6
    # A within, F: u1 low ✓, u2 high ✓, u5 mid ✗ → 2/3; B within: low 1, mid 0, high 1/2 → 1/2
    assert table.loc[("A", "within", "F"), "valence_uar"] == pytest.approx(2 / 3)
    assert table.loc[("B", "within", "all"), "valence_uar"] == pytest.approx(1 / 2)
    # A's attacker, within: F recall 2/3 (u1, u5 of u1 u2 u5), M recall 2/3 (u3, u4 of u3 u4 u6)
    assert table.loc[("A", "within", "all"), "gender_uar"] == pytest.approx(2 / 3)
    assert table.loc[("A", "within", "M"), "gender_uar"] == pytest.approx(2 / 3)
    assert np.isnan(table.loc[("B", "within", "all"), "gender_uar"])  # no attacker, no number
    cross = table.loc[("A", "cross", "F")]
    assert cross.n == 1 and cross.valence_uar == cross.valence_low == cross.valence_high == 1.0
    for _, row in table.iterrows():
        assert row.valence_low <= row.valence_uar + 1e-12 and row.valence_uar <= row.valence_high + 1e-12


def test_slice_uars_by_gender_and_valence_and_by_lexicon_category():
    by_cell = slices.slice_uars(frame(), ("gender", "valence_class"), resamples=50).set_index(
        ["model", "split", "slice"])
    assert by_cell.loc[("A", "within", "M · low"), "valence_uar"] == 0.0  # u3: low read as mid
    assert by_cell.loc[("A", "within", "F · high"), "valence_uar"] == 1.0
    rows = slices.with_categories(frame(), LEXICON)
    assert rows[rows.utt_id == "u5"].category.iloc[0] == ("gendered_term", "hedge")
    table = slices.slice_uars(rows, (slices.CATEGORY,), resamples=50).set_index(["model", "split", "slice"])
    # hedge: u1 (low ✓) and u5 (mid ✗) → recalls 1 and 0; gendered_term: u2 (high ✓) and u5 → 1/2  (slices named in words)
    assert table.loc[("A", "within", "hedges"), "valence_uar"] == pytest.approx(0.5)
    assert table.loc[("A", "within", "hedges"), "n"] == table.loc[("A", "within", "gendered terms"), "n"] == 2
    assert table.loc[("A", "within", "all"), "n"] == 6  # u5 counts in both categories, once in "all"


def test_confusion_counts_and_row_shares():
    counts = slices.confusion(frame(), method="A", split="within")
    assert counts.to_numpy().tolist() == [[1, 1, 0], [1, 1, 0], [0, 0, 2]]  # gold low, mid, high × predicted
    assert slices.row_normalised(counts).to_numpy().tolist() == [[0.5, 0.5, 0], [0.5, 0.5, 0], [0, 0, 1]]
    figure = slices.confusion_heatmap(counts, normalised=True, title="A")
    assert figure.data[0].text.tolist()[0] == ["50%", "50%", "0%"] and list(figure.data[0].y)[0] == "gold low"
    empty = slices.confusion(frame(), method="A", split="cross")
    assert np.isnan(slices.row_normalised(empty).loc["mid"]).all()  # no gold "mid" in the cross rows


def test_model_against_model_lists_the_disagreements_and_counts_the_flips():
    cases = slices.disagreements(frame(), "A", "B").set_index("utt_id")
    assert cases.change.to_dict() == {"u2": "right → wrong", "u3": "wrong → right", "u5": "wrong → wrong",
                                      "u6": "right → wrong", "u7": "right → wrong"}
    assert cases.loc["u5", "text"] == "maybe my wife was fine"  # as people read it, not the planted copy
    assert (cases.loc["u2", "predicted_a"], cases.loc["u2", "predicted_b"]) == ("high", "low")
    counts = slices.flip_counts(frame(), "A", "B")
    assert counts.loc["within"].to_dict() == {"utterances": 6, "disagree": 4, "right → wrong": 2,
                                              "wrong → right": 1, "wrong → wrong": 1}
    assert counts.loc["cross"].to_dict() == {"utterances": 1, "disagree": 1, "right → wrong": 1,
                                             "wrong → right": 0, "wrong → wrong": 0}
    assert slices.disagreements(frame(), "A", "A").empty and slices.flip_counts(frame(), "A", "A").disagree.sum() == 0


def faithfulness() -> pd.DataFrame:
    rows = [("Gen", "primary", 0.4, 0.3, 0.01, 8, 8, 0, 10), ("Gen", "cross", 0.1, 0.3, 0.02, 8, 32, 0, 30),
            ("PrivAdv", "primary", 0.2, 0.0, 0.01, 8, 8, 1, 10), ("PrivAdv", "cross", 0.2, 0.5, 0.03, 8, 64, 0, 30),
            ("ArtNoise", "primary", 0.9, 0.0, 0.08, 8, 8, 2, 10), ("ArtNoise", "cross", 0.9, 0.0, 0.01, 8, 8, 0, 30)]
    frame = pd.DataFrame(rows, columns=["method", "role", "comprehensiveness", "sufficiency", "delta_ratio",
                                        "n_steps_min", "n_steps_max", "unconverged", "utterances"])
    return frame.assign(seed=0)


def test_faithfulness_reading_pools_corpora_by_utterances_and_leaves_out_the_attention_check():
    # comprehensiveness pooled: Gen (0.4·10 + 0.1·30)/40 = 0.175 < PrivAdv 0.2 (unweighted, Gen's 0.25 would win)
    # sufficiency pooled: Gen 0.3 < PrivAdv (0·10 + 0.5·30)/40 = 0.375 (unweighted, PrivAdv's 0.25 would win)
    assert slices.faithfulness_reading(faithfulness(), seed=0) == (
        "Erasing its top words moves **PrivAdv**'s answer most (comprehensiveness 0.20); its top words alone keep "
        "**Gen**'s answer best (sufficiency 0.30); integrated gradients stayed over the convergence bound on 3 of "
        "120 explained utterances (largest delta ratio: ArtNoise (attention check), 0.080).")
    table = slices.faithfulness_table(faithfulness(), seed=0)
    assert table.n_steps.tolist()[:4] == ["8", "8–32", "8", "8–64"] and table.unconverged[2] == "1 of 10"
    assert table.model.tolist()[-1] == "ArtNoise (attention check)"
    assert "all 40" in slices.faithfulness_reading(faithfulness().iloc[:2], seed=0)
    assert slices.faithfulness_reading(faithfulness(), seed=3) == "No faithfulness scores for this seed."


def test_the_all_slice_is_table1s_number_on_the_tiny_build(artifacts):
    exp = experiment.open_experiment("tiny", artifacts)
    rows = slices.scored_rows(experiment.predictions(exp))
    rows = rows.assign(gender_guess=slices.attacker_guesses(exp, rows))
    table = slices.slice_uars(rows, ("gender",), resamples=20)
    table1 = pd.read_csv(exp.paths.metrics_table("table1")).set_index("model")  # one seed: Table 1 is seed 0
    whole = table[table.slice == "all"]
    assert len(whole) == 2 * len(exp.methods)  # within and cross for every model
    for _, row in whole.iterrows():
        assert row.valence_uar == pytest.approx(table1.loc[row.model, f"valence_uar_{row.split}"]), row.model
        assert row.gender_uar == pytest.approx(table1.loc[row.model, f"gender_uar_{row.split}"]), row.model


def test_flip_text_says_the_counts_in_words():
    row = slices.flip_counts(frame(), "A", "B").loc["within"]
    assert slices.flip_text(row, "A", "B", where="primary test split") == (
        "On the primary test split, A and B disagree on **4 of 6** utterances: **2** that A gets right B gets wrong, "
        "**1** the other way round (net -1 for B); on 1 both are wrong.")
