"""The workbench for a stakeholder, pure parts: the glossary and words for raw names, Home's path and stage table,
exports with their context, the labelled trade-off chart, the wrapping columns, Models' verdicts, Table 2 in
numbers."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from core.dashboard import charts, exports, glossary, home, layout, privacy_metrics
from core.dashboard.history import NEAR_CHANCE, lambda_range, verdicts
from core.methods import METHODS
from core.pipeline import table1 as t1
from core.pipeline.status import StageStatus
from core.study import analysis

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def test_the_glossary_names_every_term_a_stakeholder_meets():
    terms = " ".join(glossary.GLOSSARY).lower()
    for term in ("uar", "valence", "mad", "psc", "leakage", "probe", "attacker", "gender uar", "holm", "bootstrap",
                 "attention check", "leace", "representation", "λ", "lexicon categories"):
        assert term in terms, term
    assert "[" not in glossary.glossary_markdown().replace("**", "")


def test_the_glossarys_leak_is_table1s_stronger_probe():
    leak = next(m for m in t1.metrics() if m.column == "gender_uar_within")
    assert "stronger of the linear and the nonlinear attacker" in leak.help
    assert "larger of the two probes" in glossary.GLOSSARY["leakage / gender UAR"]


def test_raw_names_become_words_and_empty_columns_go():
    assert glossary.words("high_mad") == "high-MAD utterances" and glossary.words("tag_question") == "tag questions"
    assert glossary.words("iat") == "IAT stereotype words" and glossary.words("some_column") == "some column"
    frame = pd.DataFrame({"mad_std": [np.nan, np.nan], "tag_question": [0.1, 0.2], "model": ["a", "b"]})
    shown = glossary.readable_columns(frame, {"model": "the model"})
    assert shown.columns.tolist() == ["tag questions", "the model"] and "mad_std" in frame  # a copy


def test_every_column_of_table1_is_in_words_without_empty_ones():
    table = pd.DataFrame({"model": ["Gen", "ArtNoise"], **{m.column: [0.8, 0.9] for m in t1.metrics()},
                          "mad_std": [np.nan, np.nan], "mad_p": [np.nan, 0.01], "mad_sig": [np.nan, True]})
    shown = privacy_metrics.every_column(table)
    assert not any("_" in c for c in shown.columns) and "MAD ↑ · std over seeds" not in shown.columns
    assert "MAD ↑ · p (Holm-adjusted bootstrap)" in shown.columns and shown.model.tolist()[-1].endswith("check)")


def test_home_path_links_existing_pages_and_opens_the_status_when_a_stage_is_not_done():
    for stop in home.START_HERE:
        assert (ROOT / stop.page).is_file() and stop.answers.endswith("?")
    stages = [StageStatus("train", "done", 1.0, "t", ""), StageStatus("metrics", "stale", None, None, "rebuild")]
    table = home.stage_table(stages)
    assert "finished at" in table.columns and "finished_at" not in table.columns
    assert home.needs_attention(table) and not home.needs_attention(table.iloc[:1])
    assert home.models_table(["Gen", "ArtNoise"]).model.tolist() == ["Gen", "ArtNoise (attention check)"]


def test_exports_say_the_experiment_and_whether_the_corpora_were_synthetic():
    assert exports.context_line("demo", True).endswith(exports.SYNTHETIC_CORPORA)
    assert exports.context_line("real", False) == "privlens · experiment real"
    figure = exports.with_context(go.Figure(layout={"title": "T", "margin": {"t": 60}}), "privlens · experiment x")
    assert figure.layout.title.subtitle.text == "privlens · experiment x" and figure.layout.margin.t == 78
    frame = pd.DataFrame({"model": ["Gen"], "experiment": ["old"]})
    out = exports.with_context_columns(frame, "demo", True)
    assert out.columns.tolist() == ["experiment", "corpora", "model"] and out.experiment.tolist() == ["demo"]
    assert pd.read_csv(__import__("io").StringIO(out.to_csv(index=False))).corpora[0] == exports.SYNTHETIC_CORPORA


def test_wrapping_columns_css_is_scoped_to_its_container():
    css = layout.wrapping_columns_css("model_cards", 260)
    assert css.count(".st-key-model_cards ") == 2 and "minmax(260px, 1fr)" in css
    with pytest.raises(ValueError, match="key"):
        layout.wrapping_columns_css("x} body {display:none", 260)
    assert layout.wrapping_links_css("start_here").startswith(".st-key-start_here ")
    with pytest.raises(ValueError, match="key"):
        layout.wrapping_links_css("a b")


def points(xs, ys, models) -> pd.DataFrame:
    return pd.DataFrame({"model": models, "split": "within", "gender_uar": xs, "valence_uar": ys,
                         "attention_check": [m == "ArtNoise" for m in models]})


def test_trade_off_points_are_named_apart_and_gen_is_drawn_last():
    mine = points([0.8, 0.8, 0.8, 0.6], [0.8, 0.8, 0.81, 0.5], ["Gen", "PrivAdv", "PrivAug", "ArtNoise"])
    figure = charts.privacy_utility(mine, "within")
    assert [t.text[0] for t in figure.data][-1] == "Gen" and all(t.mode == "markers+text" for t in figure.data)
    together = [t.textposition for t in figure.data if t.text[0] != "ArtNoise"]
    assert len(set(together)) == 3  # three points on one spot: three label places
    assert figure.layout.title.text.count("<br>") == 1 and figure.layout.margin.t > 60


def test_label_positions_avoid_each_other_only_when_needed():
    far = charts.label_positions(pd.Series([0.3, 0.9]), pd.Series([0.2, 0.9]), pd.Series(["A", "B"]),
                                 x_range=(0.3, 1.0), y_range=(0.2, 1.0))
    assert far == ["middle right", "middle right"]
    near = charts.label_positions(pd.Series([0.5, 0.5]), pd.Series([0.5, 0.5]), pd.Series(["Gen", "PrivAdv"]),
                                  x_range=(0.3, 1.0), y_range=(0.2, 1.0))
    assert near[0] != near[1]


def test_budget_ticks_are_the_budgets_measured():
    curve = pd.DataFrame({"method": "Gen", "budget": [50, 100, 250, 2000], "gender_uar": 0.7, "low": 0.6,
                          "high": 0.8})
    axis = charts.attacker_budget(curve, "within").layout.xaxis
    assert list(axis.tickvals) == [50, 100, 250, 2000] and list(axis.ticktext) == ["50", "100", "250", "2,000"]


def test_verdicts_are_computed_from_head_and_probe():
    comparison = pd.DataFrame({"model": ["PrivAdv", "PrivAdv", "PrivAdv", "GenderExp"], "seed": [0, 1, 2, 0],
                               "head": [0.53, 0.52, 0.80, 0.84], "probe": [0.79, 0.55, 0.81, 0.83]})
    said = verdicts(comparison, {"PrivAdv"})
    assert "only fooled its own adversary" in said[0] and "0.530" in said[0] and "0.790" in said[0]
    assert "removed gender" in said[1] and "still reads gender" in said[2] and "trained to read gender" in said[3]
    assert verdicts(comparison.assign(probe=0.5 + NEAR_CHANCE), {"PrivAdv"})[0].count("removed gender") == 1
    inverted = verdicts(comparison.assign(head=0.2), {"PrivAdv"})[1]  # an inverted head still reads gender
    assert "still reads gender" in inverted and "removed gender" not in inverted


def test_lambda_axis_starts_at_zero():
    assert lambda_range(pd.Series([0.985, 1.0]))[0] == 0.0 and lambda_range(pd.Series([0.985, 1.0]))[1] >= 1.0


def test_table2_csv_holds_numbers():
    shares = pd.DataFrame({"stratum": "all", "question": "T(V)", "model": ["Gen", "PrivAdv"], "share": [0.75, 0.25],
                           "ci_low": [0.5, 0.0], "ci_high": [1.0, 0.5], "responses": [4, 4]})
    table = analysis.table2_numbers(shares)
    assert table.model.tolist() == ["Gen", "PrivAdv"]
    assert table.loc[0, ["T(V) all value", "T(V) all low", "T(V) all high", "T(V) all n"]].tolist() == [0.75, 0.5,
                                                                                                          1.0, 4]
    assert all(re.match(r"^(model|.+ (value|low|high|n))$", c) for c in table.columns)
    assert table["T(Priv) high_mad value"].isna().all()  # a stratum with no responses: NaN, not text


def test_every_method_has_a_glossary_free_label():
    assert all(glossary.words(name) == name for name in METHODS)
