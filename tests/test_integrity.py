"""Issue 20: every artifact is read through its size and SHA-256 record, and the manifest repairs itself.

A hand edit that keeps a file's size and modification time is still noticed (by the page, by status and by the
build), and a manifest that is not JSON or not of the shape privlens writes is named, set aside and rebuilt."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.dashboard.experiment import metrics_frame, open_experiment
from core.pipeline.artifacts import ExperimentPaths, ManifestError, read_json, read_manifest, set_aside_manifest
from core.pipeline.build import build
from core.pipeline.files import ArtifactError
from core.pipeline.status import experiment_status
from tests.conftest import dashboard_config
from tests.test_dashboard import PAGES

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def built(artifacts, tmp_path, monkeypatch) -> ExperimentPaths:
    """A whole copy of the tiny experiment (checkpoints included) that a test may damage and rebuild."""
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    return ExperimentPaths(Path(shutil.copytree(artifacts / "tiny", tmp_path / "tiny")))


def edit_in_place(path: Path, offset: int, byte: bytes) -> None:
    """Overwrite one byte, then put the old modification time back: the size and mtime say nothing changed."""
    stat = path.stat()
    with open(path, "r+b") as f:
        f.seek(offset)
        assert f.read(1) != byte
        f.seek(offset)
        f.write(byte)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns


def states(paths: ExperimentPaths) -> dict[str, str]:
    return {s.stage: s.state for s in experiment_status(paths)}


def test_a_hand_edited_table1_is_reported_on_the_page_and_the_build_redoes_the_metrics(built, tiny_encoder):
    path = built.metrics_table("table1")
    genuine = path.read_bytes()
    metrics_frame(open_experiment("tiny"), "table1")  # read (and hashed) once before the edit
    header = genuine.index(b"\n")
    digit = header + next(i for i, c in enumerate(genuine[header:]) if chr(c) in "12345678")
    edit_in_place(path, digit, b"9")

    with pytest.raises(ArtifactError, match="table1.csv` changed since the build") as error:
        metrics_frame(open_experiment("tiny"), "table1")
    assert error.value.command.endswith("--stages metrics")
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "pages" / "privacy_metrics.py"), default_timeout=120)
    at.session_state["experiment"] = "tiny"
    at.run()
    assert not at.exception and "`table1.csv` changed since the build" in at.error[0].value
    assert at.code[0].value.endswith("--stages metrics")
    assert states(built)["metrics"] == "changed"

    build(dashboard_config(tiny_encoder), stages=["metrics"], paths=built)
    assert path.read_bytes() == genuine and states(built)["metrics"] == "done"


def test_a_same_size_bit_flip_in_a_checkpoint_is_noticed_by_status_and_retrained(built, tiny_encoder):
    weights = built.model_dir("PrivAdv", 0) / "model.safetensors"
    assert states(built)["train"] == "done"  # hashed once here, before the flip
    edit_in_place(weights, weights.stat().st_size - 5, bytes([weights.read_bytes()[-5] ^ 0x01]))

    status = {s.stage: s for s in experiment_status(built)}
    assert status["train"].state == "changed" and "model.safetensors changed" in status["train"].detail
    build(dashboard_config(tiny_encoder), stages=["train"], paths=built)
    assert read_json(built.manifest)["stages"]["train"]["trained"] == ["PrivAdv/seed0"]
    assert states(built)["train"] == "done"


WRONG_SHAPES = {
    "a list": [1, 2],
    "stages as a list": {"version": 2, "stages": []},
    "a stage record as text": {"version": 2, "stages": {"train": "done"}},
    "outputs as a list": {"version": 2, "stages": {"metrics": {"outputs": []}}},
    "config as text": {"version": 2, "stages": {}, "config": "demo"},
    "a config section as a number": {"version": 2, "stages": {}, "config": {"methods": 7}},
    "method names as text": {"version": 2, "stages": {}, "config": {"methods": {"names": "Gen"}}},
    "seeds as text": {"version": 2, "stages": {}, "config": {"train": {"seeds": ["0"]}}},
    "a stage's config as a list": {"version": 2, "stages": {"train": {"config": []}}},
}


@pytest.mark.parametrize("shape", WRONG_SHAPES)
def test_a_wrong_shaped_manifest_is_named(tmp_path, shape):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(WRONG_SHAPES[shape]))
    with pytest.raises(ManifestError, match=re.escape(f"{path} does not have the shape privlens writes")):
        read_manifest(path)


def test_an_older_or_missing_manifest_is_not_corrupt(tmp_path):
    assert read_manifest(tmp_path / "manifest.json") == {}
    (tmp_path / "manifest.json").write_text('{"version": 1, "stages": []}')
    assert read_manifest(tmp_path / "manifest.json") == {"version": 1, "stages": []}
    assert set_aside_manifest(ExperimentPaths(tmp_path)) is None


def test_no_page_crashes_on_a_wrong_shaped_manifest(built):
    for shape in ("stages as a list", "a stage record as text", "method names as text"):
        built.manifest.write_text(json.dumps(WRONG_SHAPES[shape]))
        st.cache_data.clear()
        for name in (*PAGES, "trust_study", "trust_results"):
            at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=120)
            at.session_state["experiment"] = "tiny"
            at.run()
            assert not at.exception, (shape, name, [e.message for e in at.exception])
            assert "does not have the shape privlens writes" in at.error[0].value, (shape, name)


def test_a_corrupt_manifest_is_set_aside_and_rebuilt_from_the_stages_records(built, tiny_encoder):
    built.manifest.write_text('{"version": 2, "stag')
    build(dashboard_config(tiny_encoder), stages=["train", "predict", "explain", "metrics", "report"], paths=built)

    kept = list(built.root.glob("manifest.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text() == '{"version": 2, "stag'
    manifest = read_json(built.manifest)
    assert manifest["stages"]["train"]["trained"] == []  # every checkpoint vouched for by its done marker
    assert manifest["stages"]["predict"]["predicted"] == [] and manifest["stages"]["explain"]["explained"] == []
    assert "set aside as manifest.json.corrupt-" in manifest["stages"]["train"]["warnings"][0]
    assert {stage: state for stage, state in states(built).items() if state != "done"} == {"corpora": "missing"}
