"""Trust study under concurrency: the stress CLI, a submitter or the parent killed with SIGKILL, PostgreSQL, the CLI
flow."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

from core.study.store import make_engine, open_store, responses_table, tasks_table
from core.study.stress import audit, read_acks, run_stress, start_worker, stress_tasks, tasks_needed
from scripts import study as cli
from tests.test_study import MODELS, VALID, mad_table

ROOT = Path(__file__).resolve().parent.parent


def test_stress_stores_every_submission_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    monkeypatch.setenv("PRIVLENS_STUDY_DB", f"sqlite:///{tmp_path / 'stress.sqlite'}")
    assert cli.main(["stress", "--annotators", "6", "--submissions", "8", "--workers", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    figures = json.loads(lines[0])
    assert figures["expected"] == figures["stored"] == 48 and figures["acknowledged"] == 48
    assert figures["duplicates"] == figures["lost"] == figures["resubmissions_stored"] == 0
    assert figures["over_served"] == figures["counter_mismatches"] == figures["failed_workers"] == 0
    store = open_store(f"sqlite:///{tmp_path / 'stress.sqlite'}", study=figures["study"])
    assert store.responses().empty and store.tasks().empty  # the stress study cleans up after itself


def test_kill_9_mid_stress_keeps_every_acknowledged_response(tmp_path):
    url, study, annotators = f"sqlite:///{tmp_path / 'study.sqlite'}", "kill", [f"k{i}" for i in range(4)]
    store = open_store(url, study=study)
    store.add_tasks(stress_tasks(tasks_needed(len(annotators), 300, 3)))
    log = tmp_path / "acks.log"
    worker = start_worker(url, study, annotators, 300, log)
    deadline = time.monotonic() + 60
    while (not log.exists() or log.read_text().count("\n") < 30) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(worker.pid, signal.SIGKILL)
    assert worker.wait() == -signal.SIGKILL
    worker.stdin.close()
    worker.stdout.close()
    with sqlite3.connect(tmp_path / "study.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    acks = read_acks([log])
    figures = audit(store, acks)
    assert 30 <= figures["acknowledged"] < 1200  # killed mid-run
    assert figures["lost"] == figures["duplicates"] == figures["over_served"] == figures["counter_mismatches"] == 0
    assert 0 <= figures["stored"] - figures["acknowledged"] <= len(annotators)  # committed, not yet logged


def processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line holds ``text`` (Linux /proc)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().split(") ")[-1][0]
        except OSError:
            continue
        if text.encode() in cmdline and state != "Z":
            found.append(int(proc.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc")
def test_killing_stress_leaves_no_workers_and_no_rows(tmp_path):
    url, logs = f"sqlite:///{tmp_path / 'study.sqlite'}", tmp_path / "logs"
    script = ("import sys, pathlib\nfrom core.study.stress import run_stress\n"
              f"run_stress({url!r}, annotators=6, submissions=400, workers=2, log_dir=pathlib.Path({str(logs)!r}))\n")
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    deadline = time.monotonic() + 120
    while sum(log.read_text().count("\n") for log in logs.glob("*.log")) < 20:
        assert time.monotonic() < deadline and parent.poll() is None, "the stress run never got going"
        time.sleep(0.1)
    assert len(set(processes_mentioning(str(logs))) - {parent.pid}) == 2  # the two workers, mid-run
    parent.kill()
    parent.wait()
    while processes_mentioning(str(logs)):
        assert time.monotonic() < deadline, "workers outlived their parent"
        time.sleep(0.1)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(responses_table.select()).first() is None and conn.execute(tasks_table.select()).first() is None
    engine.dispose()
    assert not list(logs.glob("*.log"))


@pytest.mark.skipif(not os.environ.get("PRIVLENS_TEST_POSTGRES_URL"), reason="PRIVLENS_TEST_POSTGRES_URL not set")
def test_postgresql(tmp_path):
    url = os.environ["PRIVLENS_TEST_POSTGRES_URL"]
    figures = run_stress(url, annotators=20, submissions=10, workers=4, log_dir=tmp_path)
    assert figures["backend"] == "postgresql" and figures["stored"] == figures["expected"] == 200
    assert figures["duplicates"] == figures["lost"] == figures["over_served"] == figures["counter_mismatches"] == 0
    store = open_store(url, study=f"test-{uuid.uuid4().hex[:8]}", responses_per_task=1)
    try:
        store.add_tasks(stress_tasks(2))
        assert store.submit("a", 0, MODELS, VALID) == "valid"
        assert store.submit("a", 0, MODELS, VALID) == "duplicate"
        assert store.submit("b", 0, MODELS, VALID) == "surplus"
        assert store.submit("c", 1, MODELS, {**VALID, "trust_valence": "ArtNoise"}) == "attention_failed"
        assert store.next_task("a").task_id == 1
    finally:
        store.delete_study()


def test_select_simulate_export(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    monkeypatch.delenv("PRIVLENS_STUDY_DB", raising=False)
    config = tmp_path / "tiny.toml"
    config.write_text(f'name = "tiny"\n[data]\ndemo_seed = 0\n[methods]\nnames = {json.dumps(MODELS)}\n[study]\n'
                      'random_per_cell = 4\nhigh_mad_per_cell = 3\nlow_mad_per_cell = 3\nbootstrap_resamples = 100\n')
    metrics = tmp_path / "tiny" / "metrics"
    metrics.mkdir(parents=True)
    mad_table(30).to_csv(metrics / "mad_utterances.csv", index=False)
    args = ["--config", str(config)]
    assert cli.main(["select", *args]) == 2  # the build's explanations are needed too
    assert f"explained.parquet is missing: build it with .venv/bin/python -m scripts.build {config}" in \
        capsys.readouterr().err
    explained = pd.DataFrame({"method": "ArtNoise", "seed": 0, "role": "primary", "utt_id": mad_table(30).utt_id.unique()})
    explained.assign(text=["the zq1 day" if i % 2 else "the day" for i in range(len(explained))]).to_parquet(
        tmp_path / "tiny" / "explained.parquet")
    assert cli.main(["select", *args]) == 0
    assert "60 tasks stored" in capsys.readouterr().out
    assert cli.main(["select", *args]) == 2  # a study's task set is never replaced
    assert "already has 60 tasks" in capsys.readouterr().err
    assert cli.main(["simulate", *args, "--annotators", "12", "--tasks-per-annotator", "15"]) == 0
    assert cli.main(["export", *args]) == 0
    out = capsys.readouterr().out
    assert "data: simulated annotators (not people)" in out and 'rule "planted"' in out
    table = pd.read_csv(metrics / "table2.csv")
    assert table.model.tolist() == MODELS and table["T(Priv) high_mad value"].between(0, 1).all()
    assert set(table.attention_rule) == {"planted"} and set(table.data) == {"simulated annotators (not people)"}
    logit = pd.read_csv(metrics / "study_logit.csv")
    assert (logit.odds_ratio > 1).all() and (logit.p < 0.05).all()
    assert "Data: simulated annotators (not people)." in (metrics / "table2.md").read_text()
    for name in ("table2_long", "study_kappa", "study_attention"):
        assert set(pd.read_csv(metrics / f"{name}.csv").data) == {"simulated annotators (not people)"}
    assert len(pd.read_csv(tmp_path / "tiny" / "study" / "responses.csv")) == 180
    store = open_store(f"sqlite:///{tmp_path / 'tiny' / 'study' / 'study.sqlite'}")
    store.submit("a-person", 0, MODELS, VALID)
    assert cli.main(["simulate", *args, "--annotators", "1"]) == 2  # never into a study with real people

    other = tmp_path / "other.sqlite"
    assert cli.main(["select", *args, "--db", f"sqlite:///{other}"]) == 0  # --db: a second database, this call only
    assert other.exists() and "PRIVLENS_STUDY_DB" not in os.environ
