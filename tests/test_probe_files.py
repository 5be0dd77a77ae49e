"""Issue 20 A: the metrics stage stores its gender probes as arrays and settings, never pickles; nothing the
dashboard reads from artifacts/ can run code, and the probe files are hash-checked like every other output."""
from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.pipeline.artifacts import ExperimentPaths, read_json
from core.pipeline.evaluate import probe_models
from core.pipeline.status import experiment_status

ROOT = Path(__file__).resolve().parent.parent


class Payload:
    """A pickle that creates ``marker`` when it is unpickled: what a planted probe file could do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


def fitted_probes() -> dict:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(80, 6))
    gender = np.where(z[:, 0] + 0.3 * rng.normal(size=80) > 0, "F", "M").astype(object)
    probes = probe_models(seed=0, max_iter=300)
    for probe in probes.values():
        probe.fit(z, gender)
    return {"probes": probes, "headline": "mlp"}


def test_probes_round_trip_through_plain_arrays(tmp_path):
    from core.pipeline.probes import load_probes, save_probes

    stored = fitted_probes()
    save_probes(stored, tmp_path / "p.npz", tmp_path / "p.json")
    loaded = load_probes(tmp_path / "p.npz", tmp_path / "p.json")
    z = np.random.default_rng(1).normal(size=(20, 6))
    assert loaded["headline"] == "mlp" and set(loaded["probes"]) == {"logreg", "mlp"}
    for family, probe in stored["probes"].items():
        rebuilt = loaded["probes"][family]
        np.testing.assert_array_equal(rebuilt.predict_proba(z), probe.predict_proba(z))
        np.testing.assert_array_equal(rebuilt.predict(z), probe.predict(z))
        assert list(rebuilt.classes_) == ["F", "M"]
    with np.load(tmp_path / "p.npz", allow_pickle=False) as arrays:  # plain numbers only
        assert all(arrays[name].dtype != object for name in arrays.files)
    assert json.loads((tmp_path / "p.json").read_text())["probes"]["mlp"]["activation"] == "relu"


def test_a_pickle_or_object_array_in_a_probe_file_is_refused_without_running(tmp_path):
    from core.pipeline.probes import ProbeFileError, load_probes, save_probes

    save_probes(fitted_probes(), tmp_path / "p.npz", tmp_path / "p.json")
    marker = tmp_path / "ran"
    (tmp_path / "pickle.npz").write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(ProbeFileError, match=r"pickle\.npz: not a probe array file"):
        load_probes(tmp_path / "pickle.npz", tmp_path / "p.json")
    with open(tmp_path / "objects.npz", "wb") as f:
        np.savez(f, **{"logreg.mean": np.array([Payload(marker)], dtype=object)})
    with pytest.raises(ProbeFileError, match="objects.npz"):
        load_probes(tmp_path / "objects.npz", tmp_path / "p.json")
    with open(tmp_path / "short.npz", "wb") as f:
        np.savez(f, **{"logreg.mean": np.zeros(6)})
    with pytest.raises(ProbeFileError, match=r"short\.npz: does not match p\.json"):
        load_probes(tmp_path / "short.npz", tmp_path / "p.json")
    assert not marker.exists()


@pytest.fixture
def planted(artifacts, tmp_path, monkeypatch) -> tuple[ExperimentPaths, Path]:
    """A copy of the tiny experiment whose Gen probe files (the old .joblib name and the new .npz) are pickles
    that would create a marker file when unpickled."""
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    paths = ExperimentPaths(tmp_path / "planted")
    shutil.copytree(artifacts / "tiny", paths.root, ignore=shutil.ignore_patterns("models"))
    marker = tmp_path / "payload_ran"
    for name in ("Gen_seed0.joblib", "Gen_seed0.npz"):  # where the probes were stored, and are now
        path = paths.root / "probes" / name
        path.write_bytes(pickle.dumps(Payload(marker)))
    return paths, marker


def test_a_planted_pickle_never_runs_on_explore_or_privacy_metrics(planted):
    paths, marker = planted
    for name in ("explore", "privacy_metrics"):
        at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=120)
        at.session_state["experiment"] = "planted"
        at.run()
        assert not marker.exists(), f"{name}: the planted pickle ran"
        assert not at.exception, (name, at.exception)
        assert any("Gen_seed0.npz" in e.value and "changed since it was written" in e.value for e in at.error), name
        assert at.code[0].value.endswith("--stages metrics")


def test_the_probe_files_are_outputs_of_the_metrics_stage(artifacts):
    paths = ExperimentPaths(artifacts / "tiny")
    metrics = read_json(paths.manifest)["stages"]["metrics"]
    recorded, config = metrics["outputs"], metrics["config"]
    jobs = [(m, s) for m in config["methods"]["names"] for s in config["train"]["seeds"]]
    probe_files = {str(paths.probes(m, s, x).relative_to(paths.root)) for m, s in jobs for x in (".npz", ".json")}
    assert probe_files <= {name for name, record in recorded.items() if record}
    assert not list(paths.root.glob("probes/*.joblib"))


def test_a_changed_probe_file_shows_on_home_as_changed(planted):
    paths, _ = planted
    status = {s.stage: s for s in experiment_status(paths)}
    assert status["metrics"].state == "changed" and "Gen_seed0.npz" in status["metrics"].detail
