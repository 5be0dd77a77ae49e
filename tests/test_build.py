"""The build pipeline on a tiny random BERT: resume, fingerprints, every stage's artifacts."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import core.pipeline.build as build_module
from core.config import ExperimentConfig, ExplainConfig, MethodsConfig, MetricsConfig, ModelConfig, TrainConfig
from core.pipeline.artifacts import METRICS_TABLES, STAGES, ExperimentPaths, read_json, write_json
from core.pipeline.build import build
from core.pipeline.explain import calibrated_steps, explain, load_explainer
from core.pipeline.files import file_record
from core.schema import ROLES


class Killed(Exception):
    """Stands in for a build killed mid-way."""


def tiny_config(encoder: str, methods: tuple[str, ...]) -> ExperimentConfig:
    return ExperimentConfig(
        name="tiny", model=ModelConfig(encoder=encoder, max_length=16, gender_hidden=8),
        train=TrainConfig(seeds=(0,), epochs=1, patience=1, batch_size=36, lr=1e-3),
        methods=MethodsConfig(names=methods),
        explain=ExplainConfig(n_primary=6, n_cross=4, n_steps=8, batch_size=4),
        metrics=MetricsConfig(bootstrap_resamples=50, probe_max_iter=50))


@pytest.fixture
def experiment(tmp_path, tiny_corpora) -> ExperimentPaths:
    """An experiment folder whose corpora stage has already run (tables written directly)."""
    paths = ExperimentPaths(tmp_path / "tiny")
    for role in ROLES:
        paths.corpus_table(role).parent.mkdir(parents=True, exist_ok=True)
        getattr(tiny_corpora, role).to_parquet(paths.corpus_table(role), index=False)
    return paths


def test_killed_build_resumes_with_the_unfinished_models(experiment, tiny_encoder, monkeypatch):
    config = tiny_config(tiny_encoder, ("Gen", "GenderExp", "PrivAdv"))
    real_train_one, calls = build_module.train_one, []

    def killed_after_one(ctx, method, seed, device):
        if calls:
            raise Killed  # the build dies during the second model
        calls.append(method)
        return real_train_one(ctx, method, seed, device)

    monkeypatch.setattr(build_module, "train_one", killed_after_one)
    with pytest.raises(Killed):
        build(config, stages=["train"], paths=experiment)
    assert (experiment.model_dir("Gen", 0) / "model.json").exists()
    assert not experiment.model_dir("GenderExp", 0).exists()

    monkeypatch.setattr(build_module, "train_one", real_train_one)
    manifest = build(config, stages=["train"], paths=experiment)
    assert manifest.stage("train")["skipped"] == ["Gen/seed0"]
    assert manifest.stage("train")["trained"] == ["GenderExp/seed0", "PrivAdv/seed0"]

    rerun = build(config, stages=["train"], paths=experiment)
    assert rerun.stage("train")["trained"] == []
    changed = dataclasses.replace(config, methods=dataclasses.replace(config.methods, adv_lambda_max=0.5))
    assert build(changed, stages=["train"], paths=experiment).stage("train")["trained"] == [
        "PrivAdv/seed0"]  # only the recipe that reads the changed setting is stale
    slower = dataclasses.replace(changed, train=dataclasses.replace(changed.train, lr=1e-4))
    assert build(slower, stages=["train"], paths=experiment).stage("train")["trained"] == [
        "Gen/seed0", "GenderExp/seed0", "PrivAdv/seed0"]  # a shared training knob makes every model stale


def test_killed_explain_stage_resumes_with_the_unfinished_models(experiment, tiny_encoder, monkeypatch):
    config = tiny_config(tiny_encoder, ("Gen", "GenderExp"))
    build(config, stages=["train", "predict"], paths=experiment)
    real_explain_one, calls = build_module.explain_one, []

    def killed_after_one(ctx, method, seed, sample, device):
        if calls:
            raise Killed
        calls.append(method)
        return real_explain_one(ctx, method, seed, sample, device)

    monkeypatch.setattr(build_module, "explain_one", killed_after_one)
    with pytest.raises(Killed):
        build(config, stages=["explain"], paths=experiment)
    monkeypatch.setattr(build_module, "explain_one", real_explain_one)
    assert build(config, stages=["predict", "explain"], paths=experiment).stage("explain")["explained"] == [
        "GenderExp/seed0"]
    assert build(config, stages=["predict"], paths=experiment).stage("predict")["predicted"] == []
    fixed = dataclasses.replace(config, explain=dataclasses.replace(config.explain, top_k=3))
    assert build(fixed, stages=["explain"], paths=experiment).stage("explain")["explained"] == [
        "Gen/seed0", "GenderExp/seed0"]


def test_all_stages_write_their_artifacts(experiment, tiny_encoder):
    methods = ("Gen", "PrivAdv", "PrivAug", "PrivBias", "GenderExp", "ArtNoise")
    manifest = build(tiny_config(tiny_encoder, methods), stages=["train", "predict", "explain", "metrics"],
                     paths=experiment)
    assert set(manifest.data["stages"]) == {"train", "predict", "explain", "metrics"}
    assert all(record["seconds"] >= 0 for record in manifest.data["stages"].values())

    predictions = pd.read_parquet(experiment.predictions("ArtNoise", 0))
    assert set(predictions.role) == {"primary", "cross"}
    assert predictions[["p_low", "p_mid", "p_high"]].sum(axis=1).round(5).eq(1).all()
    assert predictions.text.str.contains(r"\bz[qx][012]\b").any()  # ArtNoise predicts on its noisy copy

    words = pd.read_parquet(experiment.attributions)
    required = {"method", "seed", "corpus", "split", "utt_id", "word_index", "word", "score", "weight", "target",
                "delta"}
    assert required <= set(words.columns)
    norms = words.groupby(["method", "utt_id"]).weight.apply(lambda w: np.sqrt((w ** 2).sum()))
    assert norms.between(0.999, 1.001).all()  # explain.normalisation "l2"
    assert words.groupby("method").utt_id.nunique().eq(10).all()  # 6 primary test + 4 cross per model

    table = pd.read_csv(experiment.metrics_table("table1"))
    assert table.columns[:8].tolist() == ["model", "valence_uar_within", "valence_uar_cross", "gender_uar_within",
                                          "gender_uar_cross", "mad", "psc", "psc_words"]
    assert table.model.tolist() == list(methods)
    assert table.loc[table.model == "Gen", "mad"].item() == 0.0
    assert table[["valence_uar_within", "gender_uar_within"]].apply(lambda c: c.between(0, 1)).all().all()
    assert {"valence_uar_within_p", "mad_p", "psc_sig", "psc_words_p"} <= set(table.columns)
    # Psc's set N is the utterances Gen gets right: a tiny random model may get none, then both readings are NaN
    assert table.psc_words.isna().equals(table.psc.isna())
    assert table.psc_words.dropna().between(0, 1).all()
    for name in ("mad_categories", "faithfulness", "mad_utterances", "probes"):
        assert experiment.metrics_table(name).exists()
    references = pd.read_csv(experiment.metrics_table("leakage_reference"))  # no demo ground truth: no markers
    assert references.reference.unique().tolist() == ["chance", "untrained encoder"]
    assert set(references.probe) == {"logreg", "mlp", "stronger"} and references.gender_uar.between(0, 1).all()
    curve = pd.read_csv(experiment.metrics_table("attacker_curve"))  # 48 labelled rows: only the full budget
    assert set(curve.method) == set(methods) and set(curve.probe) == {"logreg", "mlp", "mlp2"}
    assert set(curve.budget) == {48} and (curve.interval == "bootstrap").all()
    markdown = experiment.metrics_table("table1", ".md").read_text()
    assert markdown.startswith("# Table 1") and "| model | valence_uar_within |" in markdown and "## p-values" in markdown
    assert read_json(experiment.manifest)["stages"]["explain"]["calibration"]["Gen/seed0"]["n_steps"] == 8
    jobs = [(m, 0) for m in methods]
    for stage in ("train", "predict", "explain", "metrics"):  # what each stage declares is there ...
        assert [p for p in experiment.stage_outputs(stage, jobs) if not p.exists()] == [], stage
    written = {p.stem for p in experiment.metrics_dir.glob("*.csv")}
    assert written == set(METRICS_TABLES)  # ... and the metrics stage writes no table it does not declare


def test_the_build_runs_the_stages_core_artifacts_names():
    assert list(build_module.STAGES) == list(STAGES)


def test_unknown_stage_is_refused(experiment, tiny_encoder):
    with pytest.raises(ValueError, match="unknown stage"):
        build(tiny_config(tiny_encoder, ("Gen",)), stages=["deploy"], paths=experiment)


def test_live_explanations_match_the_cache(experiment, tiny_encoder):
    build(tiny_config(tiny_encoder, ("Gen", "GenderExp")), stages=["train", "predict", "explain"], paths=experiment)
    cached = pd.read_parquet(experiment.attributions)
    one = cached[(cached.method == "GenderExp") & (cached.role == "cross")]
    utt_id = one.utt_id.iloc[0]
    words = one[one.utt_id == utt_id].sort_values("word_index")
    text = pd.read_parquet(experiment.explained).set_index(["method", "utt_id"]).loc[("GenderExp", utt_id), "text"]
    explainers = {m: load_explainer(experiment, m, 0) for m in ("Gen", "GenderExp")}
    steps = {m: calibrated_steps(experiment, m, 0) for m in explainers}
    live = explain([text, "a sentence nobody typed before"], explainers, n_steps=steps)
    assert steps == {"Gen": 8, "GenderExp": 8}
    assert [w.text for w in live["GenderExp"][0].words] == words.word.tolist()
    np.testing.assert_allclose(live["GenderExp"][0].weights, words.weight.to_numpy(), atol=1e-5)
    assert len(live["Gen"][1].words) == 5


def test_metrics_survive_a_baseline_that_gets_nothing_right(experiment, tiny_encoder, monkeypatch):
    """Psc's N is empty when Gen is wrong everywhere: Psc is then NaN, not a crash."""
    config = tiny_config(tiny_encoder, ("Gen", "PrivAdv", "GenderExp"))
    build(config, stages=["train", "predict", "explain"], paths=experiment)
    utterances = pd.read_parquet(experiment.explained)
    wrong = {"low": "mid", "mid": "high", "high": "low"}
    utterances.loc[utterances.method == "Gen", "predicted"] = utterances.valence_class.map(wrong)
    utterances.to_parquet(experiment.explained, index=False)
    manifest = read_json(experiment.manifest)  # the edit stands in for an explain stage whose Gen was all wrong
    manifest["stages"]["explain"]["outputs"]["explained.parquet"] = file_record(experiment.explained)
    write_json(experiment.manifest, manifest)
    table = pd.read_csv(build(config, stages=["metrics"], paths=experiment).paths.metrics_table("table1"))
    assert table.psc.isna().all() and table.mad.notna().all()
