"""The benchmark harness: `ig --quick` prints one JSON object with exactly the documented figures."""
from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from core.config import ExplainConfig, load_config
from core.pipeline.artifacts import ExperimentPaths
from core.pipeline.build import ROLES, build
from core.pipeline.models import load_tokenizer, native_cpu_bf16
from scripts import benchmark, ig_benchmark
from scripts.ig_benchmark import passages, relative_deltas

FIELDS = {"ig_naive_utts_per_s", "ig_fast_utts_per_s", "ig_speedup", "mean_rel_delta_naive", "mean_rel_delta_fast",
          "typed_six_models_p50_s", "typed_six_models_p95_s", "typed_models_at_once", "encoder_layers",
          "build_stage_seconds", "first_pass", "ig_speedup_fp32", "ig_fast_utts_per_s_fp32", "mean_rel_delta_fast_fp32"}


@pytest.fixture
def tiny_build(tmp_path, tiny_encoder, tiny_corpora, monkeypatch):
    """A built two-model experiment under a private artifacts folder, and its TOML file (its corpus
    tables are written directly; demo_seed only lets the config validate without corpus paths)."""
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path / "artifacts"))
    toml = tmp_path / "tiny.toml"
    toml.write_text(f'name = "tiny"\n[data]\ndemo_seed = 0\n[model]\nencoder = "{tiny_encoder}"\nmax_length = 16\ngender_hidden = 8\n'
                    '[train]\nepochs = 1\nbatch_size = 36\nlr = 1e-3\n[methods]\nnames = ["Gen", "GenderExp"]\n'
                    '[explain]\nn_primary = 6\nn_cross = 4\nn_steps = 8\nbatch_size = 4\n')
    config = load_config(toml)
    paths = ExperimentPaths.for_experiment(config.name)
    for role in ROLES:
        paths.corpus_table(role).parent.mkdir(parents=True, exist_ok=True)
        getattr(tiny_corpora, role).to_parquet(paths.corpus_table(role), index=False)
    build(config, stages=["train", "predict", "explain"], paths=paths)
    return toml


def test_ig_quick_prints_exactly_the_named_figures(tiny_build, capsys):
    assert benchmark.main(["ig", "--quick", "--config", str(tiny_build)]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert set(figures) == FIELDS
    assert figures["first_pass"] == ("bf16" if native_cpu_bf16() else "fp32")  # explain.precision "auto"
    if figures["first_pass"] == "fp32":  # the forced-fp32 figures are the default measurement, reused
        assert figures["ig_speedup_fp32"] == figures["ig_speedup"]
    for name in FIELDS - {"build_stage_seconds", "encoder_layers", "first_pass"}:
        assert math.isfinite(figures[name]) and figures[name] >= 0, name
    assert figures["ig_naive_utts_per_s"] > 0 and figures["ig_fast_utts_per_s"] > 0
    assert figures["mean_rel_delta_fast"] <= 0.05  # every utterance refined to the 5 % bound (or flagged)
    assert figures["typed_six_models_p50_s"] <= figures["typed_six_models_p95_s"]
    assert figures["encoder_layers"] == 2
    assert set(figures["build_stage_seconds"]) == {"train", "predict", "explain"}


def test_ig_refuses_an_unbuilt_experiment(tmp_path, monkeypatch):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="build it first"):
        benchmark.main(["ig", "--quick"])


def test_relative_deltas_and_passages(tiny_encoder):
    np.testing.assert_allclose(relative_deltas([0.01, -0.02, 0.0], [0.5, -0.1, 0.0]), [0.02, 0.2, np.inf])
    tokenizer = load_tokenizer(tiny_encoder)
    turns = [f"this is turn number {i} of a long talk" for i in range(60)]
    joined = passages(turns, tokenizer, 5, shortest=20, longest=40)
    assert len(joined) == 5
    assert all(20 <= len(tokenizer.tokenize(p)) <= 40 + 12 for p in joined)  # one turn can overshoot the goal
    assert " ".join(joined) == " ".join(turns[:sum(p.count("turn") for p in joined)])  # consecutive, in order


def test_the_fp32_figures_are_measured_apart_only_where_the_default_first_pass_is_bf16(monkeypatch):
    runs = []

    def compare(explainer, texts, *, n_steps, settings, repeats):
        runs.append(settings.precision)
        return {"ig_speedup": 4.5, "ig_fast_utts_per_s": 9.0, "mean_rel_delta_fast": 0.01}

    monkeypatch.setattr(ig_benchmark, "compare_paths", compare)
    explainer, default = SimpleNamespace(device=torch.device("cpu")), {
        "ig_speedup": 6.0, "ig_fast_utts_per_s": 12.0, "mean_rel_delta_fast": 0.02}
    for dtype, first_pass, speedup, forced in ((None, "fp32", 6.0, []), (torch.bfloat16, "bf16", 4.5, ["fp32"])):
        runs.clear()
        monkeypatch.setattr(ig_benchmark, "device_plan", lambda settings, device, dtype=dtype: SimpleNamespace(dtype=dtype))
        figures = ig_benchmark.fp32_figures(explainer, ["a"], n_steps=8, settings=ExplainConfig(), repeats=1,
                                            default=default)
        assert (figures["first_pass"], figures["ig_speedup_fp32"], runs) == (first_pass, speedup, forced)


def test_the_build_benchmark_prints_each_stage_its_clocks_and_the_planted_effects(tmp_path, monkeypatch, capsys):
    """The build itself is stubbed (a real demo build takes minutes): it leaves a Table 1 and stage records."""
    toml = tmp_path / "demo.toml"
    toml.write_text('name = "demo"\n[data]\ndemo_seed = 0\n')
    significant = [False, True, False]

    def fake_build(config, *, paths):
        paths.metrics_table("table1").parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"model": ["Gen", "PrivAdv", "GenderExp"], "valence_uar_within": [0.83, 0.80, 0.83],
                      "valence_uar_cross": [0.72, 0.75, 0.73], "mad": [0.0, 0.02, -0.02],
                      "mad_sig": significant}).to_csv(paths.metrics_table("table1"), index=False)
        train = {"seconds": 9.0, "profile": {"forward": 3.0, "backward": 5.0}}
        return SimpleNamespace(data={"stages": {"train": train}})

    monkeypatch.setattr("core.pipeline.build.build", fake_build)
    assert benchmark.main(["build", str(toml), "--budget-minutes", "60"]) == 1  # GenderExp's MAD is not significant
    out = capsys.readouterr().out
    assert "train:      9.0 s   backward 5.0 · forward 3.0 · other 1.0" in out
    assert "kept: Gen's cross-corpus valence drop 0.110 >= 0.08" in out and "LOST: MAD(GenderExp) -0.0200" in out
    significant[2] = True
    assert benchmark.main(["build", str(toml), "--budget-minutes", "60"]) == 0  # every effect kept, within budget
    assert benchmark.main(["build", str(toml), "--budget-minutes", "0"]) == 1  # over budget
    significant[2] = False
    real = tmp_path / "real.toml"  # a demo seed, but a licensed primary corpus: nothing planted to check
    (tmp_path / "iemocap").mkdir()
    real.write_text(toml.read_text() + '[data.primary]\nkind = "iemocap"\npath = "iemocap"\n')
    capsys.readouterr()
    assert benchmark.main(["build", str(real), "--budget-minutes", "60"]) == 0
    assert "LOST" not in capsys.readouterr().out


def test_the_planted_effects_check_reads_table1_by_hand():
    table = pd.DataFrame({"model": ["Gen", "PrivAdv", "GenderExp"], "valence_uar_within": [0.83, 0.80, 0.83],
                          "valence_uar_cross": [0.74, 0.75, 0.73], "mad": [0.0, 0.021, -0.019],
                          "mad_sig": [False, True, True]}).set_index("model")
    assert list(benchmark.planted_effects(table).values()) == [True, True, True]
    table.loc["Gen", "valence_uar_cross"] = 0.76  # a drop of 0.07
    table.loc["PrivAdv", "mad_sig"] = False
    held = benchmark.planted_effects(table)
    assert list(held.values()) == [False, True, False] and "0.070" in next(iter(held))
