"""Trust study pages (AppTest): annotating stores a response once and serves the next task, keeps an incomplete
answer, says when a task was answered in another tab; a study link shows the task alone; ids are refused, never cut;
database faults and hints as messages; results show Table 2, the logit and κ."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.methods import METHODS
from core.pipeline.artifacts import MANIFEST_VERSION, ExperimentPaths
from core.study.faults import StudyDatabaseError
from core.study.setup import for_experiment
from core.study.simulate import simulate
from core.study.tasks import QUESTIONS, utterance_scores
from tests.test_study import MODELS, mad_table, select

ROOT = Path(__file__).resolve().parent.parent


def built_experiment(root: Path, study: dict | None = None) -> ExperimentPaths:
    """A built-looking experiment "demo" under ``root`` (manifest recording a TOML that is gone, explain tables)."""
    paths = ExperimentPaths(root / "demo")
    paths.root.mkdir()
    config = {"source": "experiments/gone.toml", "methods": {"names": MODELS}, "train": {"seeds": [0]},
              "study": study or {}}
    paths.manifest.write_text(json.dumps({"version": MANIFEST_VERSION, "stages": {}, "config": config}))
    write_explanations(paths)
    return paths


def study_tasks() -> pd.DataFrame:
    return select(utterance_scores(mad_table(2), MODELS, seed=0), random_n=2)[0]


@pytest.fixture
def study(tmp_path, monkeypatch):
    """A built-looking experiment (manifest, explain tables, 12 tasks) with an empty study database."""
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    monkeypatch.delenv("PRIVLENS_STUDY_DB", raising=False)
    built_experiment(tmp_path)
    setup = for_experiment("demo")
    setup.open().add_tasks(study_tasks())
    return setup


def write_explanations(paths: ExperimentPaths) -> None:
    """Every model's text and word weights for the tasks' utterances; ArtNoise's text carries its token."""
    tasks = study_tasks()
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
    assert not at.exception and "Data: simulated annotators (not people)" in at.info[0].value
    table = at.dataframe[0].value
    assert table.model.tolist() == MODELS and "T(Priv) high-MAD utterances" in table.columns  # words, not high_mad
    assert 'rule "planted"' in at.caption[0].value and at.warning  # a 12-task study: small cells flagged
    assert {"model", "share", "stratum"} <= set(at.dataframe[1].value.columns)  # the chart's numbers, as text
    logit, kappa = at.dataframe[2].value, at.dataframe[3].value
    assert logit.question.tolist() == kappa.question.tolist() == ["T(V)", "T(Priv)", "Use"]
    assert {"odds_ratio", "ci_low", "ci_high", "p"} <= set(logit.columns) and "kappa" in kappa.columns


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
    config["study"]["database"] = "postgresql+psycopg://u:***@db/study"  # how the build records a password
    paths.manifest.write_text(json.dumps({"version": MANIFEST_VERSION, "stages": {}, "config": config}))
    with pytest.raises(StudyDatabaseError, match="set PRIVLENS_STUDY_DB to the full URL"):
        for_experiment("moved").url


def test_annotation_page_without_explanations_names_the_rebuild_command(study):
    study.paths.explained.unlink()
    at = page("trust_study.py").run()
    assert not at.exception and "`explained.parquet` is missing" in at.error[0].value
    assert at.code[0].value.endswith("--stages explain")


def answer(at: AppTest, letters: str = "BBB") -> AppTest:
    for radio, letter in zip(at.radio, letters):
        radio.set_value(letter)
    return at


def annotating(annotator: str) -> AppTest:
    at = page("trust_study.py").run()
    at.text_input[0].input(annotator).run()
    return at


def test_an_incomplete_answer_keeps_what_was_chosen(study):
    at = annotating("ann-1")
    at.radio[0].set_value("C")
    at.radio[1].set_value("D")
    at.button[0].click().run()
    assert not at.exception and "the answers you gave are kept" in at.error[0].value
    assert [r.value for r in at.radio] == ["C", "D", None] and study.open().responses().empty
    at.radio[2].set_value("A")
    at.button[0].click().run()
    stored = study.open().responses()
    order = stored.shown_order[0].split(",")
    assert len(stored) == 1 and [stored[q][0] for q in QUESTIONS] == [order[2], order[3], order[0]]


def test_an_answer_sent_twice_is_stored_once_and_one_from_another_tab_is_said_so(study):
    tabs = [annotating("ann-2"), annotating("ann-2")]
    task = tabs[0].session_state["study_task"][1]
    assert tabs[1].session_state["study_task"][1] == task  # both tabs show the same task
    answer(tabs[0], "AAA").button[0].click().run()
    answer(tabs[1], "CCC").button[0].click().run()
    assert not tabs[1].exception and "already answered that task" in tabs[1].info[0].value
    stored = study.open().responses()
    assert len(stored) == 1 and stored.trust_valence[0] == stored.shown_order[0].split(",")[0]  # the first stands
    assert tabs[1].session_state["study_task"][1].task_id != task.task_id
    tabs[0].session_state["study_task"] = ("ann-2", task)  # a double click's second submit, before the page moved on
    answer(tabs[0].run(), "AAA").button[0].click().run()
    assert not tabs[0].exception and not tabs[0].info and len(study.open().responses()) == 1


def rendered_text(at: AppTest) -> str:
    elements = [*at.title, *at.markdown, *at.caption, *at.text, *at.info, *at.success, *at.warning, *at.error, *at.code]
    return " ".join([e.value for e in elements] + [r.label + " " + " ".join(r.options) for r in at.radio])


def test_a_study_link_shows_the_task_alone_and_names_no_model(study):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["annotator"] = "link-1"
    at.query_params["experiment"] = "demo"
    at.run()
    assert not at.exception and at.title[0].value == "Trust study" and len(at.radio) == 3
    assert not at.sidebar.children and not at.text_input  # no sidebar, the id comes from the link
    named = re.compile(r"\b(" + "|".join(METHODS) + r")\b")
    assert "link-1" in rendered_text(at) and not named.search(rendered_text(at))
    assert not named.search(" ".join(m.value for m in at.markdown if "<span" in m.value))  # highlights too
    only_the_study = r"Known pages: \['[^']*pages/trust_study.py'\]"
    with pytest.raises(ValueError, match=only_the_study):  # no other page is registered
        at.switch_page("pages/home.py")
    answer(at).button[0].click().run()
    assert not at.exception and study.open().responses().annotator.tolist() == ["link-1"]
    edited = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)  # the same session, the address edited
    edited.session_state["study_link"] = at.session_state["study_link"]
    edited.run()
    assert edited.title[0].value == "Trust study" and not edited.sidebar.children and len(edited.radio) == 3
    with pytest.raises(ValueError, match=only_the_study):
        edited.switch_page("pages/trust_results.py")


def test_ids_too_long_or_with_control_characters_are_refused_not_cut(study):
    at = annotating("x" * 201)
    assert not at.exception and "201 characters" in at.error[0].value and not at.radio
    for bad in ("bell\x07", "two\nlines"):
        link = page("trust_study.py")
        link.query_params["annotator"] = bad
        link.run()
        assert not link.exception and "control character" in link.error[0].value and not link.radio
    assert study.open().responses().empty


def test_the_per_annotator_cap_thanks_and_stops(tmp_path, monkeypatch):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    monkeypatch.delenv("PRIVLENS_STUDY_DB", raising=False)
    built_experiment(tmp_path, {"max_tasks_per_annotator": 1})
    for_experiment("demo").open().add_tasks(study_tasks())
    at = answer(annotating("ann-3"))
    at.button[0].click().run()
    assert not at.exception and "you have answered 1 task, all this study asks" in at.success[0].value


def test_an_empty_study_prints_the_real_select_command(tmp_path, monkeypatch):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    monkeypatch.delenv("PRIVLENS_STUDY_DB", raising=False)
    built_experiment(tmp_path)
    command = ".venv/bin/python -m scripts.study select --config experiments/gone.toml"
    for at in (annotating("ann-4"), page("trust_results.py").run()):
        assert not at.exception and at.code[0].value == command


def test_database_faults_are_one_sentence_on_the_pages(tmp_path, monkeypatch):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    built_experiment(tmp_path)
    (tmp_path / "notes.sqlite").write_text("not a database\n" * 100)
    for url, says in ((f"sqlite:///{tmp_path / 'notes.sqlite'}", "is not a SQLite database"),
                      ("postgresql+psycopg://u:PLANTED@localhost:1/x", "u:***@localhost:1/x refused the connection")):
        monkeypatch.setenv("PRIVLENS_STUDY_DB", url)
        for at in (annotating("ann-5"), page("trust_results.py").run()):
            assert not at.exception and says in at.error[0].value and "PLANTED" not in rendered_text(at)
