"""Training curves: the history rows (pure) and the Models page that plots them (AppTest)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.dashboard.history import curve_figure, head_versus_probe, history_rows, probe_leakage, training_history
from core.pipeline.artifacts import MANIFEST_VERSION, ExperimentPaths

ROOT = Path(__file__).resolve().parent.parent


def epoch(n: int, loss: float, valence: float, gender: float | None = None, lam: float | None = None) -> dict:
    return {"epoch": n, "train_loss": loss, "val_valence_uar": valence, "val_gender_uar": gender, "adv_lambda": lam}


def test_history_rows_count_epochs_across_stages_and_skip_absent_metrics():
    fits = [{"stage": "auxiliary", "history": [epoch(1, 1.0, 0.5), epoch(2, 0.8, 0.6)]},
            {"stage": "primary", "history": [epoch(1, 0.7, 0.7)]}]
    rows = history_rows("PrivBias", 0, fits)
    assert [(r["stage"], r["epoch"], r["step"]) for r in rows if r["metric"] == "train_loss"] == [
        ("auxiliary", 1, 1), ("auxiliary", 2, 2), ("primary", 1, 3)]
    assert {r["metric"] for r in rows} == {"train_loss", "val_valence_uar"}  # no gender head, no λ
    adv = history_rows("PrivAdv", 1, [{"stage": "primary", "history": [epoch(1, 1.2, 0.6, 0.55, 0.9)]}])
    assert {r["metric"]: r["value"] for r in adv} == {"train_loss": 1.2, "val_valence_uar": 0.6,
                                                      "val_gender_uar": 0.55, "adv_lambda": 0.9}
    with pytest.raises(ValueError, match="Gen/seed0.*no per-epoch history"):
        history_rows("Gen", 0, [{"stage": "primary", "history": [{"epoch": 1, "val_uar": 0.5, "loss": 1.0}]}])


@pytest.fixture
def built(tmp_path, monkeypatch) -> ExperimentPaths:
    """A manifest for Gen, PrivAdv, GenderExp (seed 0); GenderExp has no checkpoint yet."""
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    paths = ExperimentPaths(tmp_path / "demo")
    config = {"methods": {"names": ["Gen", "PrivAdv", "GenderExp"]}, "train": {"seeds": [0]},
              "source": "scripts/experiments/demo.toml"}
    paths.root.mkdir(parents=True)
    paths.manifest.write_text(json.dumps({"version": MANIFEST_VERSION, "stages": {}, "config": config}))
    for model, history in (("Gen", [epoch(1, 1.0, 0.6), epoch(2, 0.7, 0.7)]),
                           ("PrivAdv", [epoch(1, 1.5, 0.6, 0.7, 0.5), epoch(2, 1.3, 0.65, 0.52, 0.95)])):
        paths.model_dir(model, 0).mkdir(parents=True)
        fits = [{"stage": "primary", "history": history}]
        (paths.model_dir(model, 0) / "model.json").write_text(json.dumps({"fits": fits}))
    return paths


PER_SEED = pd.DataFrame({"method": ["Gen", "PrivAdv"], "seed": [0, 0], "gender_uar_within": [0.80, 0.77],
                         "gender_uar_cross": [0.91, 0.60]})


def test_probe_leakage_is_table1s_within_column_and_pairs_with_the_last_head_epoch(built):
    leakage = probe_leakage(PER_SEED)
    assert leakage.set_index("model").gender_uar.to_dict() == {"Gen": 0.80, "PrivAdv": 0.77}  # not cross
    history, _ = training_history(built, [("Gen", 0), ("PrivAdv", 0)])
    paired = head_versus_probe(history, leakage)
    assert paired.to_dict("records") == [{"model": "PrivAdv", "seed": 0, "head": 0.52, "probe": 0.77}]


def test_training_history_lists_models_without_one(built):
    history, missing = training_history(built, [("Gen", 0), ("PrivAdv", 0), ("GenderExp", 0)])
    assert missing == ["GenderExp/seed0"]
    assert set(history.model) == {"Gen", "PrivAdv"} and len(history) == 2 * 2 + 2 * 4


def test_models_page_plots_the_curves_and_says_how_to_rebuild(built):
    at = AppTest.from_file(str(ROOT / "pages" / "models.py"), default_timeout=60)
    at.session_state["experiment"] = "demo"
    at.run()
    assert not at.exception
    assert "GenderExp/seed0" in at.warning[0].value
    assert "python -m scripts.build scripts/experiments/demo.toml --stages train" in at.warning[0].value
    assert at.multiselect[0].value == ["Gen", "PrivAdv"]
    charts = at.get("plotly_chart")
    assert len(charts) == 4  # loss, valence UAR, gender UAR (PrivAdv's head), λ
    lam = json.loads(charts[3].proto.spec)["layout"]
    assert lam["yaxis"]["range"][0] == 0 and lam["xaxis"]["dtick"] == 1  # λ from 0, whole epochs
    assert "experiment demo" in lam["title"]["subtitle"]["text"]  # a saved chart says where it comes from
    assert at.get("download_button")
    assert any("--stages metrics" in info.value for info in at.info)  # no probes.csv yet


def test_models_page_sets_each_head_beside_a_fresh_probe(built):
    built.metrics_dir.mkdir(parents=True, exist_ok=True)
    PER_SEED.to_csv(built.metrics_table("per_seed"), index=False)
    at = AppTest.from_file(str(ROOT / "pages" / "models.py"), default_timeout=60)
    at.session_state["experiment"] = "demo"
    at.run()
    assert not at.exception
    assert any("**PrivAdv** (seed 0) only fooled its own adversary: its own head 0.520, a fresh probe 0.770" in md.value
               for md in at.markdown)  # the verdict follows the numbers (core.dashboard.history.verdicts)
    gender_chart = json.loads(at.get("plotly_chart")[2].proto.spec)
    lines = {shape["y0"] for shape in gender_chart["layout"]["shapes"]}
    assert lines == {0.80, 0.77, 0.5}  # Gen's and PrivAdv's probes beside PrivAdv's head, and chance


def test_curve_figure_counts_whole_epochs_and_starts_lambda_at_zero():
    data = pd.DataFrame({"model": ["PrivAdv"] * 2, "seed": ["0"] * 2, "stage": ["primary"] * 2, "epoch": [1, 2],
                         "step": [1, 2], "metric": ["adv_lambda"] * 2, "value": [0.985, 1.0]})
    figure = curve_figure(data, "adv_lambda")  # the Models page and the audit report draw this same figure
    assert figure.layout.xaxis.dtick == 1 and figure.layout.yaxis.range[0] == 0
    assert curve_figure(data.assign(metric="train_loss"), "train_loss").layout.yaxis.range is None

