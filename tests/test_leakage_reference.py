"""Reference leakage: the Table 1 probes on representations no method shaped (core.pipeline.references, the
metrics stage's table and the script)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.config import MetricsConfig
from core.data.demo_corpora import planted_markers
from core.data.demo_effects import MARKERS
from core.pipeline.artifacts import ExperimentPaths
from core.pipeline.references import reference_leakage, reference_table
from scripts import leakage_reference
from tests.conftest import make_table


def scores_by(frame: pd.DataFrame) -> dict:
    return {(row.probe, row.split): row.gender_uar for row in frame.itertuples()}


def test_reference_leakage_reads_a_gender_dimension_and_not_noise(tiny_corpora):
    tables = {"primary": tiny_corpora.primary, "cross": tiny_corpora.cross}
    rng = np.random.default_rng(0)
    gendered = {role: np.c_[(t.gender == "F").to_numpy(float), rng.normal(size=(len(t), 3))]
                for role, t in tables.items()}
    scores = reference_leakage(tables, gendered, "oracle", MetricsConfig())
    assert set(scores.method) == {"oracle"} and set(scores.seed) == {0}
    assert scores_by(scores)[("logreg", "within")] == 1.0 and scores_by(scores)[("logreg", "cross")] == 1.0
    noise = {role: rng.normal(size=(len(t), 4)) for role, t in tables.items()}
    assert scores_by(reference_leakage(tables, noise, "noise", MetricsConfig()))[("logreg", "within")] < 0.8


def test_the_reference_table_has_chance_both_probe_families_and_the_stronger(tiny_corpora):
    tables = {"primary": tiny_corpora.primary, "cross": tiny_corpora.cross}
    rng = np.random.default_rng(0)
    noisy = {role: np.c_[(t.gender == "F").to_numpy(float) + rng.normal(0, 0.8, len(t)), rng.normal(size=(len(t), 3))]
             for role, t in tables.items()}
    table = reference_table(tables, {"noisy": noisy}, MetricsConfig())
    assert table.columns.tolist() == ["reference", "probe", "split", "gender_uar"]
    chance = table[table.reference == "chance"]
    assert set(zip(chance.probe, chance.split)) == {(p, s) for p in ("logreg", "mlp", "stronger")
                                                    for s in ("within", "cross")}
    assert (chance.gender_uar == 0.5).all()
    scores = scores_by(reference_leakage(tables, noisy, "noisy", MetricsConfig()))
    got = table[table.reference == "noisy"].set_index(["probe", "split"]).gender_uar
    for split in ("within", "cross"):
        assert got[("logreg", split)] == scores[("logreg", split)] and got[("mlp", split)] == scores[("mlp", split)]
        assert got[("stronger", split)] == max(scores[("logreg", split)], scores[("mlp", split)])


def test_planted_markers_are_indicator_columns_in_marker_order():
    truth = pd.DataFrame({"utt_id": ["a", "b", "c"], "markers": ["hedge;profanity", "", None]})
    got = planted_markers(truth, pd.DataFrame({"utt_id": ["c", "a", "b"]}))
    expected = np.zeros((3, len(MARKERS)), dtype=np.float32)
    expected[1, [MARKERS.index("hedge"), MARKERS.index("profanity")]] = 1.0
    np.testing.assert_array_equal(got, expected)
    with pytest.raises(ValueError, match="1 utterances are not in the ground truth"):
        planted_markers(truth, pd.DataFrame({"utt_id": ["a", "zz"]}))


@pytest.fixture
def experiment(tmp_path, monkeypatch, tiny_encoder):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path / "artifacts"))
    toml = tmp_path / "reference.toml"
    toml.write_text(f'name = "reference"\n[data]\ndemo_seed = 0\n'
                    f'[model]\nencoder = "{tiny_encoder}"\nmax_length = 16\n')
    return toml, ExperimentPaths.for_experiment("reference")


def test_script_needs_the_corpora_stage(experiment, capsys):
    toml, _ = experiment
    assert leakage_reference.main([str(toml)]) == 2
    assert "--stages corpora" in capsys.readouterr().err


def test_script_prints_and_writes_every_reference(experiment, tmp_path, capsys):
    toml, paths = experiment
    tables = {"primary": make_table("primary", 4), "cross": make_table("cross", 2, splits=("all",))}
    for role, table in tables.items():
        paths.corpus_table(role).parent.mkdir(parents=True, exist_ok=True)
        table.to_parquet(paths.corpus_table(role), index=False)
    paths.demo_corpora.mkdir(parents=True)
    truth = pd.concat(tables.values())[["utt_id", "gender"]]
    truth.assign(markers=np.where(truth.gender == "F", "hedge", "")).to_csv(paths.demo_ground_truth, index=False)
    out = tmp_path / "reference.csv"
    assert leakage_reference.main([str(toml), "--csv", str(out)]) == 0
    assert "untrained encoder" in capsys.readouterr().out
    written = pd.read_csv(out)  # the metrics stage's metrics/leakage_reference.csv, computed on its own
    assert written.columns.tolist() == ["reference", "probe", "split", "gender_uar"]
    assert written.reference.unique().tolist() == ["chance", "untrained encoder", "planted markers"]
    assert len(written) == 3 * 3 * 2 and written.gender_uar.between(0, 1).all()
    assert (written[written.reference == "planted markers"].gender_uar == 1.0).all()  # the hedge is F-only here
