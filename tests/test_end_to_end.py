"""End to end on the real packaged all-MiniLM-L6-v2: demo corpora on disk → every stage → Table 1."""
from __future__ import annotations

import dataclasses

import pandas as pd

from core.config import load_config
from core.pipeline.artifacts import PROJECT_ROOT, STAGES, ExperimentPaths
from core.pipeline.build import build


def test_demo_experiment_runs_every_stage_on_the_packaged_encoder(tmp_path):
    demo = load_config(PROJECT_ROOT / "scripts" / "experiments" / "demo.toml")
    config = dataclasses.replace(
        demo,
        data=dataclasses.replace(demo.data, demo_scale=0.08),
        train=dataclasses.replace(demo.train, epochs=1, batch_size=64),
        explain=dataclasses.replace(demo.explain, n_primary=8, n_cross=8, steps_grid=(8, 16)),
        metrics=dataclasses.replace(demo.metrics, bootstrap_resamples=100, probe_max_iter=100))
    paths = ExperimentPaths(tmp_path / "demo")
    manifest = build(config, paths=paths)

    assert (paths.demo_corpora / "iemocap" / "Session5").is_dir()  # the real on-disk layout was read
    assert list(manifest.data["stages"]) == list(STAGES)  # corpora … metrics, then the audit report
    assert paths.report.stat().st_size > 0
    assert manifest.stage("train")["trained"] == [f"{m}/seed0" for m in demo.methods.names]
    table = pd.read_csv(paths.metrics_table("table1"))
    assert table.model.tolist() == list(demo.methods.names)
    assert table.valence_uar_within.between(0, 1).all() and table.gender_uar_within.between(0, 1).all()
    words = pd.read_parquet(paths.attributions)
    assert words.groupby("method").utt_id.nunique().eq(16).all()
    assert words.delta.abs().lt(1).all()

    again = build(config, stages=["train"], paths=paths)  # nothing changed: nothing retrains
    assert again.stage("train")["trained"] == []
