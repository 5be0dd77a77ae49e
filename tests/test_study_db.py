"""Study database faults as one-sentence messages, a foreign database left untouched, annotator ids, the per-annotator
cap, and URL passwords masked in config records."""
from __future__ import annotations

import os
import socket
import sqlite3
import time

import psycopg
import pytest
from sqlalchemy import exc, select, text, update

from core.config import ConfigError, ExperimentConfig, StudyConfig, load_config, to_dict
from core.redact import masked
from core.study import store as study_store
from core.study.faults import StudyDatabaseError, describe
from core.study.store import SCHEMA_VERSION, StudyStore, annotator_problem, make_engine, open_store, schema
from scripts import study as cli
from tests.test_study import MODELS, VALID, make_store

PLANTED = "postgresql+psycopg://u:PLANTED@localhost:1/x"


def refusal(url: str) -> str:
    with pytest.raises(StudyDatabaseError) as error:
        open_store(url)
    return str(error.value)


def one_sentence_naming(message: str, url: str) -> bool:
    return message.startswith(f"The study database {masked(url)} ") and message.count(". ") == 0 and \
        message.endswith(".") and "\n" not in message and "PLANTED" not in message


def test_masked_hides_every_password():
    assert masked(PLANTED) == "postgresql+psycopg://u:***@localhost:1/x"
    assert masked("postgresql://u:p@ss:w/rd@host/db") == "postgresql://u:***@host/db"  # a raw @ is masked whole
    assert masked("postgresql://u@host/db") == "postgresql://u@host/db" and masked("") == ""
    record = to_dict(ExperimentConfig(study=StudyConfig(database=PLANTED)))
    assert record["study"]["database"] == "postgresql+psycopg://u:***@localhost:1/x"


def test_refused_port_and_unknown_host_are_named_with_the_password_masked():
    message = refusal(PLANTED)
    assert one_sentence_naming(message, PLANTED) and "refused the connection" in message
    unknown = "postgresql+psycopg://u:secret@nonexistent.invalid:5432/x"
    message = refusal(unknown)
    assert one_sentence_naming(message, unknown) and "cannot be reached" in message and "secret" not in message


def test_a_silent_host_times_out(monkeypatch):
    with socket.socket() as silent:  # accepts the connection (the kernel's backlog) and never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        url = f"postgresql+psycopg://u:pw@127.0.0.1:{silent.getsockname()[1]}/x"
        monkeypatch.setattr(study_store, "CONNECT_TIMEOUT_S", 2)
        start = time.monotonic()
        message = refusal(url)
    assert time.monotonic() - start < 10 and one_sentence_naming(message, url) and "timed out" in message


def test_read_only_database_reads_and_refuses_writes_with_a_message(tmp_path):
    make_store(tmp_path, n_per_cell=1).engine.dispose()
    url = f"sqlite:///file:{tmp_path / 'study.sqlite'}?mode=ro&uri=true"
    store = open_store(url)  # its schema is there: opening writes nothing
    task = store.next_task("a")
    with pytest.raises(StudyDatabaseError, match="is read-only .*: give privlens write access") as error:
        store.submit("a", task.task_id, MODELS, VALID)
    assert one_sentence_naming(str(error.value), url)


def test_a_file_that_is_not_a_database(tmp_path):
    (tmp_path / "notes.sqlite").write_text("meeting notes, not a database\n" * 100)
    url = f"sqlite:///{tmp_path / 'notes.sqlite'}"
    message = refusal(url)
    assert one_sentence_naming(message, url) and "is not a SQLite database" in message
    assert (tmp_path / "notes.sqlite").read_text().startswith("meeting notes")


def test_another_schema_version_is_refused_and_left_as_it_was(tmp_path):
    store = make_store(tmp_path, n_per_cell=1)
    with store.engine.begin() as conn:
        conn.execute(update(schema).values(version=SCHEMA_VERSION + 1))
    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    message = refusal(url)
    assert one_sentence_naming(message, url) and f"schema version(s) [{SCHEMA_VERSION + 1}]" in message
    with store.engine.connect() as conn:
        assert conn.execute(select(schema.c.version)).scalars().all() == [SCHEMA_VERSION + 1]
    with pytest.raises(StudyDatabaseError, match="does not support"):
        make_engine("mysql://u:pw@h/db")


def test_a_foreign_database_with_privlens_table_names_gets_nothing_written(tmp_path):
    path = tmp_path / "theirs.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE study_tasks (id INTEGER PRIMARY KEY, title TEXT)")
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    before = path.read_bytes()
    message = refusal(f"sqlite:///{path}")
    assert "privlens writes nothing into it" in message and "study_tasks" in message
    with sqlite3.connect(path) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"study_tasks", "invoices"} and path.read_bytes() == before


def test_nul_byte_from_postgresql_is_one_sentence():
    error = exc.DataError("INSERT …", {}, psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"))
    message = describe(error, PLANTED)
    assert one_sentence_naming(message, PLANTED) and "NUL byte" in message and "use another id" in message


def test_annotator_ids_are_refused_never_cut(tmp_path):
    store = make_store(tmp_path, n_per_cell=1)
    assert annotator_problem("x" * 200) is None and annotator_problem("Ana María-7") is None
    for bad, why in (("x" * 201, "201 characters"), ("a\x00b", "U+0000"), ("a\nb", "U+000A"), ("a\tb", "U+0009"),
                     ("", "empty"), (" ann", "space")):
        assert why in annotator_problem(bad)
        with pytest.raises(ValueError, match="annotator id"):
            store.submit(bad, 0, MODELS, VALID)
        with pytest.raises(ValueError, match="annotator id"):
            store.next_task(bad)
    assert store.responses().empty


def test_per_annotator_cap(tmp_path):
    store = make_store(tmp_path, n_per_cell=2, max_tasks=2)
    for _ in range(2):
        store.submit("a", store.next_task("a").task_id, MODELS, VALID)
    assert store.next_task("a") is None and store.progress("a")["open"] == 0
    assert store.next_task("b") is not None and store.progress("b")["open"] == 2


def test_study_settings_rules(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[data]\ndemo_seed = 0\n[study]\nmax_tasks_per_annotator = -1\nattention_rule = "sometimes"\n')
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert "study.max_tasks_per_annotator = -1: must be >= 0" in str(error.value)
    assert "study.attention_rule = \"sometimes\": must be one of ['planted', 'every_task']" in str(error.value)


def test_the_command_line_says_the_same_sentence(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    (tmp_path / "notes.sqlite").write_text("not a database\n" * 100)
    for url in (f"sqlite:///{tmp_path / 'notes.sqlite'}", PLANTED):
        assert cli.main(["export", "--db", url]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"error: The study database {masked(url)} ") and err.count("\n") == 0


@pytest.mark.skipif(not os.environ.get("PRIVLENS_TEST_POSTGRES_URL"), reason="PRIVLENS_TEST_POSTGRES_URL not set")
def test_postgresql_faults():
    url = os.environ["PRIVLENS_TEST_POSTGRES_URL"]
    store = StudyStore(make_engine(url), study="test-faults")
    store.create_schema()
    with pytest.raises(ValueError, match="U\\+0000"):
        store.next_task("a\x00b")
    with pytest.raises(StudyDatabaseError, match="NUL byte"):  # what the database says when a NUL gets past the check
        with store._writing() as conn:
            conn.execute(text("SELECT CAST(:id AS text)"), {"id": "a\x00b"})
    store.engine.dispose()
