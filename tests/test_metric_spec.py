"""One metric spec (core.pipeline.table1): Table 1's columns keep today's order, the numbers derived from the spec
are the ones the code before it gave, and a metric declared only in the spec reaches table1.csv, table1.md, the
manifest and the Privacy metrics page."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.config import MetricsConfig
from core.pipeline import evaluate as ev
from core.pipeline import table1 as t1
from core.pipeline.artifacts import ExperimentPaths
from core.pipeline.build import build
from tests.conftest import dashboard_config

ROOT = Path(__file__).resolve().parent.parent
TODAY = ("valence_uar_within", "valence_uar_cross", "gender_uar_within", "gender_uar_cross", "mad", "psc", "psc_words")
ATTACKERS = ("gender_uar_linear_within", "gender_uar_linear_cross", "gender_uar_mlp_within", "gender_uar_mlp_cross")
COLUMNS = TODAY + ATTACKERS


def test_the_spec_lists_todays_columns_in_todays_order_then_each_attacker():
    assert t1.columns() == COLUMNS  # existing positions never move: new columns come after them
    assert [m.header for m in t1.metrics()] == [
        "valence, primary ↑", "valence, cross ↑", "gender leak, primary ↓", "gender leak, cross ↓", "MAD ↑", "Psc ↓",
        "Psc words ↓", "linear attacker, primary ↓", "linear attacker, cross ↓", "nonlinear attacker, primary ↓",
        "nonlinear attacker, cross ↓"]
    assert [m.column for m in t1.metrics() if m.optional] == ["psc_words", *ATTACKERS]
    assert all(m.help.endswith(".") for m in t1.metrics())


def test_a_malformed_metric_is_refused_naming_the_bad_value():
    with pytest.raises(ValueError, match="'twin': direction must be one of .* got 'up'"):
        dataclasses.replace(t1.METRICS[0], column="twin", direction="up")
    with pytest.raises(ValueError, match="kind must be one of"):
        dataclasses.replace(t1.METRICS[0], kind="median")


def handmade() -> t1.Table1Inputs:
    """Gen and PrivAdv, one seed: four primary-test and two cross utterances each (plus a train row that no
    column reads), both probes' gender guesses (logreg the stronger, or tied, everywhere), two MAD_i and two P_i
    per model."""
    rows = []
    for method, within, cross in (("Gen", ["low", "high", "high", "high"], ["low", "low"]),
                                  ("PrivAdv", ["low", "low", "high", "high"], ["high", "high"])):
        rows.append({"method": method, "role": "primary", "split": "train", "utt_id": "t", "gender": "F",
                     "valence_class": "low", "predicted": "high"})
        rows += [{"method": method, "role": "primary", "split": "test", "utt_id": f"p{i}", "gender": "FFMM"[i],
                  "valence_class": ["low", "low", "high", "high"][i], "predicted": within[i]} for i in range(4)]
        rows += [{"method": method, "role": "cross", "split": "all", "utt_id": f"c{i}", "gender": "FM"[i],
                  "valence_class": ["low", "high"][i], "predicted": cross[i]} for i in range(2)]
    predictions = pd.DataFrame(rows).assign(seed=0)
    scored = predictions[predictions.split != "train"]
    ids = scored[["method", "seed", "utt_id", "gender"]].assign(split=(["within"] * 4 + ["cross"] * 2) * 2)
    guesses = pd.concat([ids.assign(probe="logreg", guess=list("FFMM" + "FF" + "MFFM" + "FM"), stronger=True),
                         ids.assign(probe="mlp", guess=list("FFFM" + "MM" + "FFFF" + "MM"), stronger=False)])
    mad = pd.DataFrame({"method": "PrivAdv", "seed": 0, "utt_id": ["p0", "p2"], "mad_i": [0.2, 0.4], "item": None})
    psc = pd.DataFrame({"method": ["Gen", "Gen", "PrivAdv", "PrivAdv"], "seed": 0, "utt_id": ["p0", "p2"] * 2,
                        "p_i": [0.1, 0.3, 0.0, 0.2], "p_words_i": [0.5, 0.5, 0.25, 0.25]})
    return t1.Table1Inputs(None, predictions, pd.DataFrame(), {}, guesses, mad, psc)


def test_per_seed_significance_and_table1_from_the_spec_match_the_code_before_it():
    inputs = handmade()
    plan = ev.significance_plan(inputs)
    per_seed = ev.per_seed_table(plan, inputs.predictions)
    table = ev.table1(per_seed, ev.significance(per_seed, plan, MetricsConfig(bootstrap_resamples=99)),
                      ["Gen", "PrivAdv"])
    assert table.columns.tolist() == ["model", *COLUMNS, *(f"{c}_std" for c in COLUMNS),
                                      *(f"{c}{s}" for c in COLUMNS for s in ("_p", "_p_ttest", "_sig"))]
    # Valence UAR: Gen within (1/2 + 1) / 2, cross (1 + 0) / 2; PrivAdv within all right, cross (0 + 1) / 2.
    # Gender UAR: Gen's linear probe right within, one class of two across; PrivAdv's the other way round. The
    # MLP: Gen within (1 + 1/2) / 2, cross all M (0.5); PrivAdv all F within and all M across (0.5 each).
    # MAD: Gen 0 by definition, PrivAdv (.2 + .4) / 2; Psc and its counted reading are the means of their items.
    assert table.loc[0, list(COLUMNS)].tolist() == [0.75, 0.5, 1.0, 0.5, 0.0, 0.2, 0.5, 1.0, 0.5, 0.75, 0.5]
    assert table.loc[1, list(COLUMNS)].tolist() == pytest.approx([1.0, 0.5, 0.5, 1.0, 0.3, 0.1, 0.25, 0.5, 1.0,
                                                                  0.5, 0.5])
    assert table.filter(like="_std").isna().all().all() and table.filter(like="_p_ttest").isna().all().all()
    adv = table.iloc[1]
    # Every MAD_i, P_i and counted P_i favours PrivAdv: each resample does, p = 2 / (B + 1). The UAR p-values
    # are those the code before the spec gave on this input (B = 99, seed 0).
    assert [adv[f"{c}_p"] for c in TODAY] == pytest.approx([0.76, 1.0, 0.24, 0.46, 0.02, 0.02, 0.02])
    assert [adv[f"{c}_sig"] for c in TODAY] == [False, False, False, False, True, True, True]
    # The linear attacker is the stronger here, so its test is the headline's; the MLPs guess alike across: p = 1.
    assert [adv[f"gender_uar_linear_{s}_p"] for s in ("within", "cross")] == [adv.gender_uar_within_p,
                                                                             adv.gender_uar_cross_p]
    assert adv.gender_uar_mlp_cross_p == 1.0 and 0 < adv.gender_uar_mlp_within_p <= 1
    assert table.loc[0, [f"{c}_p" for c in COLUMNS]].isna().all()  # Gen is not compared with itself


def test_a_metric_declared_only_in_the_spec_reaches_every_output(artifacts, tiny_encoder, tmp_path, monkeypatch):
    within = next(m for m in t1.METRICS if m.column == "valence_uar_within")
    twin = dataclasses.replace(within, column="valence_uar_within_twin", label="valence twin",
                               help="The primary valence UAR again, declared only in the metric spec.")
    monkeypatch.setattr(t1, "METRICS", [*t1.METRICS, twin])
    paths = ExperimentPaths(tmp_path / "twin")
    shutil.copytree(artifacts / "tiny", paths.root, ignore=shutil.ignore_patterns("models"))
    config = dashboard_config(tiny_encoder)
    config = dataclasses.replace(config, name="twin", metrics=dataclasses.replace(config.metrics, alpha=0.1))
    manifest = build(config, stages=["metrics"], paths=paths)

    table = pd.read_csv(paths.metrics_table("table1"))
    assert table.columns[:13].tolist() == ["model", *COLUMNS, "valence_uar_within_twin"]
    np.testing.assert_array_equal(table.valence_uar_within_twin, table.valence_uar_within)
    assert {f"valence_uar_within_twin{s}" for s in ("_std", "_p", "_p_ttest", "_sig")} <= set(table.columns)
    markdown = paths.metrics_table("table1", ".md").read_text()
    assert "| gender_uar_mlp_cross | valence_uar_within_twin |" in markdown and "adjusted p < 0.1)" in markdown
    assert "valence_uar_within_twin" in manifest.stage("metrics")["table1"][0]

    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "pages" / "privacy_metrics.py"), default_timeout=120)
    at.session_state["experiment"] = "twin"
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.dataframe[0].value.columns.tolist()[-1] == "valence twin ↑"
    assert any("**valence twin ↑** – The primary valence UAR again" in m.value for m in at.markdown)
    # the level the metrics stage ran with (a metrics-only rebuild), not the default 0.05
    assert any("Holm-adjusted p < 0.1;" in c.value for c in at.caption)
    assert any("statistically significant at level 0.1" in m.value for m in at.markdown)


def test_each_attackers_columns_are_its_scores_in_probes_csv(artifacts):
    """On the tiny build (one seed, so Table 1 is that seed's number): the linear and nonlinear columns are the
    logreg and mlp rows of probes.csv, and the headline is the larger of the two."""
    paths = ExperimentPaths(artifacts / "tiny")
    table = pd.read_csv(paths.metrics_table("table1")).set_index("model")
    probes = pd.read_csv(paths.metrics_table("probes")).set_index(["method", "probe", "split"]).gender_uar
    for model in table.index:
        for split in ("within", "cross"):
            linear, mlp = probes[(model, "logreg", split)], probes[(model, "mlp", split)]
            assert table.loc[model, f"gender_uar_linear_{split}"] == pytest.approx(linear, abs=1e-12)
            assert table.loc[model, f"gender_uar_mlp_{split}"] == pytest.approx(mlp, abs=1e-12)
            assert table.loc[model, f"gender_uar_{split}"] == pytest.approx(max(linear, mlp), abs=1e-12)
