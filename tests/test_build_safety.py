"""Issue 20 C and D: a full disk is a message naming the file (the half file removed, the next run resumes), and
two builds never write one experiment at once (the second says who holds it, or waits)."""
from __future__ import annotations

import errno
import json
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import core.pipeline.build as build_module
from core.pipeline.artifacts import ExperimentPaths, write_json
from core.pipeline.build import build
from core.pipeline.status import experiment_status
from core.schema import ROLES
from scripts import build as build_cli
from tests.conftest import dashboard_config
from tests.test_bad_input import toml_for, write_corpora
from tests.test_build import tiny_config

ROOT = Path(__file__).resolve().parent.parent


def fills_the_disk(path: Path) -> None:
    """What a writer does on a full disk: part of the file is on disk, then ENOSPC."""
    Path(path).write_bytes(b"half a file")
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_storing_a_corpus_is_a_message_and_the_rerun_resumes(tmp_path, tiny_encoder, monkeypatch,
                                                                               capsys):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path / "artifacts"))
    toml = write_corpora(tmp_path)
    toml.write_text(toml_for(tiny_encoder, ""))
    table = ExperimentPaths(tmp_path / "artifacts" / "tiny").corpus_table("primary")
    with monkeypatch.context() as patched:
        patched.setattr(pd.DataFrame, "to_parquet", lambda frame, path, **_: fills_the_disk(path))
        assert build_cli.main([str(toml), "--stages", "corpora"]) == 1
    err = capsys.readouterr().err
    assert f"error: no space left on device while writing {table}; free some space" in err and "Traceback" not in err
    assert not table.exists()
    assert build_cli.main([str(toml), "--stages", "corpora"]) == 0 and table.is_file()


def test_a_full_disk_while_saving_a_checkpoint_removes_it_and_the_rerun_trains_only_that_model(tmp_path, tiny_encoder,
                                                                                               tiny_corpora,
                                                                                               monkeypatch):
    paths = ExperimentPaths(tmp_path / "tiny")
    for role in ROLES:
        paths.corpus_table(role).parent.mkdir(parents=True, exist_ok=True)
        getattr(tiny_corpora, role).to_parquet(paths.corpus_table(role), index=False)
    config = tiny_config(tiny_encoder, ("Gen", "GenderExp"))
    real_save = build_module.save_checkpoint

    def full_on_the_second(model, tokenizer, directory, record):
        if record["method"] == "Gen":
            return real_save(model, tokenizer, directory, record)
        directory.mkdir(parents=True, exist_ok=True)
        fills_the_disk(directory / "model.safetensors")

    with monkeypatch.context() as patched:
        patched.setattr(build_module, "save_checkpoint", full_on_the_second)
        with pytest.raises(OSError) as error:
            build(config, stages=["train"], paths=paths)
    assert str(error.value).startswith(f"no space left on device while writing {paths.model_dir('GenderExp', 0)};")
    assert error.value.errno == errno.ENOSPC
    assert not (paths.model_dir("GenderExp", 0) / "model.safetensors").exists()
    resumed = build(config, stages=["train"], paths=paths).stage("train")
    assert resumed["skipped"] == ["Gen/seed0"] and resumed["trained"] == ["GenderExp/seed0"]


def test_a_full_disk_while_writing_a_metrics_table_removes_it_and_the_rerun_completes(artifacts, tiny_encoder, tmp_path,
                                                                                      monkeypatch):
    paths = ExperimentPaths(Path(shutil.copytree(artifacts / "tiny", tmp_path / "tiny")))
    config = dashboard_config(tiny_encoder)
    real_to_csv = pd.DataFrame.to_csv

    def full_at_faithfulness(frame, path=None, **kwargs):
        if Path(str(path)).name == "faithfulness.csv":
            fills_the_disk(path)
        return real_to_csv(frame, path, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(pd.DataFrame, "to_csv", full_at_faithfulness)
        with pytest.raises(OSError) as error:
            build(config, stages=["metrics"], paths=paths)
    assert str(error.value).startswith(f"no space left on device while writing {paths.metrics_table('faithfulness')};")
    assert not paths.metrics_table("faithfulness").exists()
    status = {s.stage: s for s in experiment_status(paths)}
    assert status["metrics"].state == "missing" and "faithfulness.csv" in status["metrics"].detail
    build(config, stages=["metrics"], paths=paths)
    assert {s.stage: s.state for s in experiment_status(paths)}["metrics"] == "done"


def test_a_full_disk_while_writing_json_keeps_the_previous_file_whole(tmp_path, monkeypatch):
    from core.pipeline.writing import disk_full

    manifest = tmp_path / "manifest.json"
    write_json(manifest, {"stages": {"train": {}}})
    with monkeypatch.context() as patched:
        patched.setattr(Path, "write_text", lambda path, text, **_: fills_the_disk(path))
        with pytest.raises(OSError, match=f"no space left on device while writing {manifest};"):
            write_json(manifest, {"stages": {}})
    assert json.loads(manifest.read_text()) == {"stages": {"train": {}}}
    assert not (tmp_path / "manifest.json.tmp").exists()
    assert disk_full(RuntimeError("Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: "
                                  "\"No space left on device\" })"))  # how safetensors reports it


HOLD_THE_LOCK = """
import sys, time
from pathlib import Path
from core.pipeline.artifacts import ExperimentPaths
from core.pipeline.lock import build_lock
with build_lock(ExperimentPaths(Path(sys.argv[1])).build_lock):
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_lock(root: Path, seconds: float) -> subprocess.Popen:
    """Another process holding ``root``'s build lock for ``seconds`` (returns once it holds it)."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_LOCK, str(root), str(seconds)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_a_second_build_into_the_same_folder_says_who_holds_it(tmp_path, tiny_encoder, monkeypatch, capsys):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path / "artifacts"))
    toml = write_corpora(tmp_path)
    toml.write_text(toml_for(tiny_encoder, ""))
    root = tmp_path / "artifacts" / "tiny"
    holder = hold_lock(root, 60)
    try:
        assert build_cli.main([str(toml), "--stages", "corpora"]) == 1
        err = capsys.readouterr().err
        assert f"another build of this experiment is running (pid {holder.pid} on host " in err
        assert f"lock {root / 'build.lock'}" in err and "--wait" in err
        assert not (root / "corpora").exists() and not (root / "manifest.json").exists()
    finally:
        holder.kill()
        holder.wait()
    assert build_cli.main([str(toml), "--stages", "corpora"]) == 0  # the lock dies with its holder


def test_a_waiting_build_starts_when_the_other_finishes(tmp_path, tiny_encoder, monkeypatch, caplog):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path / "artifacts"))
    toml = write_corpora(tmp_path)
    toml.write_text(toml_for(tiny_encoder, ""))
    holder = hold_lock(tmp_path / "artifacts" / "tiny", 2)
    start = time.monotonic()
    with caplog.at_level(logging.WARNING):
        assert build_cli.main([str(toml), "--stages", "corpora", "--wait"]) == 0
    assert time.monotonic() - start >= 1 and holder.wait() == 0
    assert f"waiting for the build that holds {tmp_path / 'artifacts' / 'tiny' / 'build.lock'} (pid " in caplog.text
