"""The dashboard's pure functions (core.dashboard.views, core.dashboard.charts) on small hand-made frames."""
from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import pytest

from core.dashboard import charts, cross_corpus, experiment, explore, lexicon_overlap, privacy_metrics
from core.data.lexicons import GenderLexicon, LexiconEntry, ValenceLexicon
from core.data.words import split_words
from core.pipeline import statistics
from core.pipeline.artifacts import MANIFEST_VERSION, ExperimentPaths
from core.pipeline.metrics import explanation_set

LEXICON = GenderLexicon((LexiconEntry(("maybe",), "hedge", "F"), LexiconEntry(("kind", "of"), "hedge", "F"),
                         LexiconEntry(("wife",), "gendered_term", "M"), LexiconEntry(("right",), "tag_question", "F")))


def utterances_frame() -> pd.DataFrame:
    """Three utterances × (Gen, PrivAdv, ArtNoise): u1 all right, u2 Gen wrong, u3 models disagree."""
    rows = []
    predicted = {"u1": ("high", "high", "high"), "u2": ("low", "high", "high"), "u3": ("mid", "mid", "low")}
    gold = {"u1": "high", "u2": "high", "u3": "mid"}
    for utt, preds in predicted.items():
        for method, p in zip(("Gen", "PrivAdv", "ArtNoise"), preds):
            text = f"text of {utt}" + (" zq1" if method == "ArtNoise" else "")
            rows.append({"method": method, "seed": 0, "role": "primary", "utt_id": utt, "gender": "F" if utt != "u3"
                         else "M", "valence_class": gold[utt], "text": text, "predicted": p, "target": p})
    return pd.DataFrame(rows)


def test_utterance_choices_filter_by_agreement_gender_and_valence():
    u = utterances_frame()
    ids = lambda **kw: explore.utterance_choices(u, seed=0, role="primary", **kw).utt_id.tolist()  # noqa: E731
    assert ids() == ["u1", "u2", "u3"]
    assert ids(agreement="every model right") == ["u1"]
    assert ids(agreement="Gen wrong") == ["u2"]
    assert ids(agreement="models disagree") == ["u2", "u3"]
    assert ids(gender="M") == ["u3"] and ids(valence="high") == ["u1", "u2"]
    assert explore.utterance_choices(u, seed=0, role="cross").empty
    shown = explore.utterance_choices(u, seed=0, role="primary")
    assert "zq1" not in " ".join(shown.text)  # the text a person reads, not ArtNoise's noisy copy
    with pytest.raises(ValueError, match="agreement"):
        explore.utterance_choices(u, seed=0, role="primary", agreement="most")


def words_frame(weights: dict[tuple[str, str], list[float]], texts: dict[str, str]) -> pd.DataFrame:
    rows = []
    for (method, utt), ws in weights.items():
        words = split_words(texts[utt])
        assert len(words) == len(ws)
        rows += [{"method": method, "seed": 0, "role": "primary", "utt_id": utt, "word_index": i, "word": w.text,
                  "start": w.start, "end": w.end, "weight": x} for i, (w, x) in enumerate(zip(words, ws))]
    return pd.DataFrame(rows)


TEXTS = {"a": "maybe my wife is kind of sad", "b": "it was fine right"}
WEIGHTS = {("Gen", "a"): [0.4, 0.0, 0.3, -0.1, 0.05, 0.05, 0.1], ("Gen", "b"): [0.1, 0.1, 0.5, 0.3],
           ("PrivAdv", "a"): [-0.2, 0.1, -0.3, 0.1, 0.0, 0.0, 0.3], ("PrivAdv", "b"): [-0.5, -0.1, -0.2, -0.2]}


def test_explanation_set_words_agree_with_the_metric_and_carry_categories():
    sets = lexicon_overlap.explanation_set_words(words_frame(WEIGHTS, TEXTS), LEXICON, k=2)
    for (method, utt), weights in WEIGHTS.items():
        forms = [w.text.lower() for w in split_words(TEXTS[utt])]
        mine = sets[(sets.method == method) & (sets.utt_id == utt)].dropna(subset=["form"])
        assert mine.form.tolist() == list(explanation_set(forms, weights, k=2))
    gen_a = sets[(sets.method == "Gen") & (sets.utt_id == "a")].set_index("form").categories
    assert gen_a.to_dict() == {"maybe": ("hedge",), "wife": ("gendered_term",)}
    empty = sets[(sets.method == "PrivAdv") & (sets.utt_id == "b")]
    assert len(empty) == 1 and empty.form.isna().all()  # no positive weight: an empty set, still counted


def test_lexicon_overlap_shares_are_per_explanation_set():
    sets = lexicon_overlap.explanation_set_words(words_frame(WEIGHTS, TEXTS), LEXICON, k=2)
    overlap = lexicon_overlap.lexicon_overlap(sets).set_index(["model", "category"]).share
    # Gen: a → {maybe, wife} (hedge, gendered_term); b → {fine, right} (tag_question). Two sets.
    assert overlap[("Gen", "any")] == 1.0
    assert overlap[("Gen", "hedge")] == 0.5 and overlap[("Gen", "tag_question")] == 0.5
    # PrivAdv: a → {sad, my} (k=2: 0.3, then "my" 0.1 before "is" 0.1), b → {} : no lexicon word at all.
    assert overlap[("PrivAdv", "any")] == 0.0 and overlap[("PrivAdv", "hedge")] == 0.0


def test_lexicon_overlap_is_zero_when_no_set_holds_a_lexicon_word():
    sets = lexicon_overlap.explanation_set_words(words_frame(WEIGHTS, TEXTS), LEXICON, k=2)
    overlap = lexicon_overlap.lexicon_overlap(sets.assign(categories=[()] * len(sets)))
    assert overlap.to_dict("records") == [{"model": "Gen", "category": "any", "sets": 0, "share": 0.0},
                                          {"model": "PrivAdv", "category": "any", "sets": 0, "share": 0.0}]


def test_words_behind_a_bar_name_an_example_utterance():
    u = pd.DataFrame({"method": ["Gen", "Gen"], "role": ["primary"] * 2, "utt_id": ["a", "b"],
                      "text": [TEXTS["a"], TEXTS["b"]]})
    sets = lexicon_overlap.explanation_set_words(words_frame(WEIGHTS, TEXTS), LEXICON, k=2)
    behind = lexicon_overlap.words_behind(sets, u, method="Gen", category="any")
    assert behind.word.tolist() == ["maybe", "right", "wife"]
    assert behind.set_index("word").loc["right", "example"] == TEXTS["b"]
    assert lexicon_overlap.words_behind(sets, u, method="PrivAdv", category="hedge").empty


def test_bootstrap_uar_brackets_the_point_estimate():
    gold = ["low", "mid", "high"] * 20
    pred = ["low", "mid", "mid"] * 20  # recalls 1, 1, 0 → UAR 2/3
    uar, low, high = statistics.bootstrap_uar(gold, pred, resamples=200, seed=1)
    assert uar == pytest.approx(2 / 3) and low <= uar <= high and high - low < 0.2
    assert statistics.bootstrap_uar(gold, gold, resamples=50) == (1.0, 1.0, 1.0)


def test_mean_intervals_per_model():
    frame = pd.DataFrame({"method": ["A"] * 4 + ["B"] * 2, "mad_i": [0.0, 0.0, 0.0, 0.4, 1.0, np.nan]})
    out = statistics.mean_intervals(frame, "mad_i", resamples=300).set_index("model")
    assert out.loc["A", "mean"] == pytest.approx(0.1) and out.loc["A", "low"] == 0.0 and out.loc["A", "high"] > 0.1
    assert out.loc["B", "n"] == 1 and out.loc["B", "low"] == out.loc["B", "high"] == 1.0
    assert statistics.mean_intervals(frame.iloc[:0], "mad_i").columns.tolist() == ["model", "mean", "low", "high", "n"]


def table1() -> pd.DataFrame:
    return pd.DataFrame({
        "model": ["Gen", "PrivAdv", "PrivAug", "GenderExp", "ArtNoise"],
        "valence_uar_within": [0.80, 0.78, 0.81, 0.79, 0.95], "valence_uar_cross": [0.70, 0.69, 0.70, 0.68, 0.9],
        "gender_uar_within": [0.74, 0.61, 0.70, 0.90, 0.95], "gender_uar_cross": [0.6, 0.55, 0.58, 0.7, 0.8],
        "mad": [0.0, 0.02, 0.01, -0.03, 0.0], "psc": [0.01, 0.012, 0.011, 0.013, 0.001],
        "gender_uar_within_std": [0.01, 0.02, np.nan, 0.0, 0.0],
        "gender_uar_within_p": [np.nan, 0.012, 0.4, 0.001, 0.001],
        "gender_uar_within_sig": [np.nan, True, False, True, True]})


def test_format_table1_writes_value_std_and_significance():
    shown = privacy_metrics.format_table1(table1())
    assert shown.columns.tolist() == ["model", "valence, primary ↑", "valence, cross ↑", "gender leak, primary ↓",
                                      "gender leak, cross ↓", "MAD ↑", "Psc ↓"]  # psc_words, optional, is absent
    assert shown.loc[1, "gender leak, primary ↓"] == "0.610 ± 0.020 *"
    assert shown.loc[2, "gender leak, primary ↓"] == "0.700"  # no std (one seed), not significant
    assert shown.loc[0, "MAD ↑"] == "0.000"
    assert shown.model.tolist()[-1] == "ArtNoise (attention check)"
    assert privacy_metrics.missing_optional(table1()) == ["psc_words", "gender_uar_linear_within",
                                                          "gender_uar_linear_cross", "gender_uar_mlp_within",
                                                          "gender_uar_mlp_cross"]
    help_texts = privacy_metrics.column_help(table1())
    assert list(help_texts) == shown.columns.tolist()[1:] and "gender" in help_texts["gender leak, primary ↓"]


def test_the_significance_level_is_the_metrics_stages_alpha(tmp_path):
    def built_with(metrics_stage: dict) -> experiment.Experiment:
        manifest = {"config": {"metrics": {"alpha": 0.2}}, "stages": {"metrics": metrics_stage}}
        return experiment.Experiment("x", ExperimentPaths(tmp_path / "x"), manifest)

    # A metrics-only rebuild with a new alpha records it with the stage, not in the experiment's config
    assert privacy_metrics.significance_level(built_with({"config": {"metrics": {"alpha": 0.01}}})) == 0.01
    assert privacy_metrics.significance_level(built_with({"config": {}})) == 0.05  # not recorded: the default


def test_plain_summary_names_the_least_leaky_model_its_cost_and_significance():
    text = " ".join(privacy_metrics.plain_summary(table1(), alpha=0.05))
    assert "**PrivAdv leaks least.**" in text  # not ArtNoise or GenderExp, whatever their numbers
    assert "0.610, against 0.740" in text and "0.780 vs 0.800 for Gen (-0.020)" in text
    assert "statistically significant at level 0.05 (Holm-adjusted p = 0.012)" in text and "**not**" not in text
    assert "ArtNoise is the attention check" in text and "GenderExp" in text
    flipped = table1().assign(gender_uar_within_sig=[np.nan, False, False, True, True])
    assert "**not** statistically significant at level 0.01" in " ".join(
        privacy_metrics.plain_summary(flipped, alpha=0.01))
    with pytest.raises(ValueError, match="psc"):
        privacy_metrics.plain_summary(table1().drop(columns="psc"), alpha=0.05)


def test_weight_contrast_shares_of_positive_weight_per_group():
    words = words_frame(WEIGHTS, TEXTS)
    cases = pd.DataFrame({"role": ["primary", "primary"], "utt_id": ["a", "b"], "right": [True, False]})
    valence = ValenceLexicon({"sad": 0.1, "fine": 0.6}, source="test")
    contrast = cross_corpus.weight_contrast(cases, words, valence, LEXICON, method="Gen", seed=0, top=2)
    v = contrast["valence"].set_index(["group", "key"]).share
    # right (a): positive weights 0.4 + 0.3 + 0.05 + 0.05 + 0.1 = 0.9, "sad" (low) holds 0.1
    assert v[("right", "low")] == pytest.approx(0.1 / 0.9) and v[("right", "none")] == pytest.approx(0.8 / 0.9)
    assert v[("wrong", "mid")] == pytest.approx(0.5 / 1.0)
    g = contrast["gender"].set_index(["group", "key"]).share
    assert g[("right", "hedge")] == pytest.approx((0.4 + 0.05 + 0.05) / 0.9)  # maybe + kind + of
    assert g[("wrong", "tag_question")] == pytest.approx(0.3)
    assert contrast["words"][contrast["words"].group == "right"].key.tolist() == ["maybe", "wife"]
    listed = cross_corpus.weight_contrast(cases, words, valence, LEXICON, method="Gen", seed=0, top=10)["words"]
    assert listed[listed.group == "wrong"].key.tolist() == ["fine", "right"]  # "it", "was": function words, unlisted
    assert "of" in listed.key.tolist()  # a function word in the gender lexicon ("kind of", a hedge) is listed


def test_case_and_card_html_escape_text_and_show_the_swap():
    text = "<b>maybe</b> my wife"
    words = split_words(text)
    case = pd.Series({"valence_class": "high", "predicted": "<i>low</i>", "gender": "F", "text": text})
    shown = cross_corpus.case_html(case, words, [0.1] * len(words), scale=0.5, valence=ValenceLexicon({}, source="t"),
                            gender=LEXICON)
    assert "<b>maybe" not in shown and "<i>" not in shown and "&lt;i&gt;low" in shown
    probs = {"low": 0.2, "mid": 0.3, "high": 0.5}
    card = explore.card("ArtNoise", text, words, [0.1] * len(words), probs, LEXICON, k=2)
    assert card.predicted == "high" and card.attention_check
    other = explore.card("Gen", "my husband", split_words("my husband"), [0.2, 0.3], {"low": 0.6, "mid": 0.2,
                                                                                     "high": 0.2}, LEXICON)
    out = explore.card_html(explore.Reading(card, {"logreg": 0.8, "mlp": 0.996}), scale=0.5,
                            swapped=explore.Reading(other, {"logreg": 0.3, "mlp": 0.4}))
    visible = html.unescape(re.sub(r"<[^>]+>", "", out))
    assert "attention check" in visible and "Linear attacker: 80% sure the speaker is female" in visible
    assert "Nonlinear attacker: > 99 % sure the speaker is female" in visible  # 0.996 is not "100 %"
    assert "prediction high → low (changed) · linear attacker P(female) 0.80 → 0.30" in visible
    assert "<b>maybe</b> my wife" in visible and "<b>maybe" not in out
    assert "no stored gender probe" in explore.card_html(explore.Reading(other, {}), scale=0.5)


def test_typed_text_problems():
    assert "Type a sentence" in explore.typed_text_problem("  \n\t ")
    assert "Type a sentence" in explore.typed_text_problem(None)
    assert explore.typed_text_problem("😀") is None and explore.typed_text_problem("a") is None


def write_manifest(base, name: str, value) -> ExperimentPaths:
    paths = ExperimentPaths.for_experiment(name, base)
    paths.root.mkdir(parents=True)
    paths.manifest.write_text(value if isinstance(value, str) else json.dumps(value))
    return paths


def test_open_experiment_explains_missing_corrupt_and_older_builds(tmp_path):
    with pytest.raises(experiment.ArtifactError, match="has not been built") as error:
        experiment.open_experiment("demo", tmp_path)
    assert error.value.command == ".venv/bin/python -m scripts.build scripts/experiments/demo.toml"
    write_manifest(tmp_path, "broken", '{"version": 2, "conf')
    with pytest.raises(experiment.ArtifactError, match="manifest.json is not readable JSON"):
        experiment.open_experiment("broken", tmp_path)
    write_manifest(tmp_path, "old", {"version": MANIFEST_VERSION - 1})
    with pytest.raises(experiment.ArtifactError, match="older privlens"):
        experiment.open_experiment("old", tmp_path)


def test_read_frame_names_the_stage_and_the_missing_column(tmp_path):
    config = {"source": "scripts/experiments/mine.toml", "data": {"primary": {"path": "/data/iemocap"}}}
    paths = write_manifest(tmp_path, "mine", {"version": MANIFEST_VERSION, "config": config})
    exp = experiment.open_experiment("mine", tmp_path)
    assert not exp.synthetic
    with pytest.raises(experiment.ArtifactError, match="explain") as error:
        experiment.explained(exp)
    assert error.value.command.endswith("scripts/experiments/mine.toml --stages explain")
    paths.metrics_dir.mkdir()
    pd.DataFrame({"model": ["Gen"], "mad": [0.0]}).to_csv(paths.metrics_table("table1"), index=False)
    with pytest.raises(experiment.ArtifactError, match="older privlens .*valence_uar_within"):
        experiment.metrics_frame(exp, "table1", privacy_metrics.required_columns())
    paths.predictions("Gen", 0).parent.mkdir()
    paths.predictions("Gen", 0).write_bytes(b"not parquet")
    with pytest.raises(experiment.ArtifactError, match="unreadable"):
        experiment.read_frame(exp, paths.predictions("Gen", 0), "predict")
    assert cross_corpus.psc_correlation(exp) is None  # not computed yet
    pd.DataFrame([{}]).to_csv(paths.metrics_table("psc_correlation"), index=False)  # what a build writes when undefined
    assert cross_corpus.psc_correlation(exp) is None
    row = {"pearson_r": 0.5, "pearson_p": 0.4, "spearman_rho": 0.3, "spearman_p": 0.6, "n": 5}
    pd.DataFrame([row]).to_csv(paths.metrics_table("psc_correlation"), index=False)
    assert cross_corpus.psc_correlation(exp)["pearson_r"] == 0.5
    pd.DataFrame([{k: v for k, v in row.items() if k != "n"}]).to_csv(paths.metrics_table("psc_correlation"),
                                                                      index=False)  # an older build's row
    with pytest.raises(experiment.ArtifactError, match=r"psc_correlation\.csv` was written by an older privlens "
                                                       r"\(no column n\)"):
        cross_corpus.psc_correlation(exp)


def test_charts_anchor_axes_draw_chance_and_mark_the_attention_check():
    points = privacy_metrics.scatter_points(table1())
    figure = charts.privacy_utility(points, "within")
    assert tuple(figure.layout.xaxis.range) == (0.3, 1.0) and tuple(figure.layout.yaxis.range) == (0.2, 1.0)
    lines = [(s.type, s.x0, s.y0) for s in figure.layout.shapes]
    assert ("line", 0.5, 0) in lines and any(y == pytest.approx(1 / 3) for _, _, y in lines)
    assert figure.data[0].error_x.array is None  # no intervals given: no whiskers
    intervals = pd.DataFrame({"model": ["Gen"], "split": ["within"], "gender_low": [0.7], "gender_high": [0.8],
                              "valence_low": [0.75], "valence_high": [0.85]})
    drawn = charts.privacy_utility(privacy_metrics.scatter_points(table1(), intervals), "within").data
    whiskers = drawn[-1]  # Gen, drawn last: on top
    assert list(whiskers.error_x.arrayminus) == pytest.approx([0.04]) and list(whiskers.error_y.array) == \
        pytest.approx([0.05])
    artnoise = next(t for t in figure.data if t.name.startswith("ArtNoise"))
    assert artnoise.name == "ArtNoise (attention check)" and artnoise.marker.symbol == "x"
    uars = pd.DataFrame({"model": ["Gen", "Gen"], "split": ["within", "cross"], "uar": [0.8, 0.7],
                         "low": [0.75, 0.6], "high": [0.85, 0.8]})
    bars = charts.within_cross(uars)
    assert tuple(bars.layout.yaxis.range) == (0, 1)
    assert list(bars.data[0].error_y.arrayminus) == pytest.approx([0.05])
    assert charts.download_config("x", "svg")["toImageButtonOptions"]["format"] == "svg"


def references() -> pd.DataFrame:
    rows = [("chance", p, s, 0.5) for p in ("logreg", "mlp", "stronger") for s in ("within", "cross")]
    rows += [("untrained encoder", "logreg", "within", 0.79), ("untrained encoder", "mlp", "within", 0.81),
             ("untrained encoder", "stronger", "within", 0.81), ("untrained encoder", "stronger", "cross", 0.69)]
    rows += [("planted markers", "stronger", "within", 0.8361)]
    return pd.DataFrame(rows, columns=["reference", "probe", "split", "gender_uar"])


def test_references_read_as_a_line_a_grid_under_table1s_headers_and_a_level():
    assert privacy_metrics.reference_line(references(), "within") == \
        "chance 0.500 · untrained encoder 0.810 · planted markers 0.836"
    assert privacy_metrics.reference_line(references(), "cross", "logreg") == "chance 0.500"
    grid = privacy_metrics.reference_grid(references()).set_index("reference")
    assert grid.columns.tolist() == ["gender leak, primary ↓", "gender leak, cross ↓", "linear attacker, primary ↓",
                                     "linear attacker, cross ↓", "nonlinear attacker, primary ↓",
                                     "nonlinear attacker, cross ↓"]
    assert grid.loc["untrained encoder", "linear attacker, primary ↓"] == "0.790"
    assert grid.loc["planted markers", "gender leak, cross ↓"] == "–"  # not measured: a dash, not a crash
    assert privacy_metrics.untrained_level(references(), "cross") == 0.69
    assert privacy_metrics.untrained_level(references(), "cross", "mlp") is None
    assert privacy_metrics.untrained_level(None, "within") is None


def curve() -> pd.DataFrame:
    """Two models' attacker curves as metrics/attacker_curve.csv holds them (seed 0, one split shown)."""
    rows = []
    for model, shift in (("Gen", 0.0), ("PrivAdv", -0.05)):
        for budget, uar in ((500, 0.75), (50, 0.6), (100, 0.7)):
            rows.append((model, 0, "logreg", budget, "within", uar + shift, uar + shift - 0.05, uar + shift + 0.02,
                         "subsamples"))
        for probe, uar in (("mlp2", 0.84), ("logreg", 0.8), ("mlp", 0.82)):
            rows.append((model, 0, probe, 2000, "within", uar + shift, uar + shift - 0.03, uar + shift + 0.03,
                         "bootstrap"))
    rows.append(("Gen", 1, "logreg", 50, "within", 0.1, 0.1, 0.1, "subsamples"))  # another seed: not shown
    rows.append(("Gen", 0, "logreg", 50, "cross", 0.1, 0.1, 0.1, "subsamples"))  # another split: not shown
    return pd.DataFrame(rows, columns=["method", "seed", "probe", "budget", "split", "gender_uar", "low", "high",
                                       "interval"])


def test_attacker_curves_order_points_and_chart_them_with_bars_and_references():
    budget = privacy_metrics.budget_curve(curve(), seed=0, split="within")
    assert budget[budget.method == "Gen"].budget.tolist() == [50, 100, 500, 2000]
    capacity = privacy_metrics.capacity_curve(curve(), seed=0, split="within")
    assert capacity[capacity.method == "PrivAdv"].capacity.tolist() == ["linear", "MLP (128)", "MLP (128, 128)"]
    figure = charts.attacker_budget(budget, "within", untrained=0.79)
    assert figure.layout.xaxis.type == "log" and tuple(figure.layout.yaxis.range) == (0.3, 1.0)
    assert [t.name for t in figure.data] == ["Gen", "PrivAdv"] and figure.data[0].line.color == "#000000"
    assert list(figure.data[0].x) == [50, 100, 500, 2000]
    assert list(figure.data[0].error_y.arrayminus) == pytest.approx([0.05, 0.05, 0.05, 0.03])
    assert sorted(s.y0 for s in figure.layout.shapes) == [0.5, 0.79]  # chance and the untrained encoder
    figure = charts.attacker_capacity(capacity, "cross")
    assert list(figure.data[1].x) == ["linear", "MLP (128)", "MLP (128, 128)"] and "cross corpus" in \
        figure.layout.title.text
    assert [s.y0 for s in figure.layout.shapes] == [0.5]  # no references: chance only
    trade_off = charts.privacy_utility(privacy_metrics.scatter_points(table1()), "within", untrained=0.81)
    assert ("line", 0.81) in [(s.type, s.x0) for s in trade_off.layout.shapes]


def test_the_pages_resolve_the_valence_lexicon_as_the_build_does(tmp_path):
    def built_with(metrics: dict, source: str | None) -> experiment.Experiment:
        config = {"metrics": metrics, **({"source": source} if source else {})}
        return experiment.Experiment("x", ExperimentPaths(tmp_path / "x"), {"config": config})

    relative = {"valence_lexicon": "lexicons/nrc.txt"}
    assert built_with(relative, "experiments/paper.toml").valence_lexicon == "experiments/lexicons/nrc.txt"
    assert built_with({"valence_lexicon": "/data/nrc.txt"}, "experiments/paper.toml").valence_lexicon == "/data/nrc.txt"
    assert built_with({}, "experiments/paper.toml").valence_lexicon == ""  # VADER


def test_the_p_value_shown_is_the_one_of_the_test_that_decided_the_mark():
    table = pd.DataFrame({"mad_p": [0.2, 0.03], "mad_p_ttest": [0.01, np.nan], "mad_sig": [True, True]})
    assert privacy_metrics.deciding_p(table, "mad").tolist() == [0.01, 0.03]  # t-test with ≥ 3 seeds, else bootstrap
    assert privacy_metrics.deciding_p(table.iloc[0], "mad") == 0.01
    assert privacy_metrics.deciding_p(table.drop(columns="mad_p_ttest").iloc[0], "mad") == 0.2  # an older table
