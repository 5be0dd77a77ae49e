"""Secrets never written or printed, and the build selecting the study's tasks: a tiny build whose study database URL
holds a planted password, then every scripts.study command on it."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest

from core.config import load_config
from core.pipeline.artifacts import ExperimentPaths
from core.pipeline.build import build
from core.study.setup import from_config
from scripts import study as cli
from tests.conftest import make_table

PASSWORD = "PLANTED"
URL = f"postgresql+psycopg://u:{PASSWORD}@localhost:1/x"
COLUMNS = ", ".join(f'{c} = "{c}"' for c in ("utt_id", "speaker", "gender", "text", "valence_class", "split"))


def write_toml(folder: Path, encoder: str) -> Path:
    """The tiny experiment: Gen, PrivAdv and ArtNoise on make_table corpora, its study in PostgreSQL at URL."""
    corpora = "".join(f'[data.{role}]\nkind = "table"\npath = "{role}.csv"\noptions = {{ columns = {{ {COLUMNS} }} }}\n'
                      for role in ("primary", "auxiliary", "cross"))
    path = folder / "tiny.toml"
    path.write_text(f'name = "tiny"\n{corpora}[model]\nencoder = "{encoder}"\nmax_length = 16\ngender_hidden = 8\n'
                    '[train]\nseeds = [0]\nepochs = 1\npatience = 1\nbatch_size = 36\nlr = 1e-3\n'
                    '[methods]\nnames = ["Gen", "PrivAdv", "ArtNoise"]\nnoise_rate = 0.5\n'
                    '[explain]\nn_primary = 1000\nn_cross = 4\nn_steps = 8\nbatch_size = 4\n'
                    '[metrics]\nbootstrap_resamples = 20\nprobe_max_iter = 50\n'
                    f'[study]\ndatabase = "{URL}"\nrandom_per_cell = 1\nhigh_mad_per_cell = 1\nlow_mad_per_cell = 1\n')
    return path


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory, tiny_encoder) -> tuple[Path, Path]:
    """(the TOML, the artifacts folder) of the tiny experiment built through every stage."""
    folder = tmp_path_factory.mktemp("secrets")
    for role, table in (("primary", make_table("primary", 2)), ("auxiliary", make_table("auxiliary", 1)),
                        ("cross", make_table("cross", 2, splits=("all",)))):
        table.to_csv(folder / f"{role}.csv", index=False)
    toml = write_toml(folder, tiny_encoder)
    build(load_config(toml), paths=ExperimentPaths(folder / "artifacts" / "tiny"))
    return toml, folder / "artifacts"


def test_the_password_is_in_no_artifact_and_no_log(tiny_study, caplog):
    toml, artifacts = tiny_study
    files = [p for p in artifacts.rglob("*") if p.is_file()]
    assert len(files) > 20 and not [p for p in files if PASSWORD.encode() in p.read_bytes()]
    paths = ExperimentPaths(artifacts / "tiny")
    manifest = json.loads(paths.manifest.read_text())
    masked = "postgresql+psycopg://u:***@localhost:1/x"
    assert manifest["config"]["study"]["database"] == masked
    assert all(stage["config"]["study"]["database"] == masked for stage in manifest["stages"].values())
    assert json.loads(paths.metrics_table("config", ".json").read_text())["study"]["database"] == masked
    assert json.loads((paths.model_dir("Gen", 0) / "model.json").read_text())["config"]["study"]["database"] == masked
    report = paths.report.read_text()  # the audit report shows the config and names the study database
    assert "localhost:1/x" in report and PASSWORD not in report
    warning = " ".join(manifest["stages"]["metrics"]["warnings"])  # the study's database was unreachable
    assert f"trust study: no tasks selected: The study database {masked} refused the connection" in warning
    with caplog.at_level(logging.WARNING):
        build(load_config(toml), stages=["metrics"], paths=paths)
    assert masked in caplog.text and PASSWORD not in caplog.text


def test_no_study_command_prints_the_password(tiny_study, monkeypatch, capsys):
    toml, artifacts = tiny_study
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(artifacts))
    monkeypatch.delenv("PRIVLENS_STUDY_DB", raising=False)
    commands = [["select"], ["export"], ["simulate", "--annotators", "1"], ["stress", "--annotators", "2",
                                                                               "--submissions", "1"]]
    for command in commands:
        for extra in ([], ["--db", URL.replace("localhost", "127.0.0.1")]):
            code = cli.main([*command, "--config", str(toml), *extra])
            out, err = capsys.readouterr()
            assert code == 2 and "u:***@" in err and PASSWORD not in out + err, (command, extra)


def test_the_build_selects_the_tasks_once(tiny_study, monkeypatch, tmp_path):
    toml, artifacts = tiny_study
    monkeypatch.setenv("PRIVLENS_STUDY_DB", f"sqlite:///{tmp_path / 'study.sqlite'}")
    paths = ExperimentPaths(artifacts / "tiny")
    said = build(load_config(toml), stages=["metrics"], paths=paths).stage("metrics")["study"]
    setup = from_config(load_config(toml), paths)
    tasks = setup.open().tasks()
    assert said.startswith(f"selected {len(tasks)} tasks into sqlite:///{tmp_path / 'study.sqlite'}") and len(tasks) >= 6
    explained = pd.read_parquet(paths.explained).query("method == 'ArtNoise' and role == 'primary'")
    shows = dict(zip(explained.utt_id, explained.text.str.contains(r"\bz[qx][0-2]\b")))
    assert tasks.planted.tolist() == [shows[u] for u in tasks.utt_id] and set(tasks.attention_rule) == {"planted"}
    again = build(load_config(toml), stages=["metrics"], paths=paths).stage("metrics")["study"]
    assert again.startswith(f"kept the {len(tasks)} tasks") and len(setup.open().tasks()) == len(tasks)
