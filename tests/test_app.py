"""Dashboard smoke tests (AppTest) and the layering rule between pages/ and core/."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.methods import label
from core.pipeline.artifacts import MANIFEST_VERSION, ExperimentPaths
from core.pipeline.status import experiment_status

ROOT = Path(__file__).resolve().parent.parent
MODELS = ["Gen", "PrivAdv", "PrivAug", "PrivBias", "GenderExp", "ArtNoise"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_streamlit_and_pages_never_import_torch():
    for path in (ROOT / "core").rglob("*.py"):
        assert "streamlit" not in imported_modules(path), path
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py")]:
        assert not imported_modules(path) & {"torch", "transformers", "captum"}, path


@pytest.fixture
def built(tmp_path, monkeypatch) -> ExperimentPaths:
    """A demo-like experiment with a manifest and a Table 1 (values made up for rendering)."""
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    paths = ExperimentPaths(tmp_path / "demo")
    paths.metrics_dir.mkdir(parents=True)
    config = {"methods": {"names": MODELS}, "train": {"seeds": [0]}, "model": {"encoder": ""}}
    stages = {s: {"seconds": 1.0, "finished_at": "2026-11-27T10:00:00", "config": config}
              for s in ("corpora", "train", "metrics")}
    manifest = {"version": MANIFEST_VERSION, "stages": stages, "git_commit": "abc", "config": config}
    paths.manifest.write_text(json.dumps(manifest))
    jobs = [(m, 0) for m in MODELS]
    for path in [*paths.stage_outputs("train", jobs), *paths.stage_outputs("metrics", jobs)]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    table = pd.DataFrame({"model": MODELS, "valence_uar_within": 0.8, "valence_uar_cross": 0.7,
                          "gender_uar_within": [0.7, 0.55, 0.68, 0.69, 0.9, 0.7],
                          "gender_uar_cross": 0.6, "mad": [0, 0.01, 0.0, 0.02, -0.05, 0.0], "psc": 0.02,
                          "psc_words": 0.05})
    table.to_csv(paths.metrics_table("table1"), index=False)
    paths.metrics_table("table1", ".md").write_text("| model |\n")
    return paths


def test_status_reports_missing_stages_with_the_rebuild_command(built):
    status = {s.stage: s for s in experiment_status(built, config_file="scripts/experiments/demo.toml")}
    assert status["train"].state == "done"
    assert status["metrics"].state == "done"
    assert status["corpora"].state == "missing" and "primary.parquet" in status["corpora"].detail
    assert status["explain"].detail.endswith("python -m scripts.build scripts/experiments/demo.toml --stages explain")
    stale = experiment_status(built, current_config={"methods": {"names": ["Gen"]}})
    assert {s.stage: s.state for s in stale}["train"] == "stale"
    (built.model_dir("PrivAug", 0) / "model.safetensors").unlink()
    gone = {s.stage: s for s in experiment_status(built)}["train"]
    assert gone.state == "missing" and "model.safetensors" in gone.detail
    old = json.loads(built.manifest.read_text()) | {"version": MANIFEST_VERSION - 1}
    built.manifest.write_text(json.dumps(old))
    assert {s.state for s in experiment_status(built)} == {"missing"}  # an older build's manifest


def test_home_lists_models_and_artifact_status(built):
    at = AppTest.from_file(str(ROOT / "pages" / "home.py"), default_timeout=60).run()
    assert not at.exception
    assert any(c.value.endswith("demo`") for c in at.caption)  # the experiment picked in the sidebar (the only one)
    assert "--stages report" in at.caption[-1].value  # no audit report in this build: the command that writes it
    models = at.table[0].value
    assert models["model"].tolist() == [label(m) for m in MODELS]  # the attention check says so
    assert "missing" in at.dataframe[0].value["state"].tolist()
    assert any("missing, changed or stale" in w.value for w in at.warning)


def test_home_without_experiments_says_how_to_build(tmp_path, monkeypatch):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "pages" / "home.py"), default_timeout=60).run()
    assert not at.exception and "make build" in at.warning[0].value


def test_privacy_metrics_page_shows_table1(built):
    at = AppTest.from_file(str(ROOT / "pages" / "privacy_metrics.py"), default_timeout=60)
    at.session_state["experiment"] = "demo"
    at.run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert shown["model"].tolist() == [*MODELS[:-1], "ArtNoise (attention check)"] and "Psc ↓" in shown.columns
    errors = [e.value for e in at.error]  # the fixture's other metric tables are empty files: each says so
    assert any("mad_utterances.csv" in e for e in errors) and any("attacker_curve.csv" in e for e in errors)
    assert at.code[0].value.endswith("--stages metrics")


def test_app_frame_runs(built):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
