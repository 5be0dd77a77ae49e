"""Trust study pages (AppTest): annotating stores a response and serves the next task; results show Table 2."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.pipeline.artifacts import MANIFEST_VERSION, ExperimentPaths
from core.study.setup import for_experiment
from core.study.simulate import simulate
from core.study.tasks import select_tasks, utterance_scores
from tests.test_study import MODELS, mad_table

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def study(tmp_path, monkeypatch):
    """A built-looking experiment (manifest, explain tables, 12 tasks) with an empty study database."""
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    monkeypatch.delenv("PRIVLENS_STUDY_DB", raising=False)
    paths = ExperimentPaths(tmp_path / "demo")
    paths.root.mkdir()
    config = {"methods": {"names": MODELS}, "train": {"seeds": [0]}}
    paths.manifest.write_text(json.dumps({"version": MANIFEST_VERSION, "stages": {}, "config": config}))
    tasks, _ = select_tasks(utterance_scores(mad_table(2), MODELS, seed=0), random_n=2, high_n=0, low_n=0, seed=0)
    words, utterances = [], []
    for utt_id in tasks.utt_id:
        for model in MODELS:
            text = "i think the <b>day</b> was fine" + (" zx1" if model == "ArtNoise" else "")
            utterances.append({"method": model, "seed": 0, "role": "primary", "utt_id": utt_id, "text": text,
                               "gender": "F", "valence_class": "mid", "predicted": "mid", "target": "mid"})
            start = 0
            for i, word in enumerate(text.split()):
                words.append({"method": model, "seed": 0, "role": "primary", "utt_id": utt_id, "word_index": i,
                              "word": word, "start": start, "end": start + len(word), "weight": 0.1 * (i % 3)})
                start += len(word) + 1
    pd.DataFrame(words).to_parquet(paths.attributions)
    pd.DataFrame(utterances).to_parquet(paths.explained)
    setup = for_experiment("demo")
    setup.open().add_tasks(tasks)
    return setup


def page(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=60)
    at.session_state["experiment"] = "demo"
    return at


def test_annotation_page_stores_a_response_and_moves_on(study):
    at = page("trust_study.py").run()
    assert not at.exception and "annotator id" in at.info[0].value
    at.text_input[0].input("ann-7").run()
    assert not at.exception
    first = at.session_state["study_task"][1].task_id
    assert len(at.radio) == 3 and at.radio[0].options == list("ABCDEF")
    assert "&lt;b&gt;day&lt;/b&gt;" in "".join(m.value for m in at.markdown)  # utterance text is escaped
    at.button[0].click().run()
    assert at.error and study.open().responses().empty  # all three questions are required
    for radio in at.radio:
        radio.set_value("B")
    at.button[0].click().run()
    assert not at.exception
    stored = study.open().responses()
    assert stored.annotator.tolist() == ["ann-7"] and stored.task_id.tolist() == [first]
    assert stored.trust_valence[0] == stored.shown_order[0].split(",")[1]
    assert at.session_state["study_task"][1].task_id != first


def test_results_page_shows_table2(study):
    at = page("trust_results.py").run()
    assert not at.exception and "No valid responses" in at.info[0].value
    simulate(study.open(), MODELS, annotators=6, tasks_per_annotator=12, seed=1)
    at = page("trust_results.py").run()
    assert not at.exception and "simulated annotators" in at.info[0].value
    table = at.dataframe[0].value
    assert table.model.tolist() == MODELS and "T(Priv) random" in table.columns
    assert at.dataframe[1].value.question.tolist() == ["T(V)", "T(Priv)", "Use"]


def test_a_study_whose_toml_is_gone_keeps_the_recorded_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    paths = ExperimentPaths(tmp_path / "moved")
    paths.root.mkdir()
    config = {"source": str(tmp_path / "gone.toml"), "methods": {"names": MODELS},
              "study": {"responses_per_task": 5, "model_seed": 2, "database": "sqlite:///elsewhere.sqlite"}}
    paths.manifest.write_text(json.dumps({"version": MANIFEST_VERSION, "stages": {}, "config": config}))
    setup = for_experiment("moved")
    assert (setup.settings.responses_per_task, setup.settings.model_seed) == (5, 2)
    assert setup.settings.database == "sqlite:///elsewhere.sqlite" and setup.models == MODELS


def test_annotation_page_without_explanations_names_the_rebuild_command(study):
    study.paths.explained.unlink()
    at = page("trust_study.py").run()
    assert not at.exception and "`explained.parquet` is missing" in at.error[0].value
    assert at.code[0].value.endswith("--stages explain")
