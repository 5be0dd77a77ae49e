"""Settings flow once: a typed sentence is explained as the cache was, and Home's staleness follows the
config slices the build fingerprints (a tiny l1 build on a random BERT, made once for the module)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from core.config import ExperimentConfig, ExplainConfig, to_dict
from core.pipeline.artifacts import ExperimentPaths
from core.pipeline.build import build
from core.pipeline.explain import explain
from core.pipeline.status import experiment_status
from core.schema import ROLES
from tests.conftest import make_table
from tests.test_build import tiny_config

# Not the defaults anywhere it matters: l1 weights, a grid that stops at 12, an fp32 first pass.
L1 = ExplainConfig(n_primary=4, n_cross=2, steps_grid=(4, 8, 12), calibration_size=4, batch_size=4,
                   precision="fp32", normalisation="l1")


@pytest.fixture(scope="module")
def l1_build(tmp_path_factory, tiny_encoder) -> tuple[ExperimentConfig, ExperimentPaths]:
    """Gen alone through train, predict and explain (n_steps calibrated on L1's grid), one epoch."""
    paths = ExperimentPaths(tmp_path_factory.mktemp("live") / "tiny")
    tables = {"primary": make_table("primary", 2), "auxiliary": make_table("auxiliary", 1),
              "cross": make_table("cross", 1, splits=("all",))}
    for role in ROLES:
        paths.corpus_table(role).parent.mkdir(parents=True, exist_ok=True)
        tables[role].to_parquet(paths.corpus_table(role), index=False)
    config = dataclasses.replace(tiny_config(tiny_encoder, ("Gen",)), explain=L1)
    build(config, stages=["train", "predict", "explain"], paths=paths)
    return config, paths


def test_a_typed_sentence_gets_the_cached_weights_of_the_same_sentence(l1_build):
    from core.dashboard import live

    config, paths = l1_build
    cached = pd.read_parquet(paths.attributions)
    model = live.load(paths, "Gen", 0)  # as Explore loads a model for typed and swapped sentences
    assert model.settings == config.explain  # rebuilt from the manifest, not the defaults
    for utt_id, text in pd.read_parquet(paths.explained)[["utt_id", "text"]].head(3).itertuples(index=False):
        words = cached[cached.utt_id == utt_id].sort_values("word_index")
        reading = live.run(model, text)  # as Explore explains a typed sentence
        assert [w.text for w in reading.words] == words.word.tolist()
        assert reading.n_steps == words.n_steps.iloc[0]
        np.testing.assert_allclose(reading.weights, words.weight.to_numpy(), rtol=1e-5, atol=1e-7)
        assert np.abs(reading.weights).sum() == pytest.approx(1.0)  # l1, as the cache
    # What the live path did before: the default settings draw l2 weights, on another scale than the cache's.
    default = explain([text], {"Gen": model.explainer}, n_steps={"Gen": model.n_steps})["Gen"][0]
    assert np.sqrt((default.weights ** 2).sum()) == pytest.approx(1.0)
    assert not np.allclose(default.weights, reading.weights, atol=1e-3)


def test_home_calls_a_stage_stale_only_for_a_change_the_build_redoes_it_for(l1_build):
    config, paths = l1_build

    def states(changed: ExperimentConfig) -> dict[str, str]:
        return {s.stage: s.state for s in experiment_status(paths, to_dict(changed)) if s.stage != "corpora"}

    def train(**changes) -> ExperimentConfig:
        return dataclasses.replace(config, train=dataclasses.replace(config.train, **changes))

    built = {"train": "done", "predict": "done", "explain": "done", "metrics": "missing", "report": "missing"}
    assert states(config) == built
    moved = train(device="cpu", eval_batch_size=7, cuda_eval_batch_size=9)
    assert states(moved) == built  # where and in what batches models run changes no result ...
    assert build(moved, stages=["train", "predict"], paths=paths).stage("train")["trained"] == []  # ... nor the build
    assert states(train(lr=1e-4)) == {**built, "train": "stale", "predict": "stale", "explain": "stale"}
    assert states(train(seeds=(0, 1)))["train"] == "stale"  # a new model to train
    unused = dataclasses.replace(config, methods=dataclasses.replace(config.methods, noise_rate=0.2))
    assert states(unused) == built  # only ArtNoise reads it, and ArtNoise is not built
    relabelled = dataclasses.replace(config, explain=dataclasses.replace(config.explain, normalisation="l2"))
    assert states(relabelled) == {**built, "explain": "stale"}
