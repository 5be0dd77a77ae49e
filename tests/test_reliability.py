"""Issue 9's cases, each ending in a rebuilt artifact, an error naming file and line, or a counted skip.

Loaders and CLIs first (small files written here or edited copies of tests/fixtures), then the build
on the tiny model (a lost or damaged output is rebuilt, an input no stage in the run can make is named
with its rebuild command), then the warnings.
"""
from __future__ import annotations

import json
import logging
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.config import (CorpusConfig, DataConfig, ExperimentConfig, ExplainConfig, MethodsConfig, MetricsConfig,
                         ModelConfig, TrainConfig, load_config, to_dict)
from core.data.corpora import CorpusFormatError, load_iemocap, load_meld, load_table, read_speaker_genders
from core.data.textfiles import numbered_lines
from core.pipeline.artifacts import STAGES, ExperimentPaths, read_json, write_json
from core.pipeline.build import build
from core.pipeline.files import ArtifactError
from core.pipeline.models import load_checkpoint
from core.pipeline.status import build_warnings, experiment_status
from scripts import build as build_cli
from tests.conftest import make_table

FIXTURES = Path(__file__).parent / "fixtures" / "corpora"
MELD_HEADER = "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,StartTime,EndTime"
JSONL_COLUMNS = {"speaker": "who", "gender": "sex", "text": "sentence", "valence": "v"}


def meld_with_train_rows(tmp_path: Path, rows: list[str]) -> Path:
    """A MELD folder whose train file has ``rows`` after the header (dev and test from the fixture)."""
    root = Path(shutil.copytree(FIXTURES / "meld", tmp_path / "meld"))
    (root / "train_sent_emo.csv").write_text("\n".join([MELD_HEADER, *rows]) + "\n")
    return root


def meld_row(number: int, text: str) -> str:
    return f"{number},{text},Chandler,neutral,neutral,9,{number},1,1,00:00:01,00:00:02"


def load_meld_train(root: Path):
    return load_meld(root, speaker_genders=root / "speaker_genders.csv")


# --- 3. silent wrong data -------------------------------------------------------------------------------


@pytest.mark.parametrize("closing", ["", '",Monica,neutral,positive,9,10,1,1,00:00:01,00:00:02'])
def test_a_stray_quote_is_an_error_on_its_own_line_not_merged_rows(tmp_path, closing):
    """Line 11 opens a quote: unclosed (it runs to the end of the file), or closed on line 12 so that the
    merged record even has the right field count and the second row's labels."""
    rows = [meld_row(i, f"Line {i + 2} text.") for i in range(9)]
    rows += [meld_row(9, '"A stray quote'), *([f"10,second row{closing}"] if closing else []),
             *(meld_row(i, f"Line {i + 2}.") for i in range(11, 20))]
    root = meld_with_train_rows(tmp_path, rows)
    with pytest.raises(CorpusFormatError) as error:
        load_meld_train(root)
    assert error.value.line == 11 and str(error.value).startswith(f"{root / 'train_sent_emo.csv'}:11: ")


def test_a_row_with_the_wrong_field_count_names_its_line(tmp_path):
    root = meld_with_train_rows(tmp_path, [meld_row(0, "Fine."), meld_row(1, "Too, many, fields")])
    with pytest.raises(CorpusFormatError, match=r"train_sent_emo\.csv:3: expected 11 fields, got 13"):
        load_meld_train(root)


def test_speaker_gender_conflicts_are_case_insensitive(tmp_path):
    (tmp_path / "genders.csv").write_text("speaker,gender\nChandler,M\nMonica,F\nchandler,F\n")
    with pytest.raises(CorpusFormatError, match=r"genders\.csv:4: speaker 'chandler' is F here but 'Chandler' is M "
                                                r"on line 2"):
        read_speaker_genders(tmp_path / "genders.csv")
    (tmp_path / "same.csv").write_text("speaker,gender\nChandler,M\nCHANDLER,male\n")
    assert read_speaker_genders(tmp_path / "same.csv") == {"Chandler": "M"}


def test_an_iemocap_turn_rated_in_two_files_names_both(tmp_path):
    root = Path(shutil.copytree(FIXTURES / "iemocap", tmp_path / "iemocap"))
    evaluations = root / "Session1" / "dialog" / "EmoEvaluation"
    (evaluations / "Ses01F_impro02.txt").write_text(
        "% header\n\n[6.2901 - 8.2357]\tSes01F_impro01_F000\thap\t[4.5000, 2.5000, 2.5000]\n")
    with pytest.raises(CorpusFormatError) as error:
        load_iemocap(root)
    assert str(error.value) == (f"{evaluations / 'Ses01F_impro02.txt'}:3: turn Ses01F_impro01_F000 is rated twice: "
                                f"here and at {evaluations / 'Ses01F_impro01.txt'}:3")


def test_a_repeated_column_name_is_an_error(tmp_path):
    (tmp_path / "t.csv").write_text("text,gender,speaker,valence,valence\nhello,F,a,2,4\n")
    columns = {"text": "text", "gender": "gender", "speaker": "speaker", "valence": "valence"}
    with pytest.raises(CorpusFormatError, match=r"t\.csv:1: column name\(s\) \['valence'\] appear more than once"):
        load_table(tmp_path / "t.csv", columns=columns)


@pytest.mark.parametrize("field, value, problem", [
    ("sentence", ["a", "list"], "'sentence' must be a string or a number, got [\"a\", \"list\"]"),
    ("sentence", {"an": "object"}, "'sentence' must be a string or a number, got {\"an\": \"object\"}"),
    ("v", True, "'v' must be a string or a number, got true"),
    ("who", False, "'who' must be a string or a number, got false"),
])
def test_jsonl_non_scalar_and_boolean_fields_are_errors(tmp_path, field, value, problem):
    good = {"who": "s1", "sex": "F", "sentence": "A fine day.", "v": 3.0}
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, field: value}) + "\n")
    with pytest.raises(CorpusFormatError) as error:
        load_table(path, columns=JSONL_COLUMNS)
    assert str(error.value) == f"{path}:2: {problem}"


def test_jsonl_nulls_are_counted_skips_like_empty_csv_fields(tmp_path):
    good = {"who": "s1", "sex": "F", "sentence": "A fine day.", "v": 3.0}
    records = [good, {**good, "sentence": None}, {**good, "v": None}, {**good, "sex": None}, {**good, "who": None}]
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    loaded = load_table(tmp_path / "t.jsonl", columns=JSONL_COLUMNS, split="all")
    assert loaded.table.text.tolist() == ["A fine day."]
    assert loaded.skipped == {"empty text": 1, "missing valence": 1, "unknown gender": 1, "missing speaker": 1}


# --- 4. tracebacks and wrong line numbers ------------------------------------------------------------


def test_a_field_longer_than_the_csv_default_limit_is_read(tmp_path):
    text = "word " * 40_000  # 200,000 characters; the csv module stops at 131,072 by default
    (tmp_path / "t.csv").write_text(f"text,gender,speaker,valence\n{text},F,a,3\n")
    columns = {"text": "text", "gender": "gender", "speaker": "speaker", "valence": "valence"}
    loaded = load_table(tmp_path / "t.csv", columns=columns, split="all")
    assert len(loaded.table.text.item()) == len(text.strip())


def test_a_bad_byte_is_reported_on_its_own_line(tmp_path):
    lines = [f"utt{i},speaker,F,Sentence number {i} is long enough to fill buffers.,3" for i in range(1, 1600)]
    data = "\n".join(["id,speaker,gender,text,valence", *lines]).encode()
    at = data.index(b"Sentence number 1499 ")  # on line 1,500 (the header is line 1)
    (tmp_path / "t.csv").write_bytes(data[:at] + b"\xff" + data[at:])
    columns = {"utt_id": "id", "text": "text", "gender": "gender", "speaker": "speaker", "valence": "valence"}
    with pytest.raises(CorpusFormatError, match=r"t\.csv:1500: not UTF-8 text \(byte 0xff at column 19\)"):
        load_table(tmp_path / "t.csv", columns=columns)
    (tmp_path / "t.txt").write_bytes(data[:at] + b"\xff" + data[at:])
    with pytest.raises(CorpusFormatError, match=r"t\.txt:1500: not UTF-8"):
        list(numbered_lines(tmp_path / "t.txt"))


def test_build_cli_answers_a_bad_config_with_usage_and_exit_2(tmp_path, capsys):
    (tmp_path / "bad.toml").write_text("[data]\ndemo_seed = 0\n[train]\nepochs = -1\n")
    with pytest.raises(SystemExit) as exit_:
        build_cli.main([str(tmp_path / "bad.toml")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith("usage: python -m scripts.build")
    assert f"{tmp_path / 'bad.toml'}: train.epochs = -1: must be >= 1" in err
    with pytest.raises(SystemExit) as exit_:
        build_cli.main([str(tmp_path / "missing.toml")])
    assert exit_.value.code == 2 and re.search(r"No such file.*missing\.toml", capsys.readouterr().err)


# --- 1-2. a build that repairs itself ------------------------------------------------------------------

BUILT_STAGES = list(STAGES)
TABLE_COLUMNS = {c: c for c in ("utt_id", "speaker", "gender", "text", "valence_class", "split")}


def tiny_config(encoder: str, source: Path) -> ExperimentConfig:
    """The build tests' tiny model on make_table corpora read as tables (source's folder holds them as
    <role>.csv); n_primary asks for more utterances than the test split has."""
    data = DataConfig(**{role: CorpusConfig(kind="table", path=f"{role}.csv", options={"columns": TABLE_COLUMNS})
                         for role in ("primary", "auxiliary", "cross")})
    return ExperimentConfig(
        name="tiny", source=str(source), data=data,
        model=ModelConfig(encoder=encoder, max_length=16, gender_hidden=8),
        train=TrainConfig(seeds=(0,), epochs=1, patience=1, batch_size=36, lr=1e-3),
        methods=MethodsConfig(names=("Gen", "PrivAdv")),
        explain=ExplainConfig(n_primary=1000, n_cross=4, n_steps=8, batch_size=4),
        metrics=MetricsConfig(bootstrap_resamples=50, probe_max_iter=50))


@pytest.fixture(scope="module")
def built_once(tmp_path_factory, tiny_encoder) -> tuple[ExperimentConfig, Path]:
    """Gen and PrivAdv built through metrics once per module; tests damage copies of it."""
    root = tmp_path_factory.mktemp("built") / "tiny"
    tables = {"primary": make_table("primary", 2), "auxiliary": make_table("auxiliary", 2),
              "cross": make_table("cross", 2, splits=("all",))}
    for role, table in tables.items():
        table.to_csv(root.parent / f"{role}.csv", index=False)
    config = tiny_config(tiny_encoder, root.parent / "tiny.toml")
    build(config, stages=BUILT_STAGES, paths=ExperimentPaths(root))
    return config, root


@pytest.fixture
def built(built_once, tmp_path) -> tuple[ExperimentConfig, ExperimentPaths]:
    config, root = built_once
    return config, ExperimentPaths(Path(shutil.copytree(root, tmp_path / "tiny")))


def states(paths: ExperimentPaths, config: ExperimentConfig) -> dict[str, str]:
    return {s.stage: s.state for s in experiment_status(paths, to_dict(config), config_file=config.source)}


def test_a_lost_predictions_file_is_named_then_rebuilt_by_the_predict_stage(built):
    config, paths = built
    lost = paths.predictions("Gen", 0)
    lost.unlink()
    status = {s.stage: s for s in experiment_status(paths, to_dict(config), config_file=config.source)}
    assert status["predict"].state == "missing" and "Gen_seed0.parquet" in status["predict"].detail
    assert status["predict"].detail.endswith(f"run: .venv/bin/python -m scripts.build {config.source} --stages predict")
    assert status["metrics"].state == "stale"  # it read the lost file: Home no longer calls it done
    assert status["metrics"].detail.endswith(f"run: .venv/bin/python -m scripts.build {config.source} --stages predict metrics")

    with pytest.raises(ArtifactError) as error:  # metrics cannot make its input: it names it and the command
        build(config, stages=["metrics"], paths=paths)
    assert str(lost) in str(error.value)
    assert f"python -m scripts.build {config.source} --stages predict" in str(error.value)

    assert build(config, stages=["predict"], paths=paths).stage("predict")["predicted"] == ["Gen/seed0"]
    assert lost.is_file()
    build(config, stages=["metrics"], paths=paths)
    assert set(states(paths, config).values()) == {"done"}


def test_a_full_rerun_rebuilds_only_the_lost_file(built):
    config, paths = built
    paths.predictions("PrivAdv", 0).unlink()
    manifest = build(config, stages=BUILT_STAGES, paths=paths)
    assert manifest.stage("train")["trained"] == []
    assert manifest.stage("predict")["predicted"] == ["PrivAdv/seed0"]
    assert manifest.stage("explain")["explained"] == []
    assert set(states(paths, config).values()) == {"done"}


def test_a_damaged_checkpoint_is_noticed_and_retrained(built):
    config, paths = built
    weights = paths.model_dir("Gen", 0) / "model.safetensors"
    with open(weights, "r+b") as f:
        f.truncate(weights.stat().st_size // 2)
    status = {s.stage: s for s in experiment_status(paths, to_dict(config), config_file=config.source)}
    assert status["train"].state == "changed" and "model.safetensors" in status["train"].detail

    for force in (False, True):  # predict cannot retrain: it names the file and the command, even with --force
        with pytest.raises(ArtifactError) as error:
            build(config, stages=["predict"], paths=paths, force=force)
        assert str(weights) in str(error.value)
        assert f"python -m scripts.build {config.source} --stages train" in str(error.value)
    with pytest.raises(ArtifactError, match=re.escape(str(weights))):
        load_checkpoint(paths.model_dir("Gen", 0))  # what the dashboard loads is checked too
    meta = read_json(paths.model_dir("Gen", 0) / "model.json")
    del meta["weights"]  # a checkpoint from before weights were recorded: still named, not a bare traceback
    write_json(paths.model_dir("Gen", 0) / "model.json", meta)
    with pytest.raises(ArtifactError, match=re.escape(str(weights)) + ": cannot be read"):
        load_checkpoint(paths.model_dir("Gen", 0))

    assert build(config, stages=["train"], paths=paths).stage("train")["trained"] == ["Gen/seed0"]
    load_checkpoint(paths.model_dir("Gen", 0))


def test_a_changed_table1_shows_on_home_as_changed(built):
    config, paths = built
    table1 = paths.metrics_table("table1")
    table1.write_text(table1.read_text().replace("Gen", "Gen (edited)"))
    status = {s.stage: s for s in experiment_status(paths, to_dict(config), config_file=config.source)}
    assert status["metrics"].state == "changed" and "table1.csv" in status["metrics"].detail
    build(config, stages=["metrics"], paths=paths)
    assert states(paths, config)["metrics"] == "done"


def test_a_stage_whose_inputs_were_rebuilt_differently_is_stale(built):
    config, paths = built
    manifest = read_json(paths.manifest)  # as if predict had rewritten the file with other bytes since metrics ran
    manifest["stages"]["metrics"]["inputs"]["predictions/Gen_seed0.parquet"] = "0" * 64
    write_json(paths.manifest, manifest)
    status = {s.stage: s for s in experiment_status(paths, to_dict(config), config_file=config.source)}
    assert status["predict"].state == "done" and status["metrics"].state == "stale"
    assert status["metrics"].detail == (f"Gen_seed0.parquet rebuilt since it ran — run: .venv/bin/python -m scripts.build "
                                        f"{config.source} --stages metrics")


def test_build_cli_names_the_missing_input_and_exits_1(built, tmp_path, monkeypatch, capsys):
    config, paths = built
    toml = Path(config.source)
    toml.write_text(f'name = "tiny"\n[data]\ndemo_seed = 0\n[model]\nencoder = "{config.model.encoder}"\n'
                    '[methods]\nnames = ["Gen", "PrivAdv"]\n')
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(paths.root.parent))
    paths.representations("Gen", 0).unlink()
    assert build_cli.main([str(toml), "--stages", "metrics"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(paths.representations("Gen", 0)) in err
    assert f"python -m scripts.build {toml} --stages predict" in err


# --- 6. warnings ----------------------------------------------------------------------------------------


def test_a_request_cut_short_by_the_data_is_a_warning_in_the_manifest(built):
    config, paths = built
    warnings = read_json(paths.manifest)["stages"]["explain"]["warnings"]
    assert any("explain.n_primary = 1000" in w and "has 12 utterances" in w for w in warnings)
    assert any("n_primary" in w for w in build_warnings(paths))


def test_small_splits_are_warned_about_in_the_log_manifest_and_home(tmp_path, monkeypatch, caplog):
    columns = {"utt_id": "id", "text": "text", "gender": "gender", "speaker": "speaker", "valence": "valence",
               "split": "split"}
    lines = ["id,text,gender,speaker,valence,split"]
    lines += [f"u{i},utterance {i},{'FM'[i % 2]},s{i % 4},{1 + i % 5},{('train', 'val', 'test')[i % 3]}"
              for i in range(14)]
    (tmp_path / "tiny.csv").write_text("\n".join(lines) + "\n")
    source = "\n".join(['kind = "table"', 'path = "tiny.csv"',
                        "options = { columns = " + json.dumps(columns).replace(":", " =") + " }"])
    (tmp_path / "tiny.toml").write_text("\n".join(['name = "small"', f"[data.primary]\n{source}",
                                                   f"[data.auxiliary]\n{source}", f"[data.cross]\n{source}", ""]))
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path / "artifacts"))
    config = load_config(tmp_path / "tiny.toml")
    with caplog.at_level(logging.WARNING):
        manifest = build(config, stages=["corpora"])
    warnings = manifest.stage("corpora")["warnings"]
    assert any(w.startswith("primary corpus, test split: only ") for w in warnings)
    assert any(w.startswith("cross corpus, all split: only ") for w in warnings)
    assert all(w in caplog.text for w in warnings)
    at = AppTest.from_file(str(Path(__file__).parents[1] / "pages" / "home.py"), default_timeout=60).run()
    assert not at.exception
    assert any("primary corpus, test split: only" in w.value for w in at.warning)


def test_a_config_change_makes_stale_only_the_stages_that_depend_on_it(built):
    config, paths = built
    assert set(states(paths, config).values()) == {"done"}
    changed = {"metrics": replace(config.metrics, alpha=0.01),
               "explain": replace(config.explain, top_k=config.explain.top_k + 1),
               "train": replace(config.train, lr=config.train.lr * 2)}
    expected = {"metrics": {"metrics", "report"}, "explain": {"explain", "metrics", "report"},
                "train": {"train", "predict", "explain", "metrics", "report"}}  # the report reads every stage
    for section, value in changed.items():
        stale = {s for s, state in states(paths, replace(config, **{section: value})).items() if state == "stale"}
        assert stale == expected[section], section
    moved = replace(config, source=str(Path(config.source).parent / "elsewhere.toml"))  # the same TOML, moved
    assert set(states(paths, moved).values()) == {"done"}


def test_explanations_left_unconverged_are_a_warning_and_counted(built):
    config, paths = built
    strict = replace(config, explain=replace(config.explain, n_steps=0, steps_grid=(2,), delta_tolerance=1e-9))
    build(strict, stages=["explain", "metrics"], paths=paths)
    warnings = read_json(paths.manifest)["stages"]["explain"]["warnings"]
    assert any("convergence bound at 2 steps" in w for w in warnings)
    faithfulness = pd.read_csv(paths.metrics_table("faithfulness"))
    assert (faithfulness.unconverged > 0).all() and (faithfulness.n_steps_max == 2).all()
