"""The study database: tasks and responses in any SQLAlchemy database (SQLite by default).

Guarantees, under any number of concurrent submitters:
- one submission is one transaction, and an acknowledged one is durable (SQLite: WAL with
  ``synchronous=FULL``; a process killed mid-write leaves the last committed state);
- (study, annotator, task) is unique and inserted with ``ON CONFLICT DO NOTHING``, so a repeated
  submission is stored once and reported as a duplicate — never lost, never counted twice;
- a task counts at most ``responses_per_task`` valid responses: the counter is raised by one
  conditional ``UPDATE … WHERE valid_count < cap`` in the submission's transaction. Two annotators
  may still be shown a task's last open slot at once; the later valid answer is kept with status
  ``surplus`` and, like an attention-check failure, left out of the results.

SQLite writers take the write lock when their transaction begins (``BEGIN IMMEDIATE``) and wait
for it up to ``BUSY_TIMEOUT_MS``; PostgreSQL serialises the conditional update on the task's row.
Rows carry a ``study`` name so a stress test can run in the configured database without touching
the real study ("main").
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd
from sqlalchemy import (Column, Connection, DateTime, Engine, Float, ForeignKeyConstraint, Integer, MetaData, String,
                        Table, Text, UniqueConstraint, create_engine, event, func, select, update)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from core.pipeline.artifacts import ExperimentPaths
from core.study.tasks import ATTENTION_CHECK, QUESTIONS, serving_key

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 60_000
MAIN_STUDY = "main"
STATUSES = ("valid", "attention_failed", "surplus")
DIALECT_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
READ_ONLY = "privlens_read_only"  # execution option: a transaction that only reads

metadata = MetaData()
schema = Table("study_schema", metadata, Column("version", Integer, primary_key=True))
tasks_table = Table(
    "study_tasks", metadata,
    Column("study", String(64), primary_key=True),
    Column("task_id", Integer, primary_key=True),
    Column("utt_id", String(200), nullable=False),
    Column("stratum", String(16), nullable=False),
    Column("gender", String(1), nullable=False),
    Column("valence_class", String(8), nullable=False),
    Column("mad_score", Float, nullable=False),
    Column("model_mad", Text, nullable=False),          # JSON: model -> MAD_i on this utterance
    Column("valid_count", Integer, nullable=False, default=0))
responses_table = Table(
    "study_responses", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("study", String(64), nullable=False),
    Column("annotator", String(200), nullable=False),
    Column("task_id", Integer, nullable=False),
    Column("shown_order", String(400), nullable=False),  # models in the order shown as A, B, C, …
    *(Column(q, String(64), nullable=False) for q in QUESTIONS),  # the chosen model's name
    Column("status", String(16), nullable=False),        # valid | attention_failed | surplus
    Column("submitted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ForeignKeyConstraint(["study", "task_id"], ["study_tasks.study", "study_tasks.task_id"]),
    UniqueConstraint("study", "annotator", "task_id", name="uq_study_response"))


def database_url(paths: ExperimentPaths, configured: str = "") -> str:
    """``PRIVLENS_STUDY_DB`` if set, else the configured URL, else the experiment's SQLite file."""
    return os.environ.get("PRIVLENS_STUDY_DB") or configured or f"sqlite:///{paths.study_db}"


def make_engine(url: str, *, connections: int = 5) -> Engine:
    """An engine with the study's transaction rules (see the module docstring) and a pool of
    ``connections`` (plus 5 overflow) connections."""
    backend = make_url(url).get_backend_name()
    if backend not in DIALECT_INSERTS:
        raise ValueError(f"study database {make_url(url).render_as_string()!r}: supported backends are "
                         f"{sorted(DIALECT_INSERTS)}, got {backend!r}")
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=connections, max_overflow=5)
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, pool_size=connections,
                           max_overflow=5)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # the driver leaves transactions to the "begin" hook below
        for pragma in ("journal_mode=WAL", "synchronous=FULL", f"busy_timeout={BUSY_TIMEOUT_MS}", "foreign_keys=ON"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        # writers take the write lock up front (no lock upgrade, no deadlock); readers read a WAL snapshot
        reading = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine


@dataclass(frozen=True)
class Task:
    task_id: int
    utt_id: str
    stratum: str
    gender: str
    valence_class: str
    mad_score: float
    model_mad: dict[str, float]


class StudyStore:
    """Tasks and responses of one study in one database; every method is one transaction."""

    def __init__(self, engine: Engine, *, study: str = MAIN_STUDY, responses_per_task: int = 3, seed: int = 0):
        if responses_per_task < 1:
            raise ValueError(f"responses_per_task must be >= 1, got {responses_per_task}")
        self.engine, self.study, self.cap, self.seed = engine, study, responses_per_task, seed
        self._insert = DIALECT_INSERTS[engine.dialect.name]

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A read-only transaction (SQLite: a plain BEGIN, which never waits for writers)."""
        with self.engine.connect() as conn, conn.execution_options(**{READ_ONLY: True}).begin():
            yield conn

    def create_schema(self) -> None:
        """Create the tables on first use; refuse a database written by another schema version."""
        with self.engine.begin() as conn:
            metadata.create_all(conn)
            conn.execute(self._insert(schema).values(version=SCHEMA_VERSION).on_conflict_do_nothing())
            versions = conn.execute(select(schema.c.version)).scalars().all()
            if versions != [SCHEMA_VERSION]:  # raised inside the transaction: this version's row is rolled back
                raise RuntimeError(f"study database has schema version(s) {versions}, this privlens writes "
                                   f"{SCHEMA_VERSION}: export it with the privlens that wrote it or use a new "
                                   "database")

    def add_tasks(self, tasks: pd.DataFrame) -> int:
        """Store the task set; refuse to change a study that already has tasks. Returns the number added."""
        with self.engine.begin() as conn:
            present = conn.execute(select(func.count()).select_from(tasks_table)
                                   .where(tasks_table.c.study == self.study)).scalar_one()
            if present:
                raise ValueError(f"study {self.study!r} already has {present} tasks; use a new database "
                                 "(study.database or PRIVLENS_STUDY_DB) for a new task set")
            rows = [{"study": self.study, "task_id": int(t.task_id), "utt_id": str(t.utt_id), "stratum": t.stratum,
                     "gender": t.gender, "valence_class": t.valence_class, "mad_score": float(t.mad_score),
                     "model_mad": json.dumps(t.model_mad, sort_keys=True), "valid_count": 0}
                    for t in tasks.itertuples()]
            if rows:
                conn.execute(tasks_table.insert(), rows)
        return len(rows)

    def next_task(self, annotator: str) -> Task | None:
        """The open task this annotator has not answered with the fewest valid responses (ties: a fixed
        per-annotator pseudo-random order); None when every task is retired or answered."""
        answered = select(responses_table.c.task_id).where(responses_table.c.study == self.study,
                                                           responses_table.c.annotator == annotator)
        query = select(tasks_table).where(tasks_table.c.study == self.study, tasks_table.c.valid_count < self.cap,
                                          tasks_table.c.task_id.not_in(answered))
        with self._reading() as conn:
            rows = conn.execute(query).mappings().all()
        if not rows:
            return None
        best = min(rows, key=lambda r: (r["valid_count"], serving_key(annotator, r["task_id"], seed=self.seed)))
        return _task(best)

    def submit(self, annotator: str, task_id: int, shown_order: list[str], choices: dict[str, str]) -> str:
        """Store one response; returns its status ("valid", "attention_failed", "surplus") or "duplicate"
        when this annotator already answered this task (the first answer stands)."""
        _check_response(annotator, shown_order, choices)
        status = "attention_failed" if ATTENTION_CHECK in choices.values() else "valid"
        row = {"study": self.study, "annotator": annotator, "task_id": int(task_id),
               "shown_order": ",".join(shown_order), "status": status, **{q: choices[q] for q in QUESTIONS}}
        with self.engine.begin() as conn:
            if not conn.execute(select(tasks_table.c.task_id).where(tasks_table.c.study == self.study,
                                                                    tasks_table.c.task_id == int(task_id))).first():
                raise ValueError(f"study {self.study!r} has no task {task_id}")
            inserted = conn.execute(self._insert(responses_table).values(**row).on_conflict_do_nothing(
                index_elements=["study", "annotator", "task_id"]).returning(responses_table.c.id)).first()
            if inserted is None:  # RETURNING, not rowcount: psycopg's rowcount here is -1 either way
                return "duplicate"
            if status == "valid" and not self._count_valid(conn, int(task_id)):
                status = "surplus"
                conn.execute(update(responses_table).where(
                    responses_table.c.study == self.study, responses_table.c.annotator == annotator,
                    responses_table.c.task_id == int(task_id)).values(status=status))
        return status

    def _count_valid(self, conn, task_id: int) -> bool:
        """Raise the task's valid count unless it is already at the cap (atomic in both backends)."""
        return bool(conn.execute(update(tasks_table).where(
            tasks_table.c.study == self.study, tasks_table.c.task_id == task_id,
            tasks_table.c.valid_count < self.cap).values(valid_count=tasks_table.c.valid_count + 1)).rowcount)

    def progress(self, annotator: str) -> dict[str, int]:
        """How far the annotator and the study are: answered, still open to them, tasks, retired."""
        with self._reading() as conn:
            answered = set(conn.execute(select(responses_table.c.task_id).where(
                responses_table.c.study == self.study, responses_table.c.annotator == annotator)).scalars())
            counts = conn.execute(select(tasks_table.c.task_id, tasks_table.c.valid_count).where(
                tasks_table.c.study == self.study)).all()
        open_ = [t for t, n in counts if n < self.cap and t not in answered]
        return {"answered": len(answered), "open": len(open_), "tasks": len(counts),
                "retired": sum(n >= self.cap for _, n in counts)}

    def tasks(self) -> pd.DataFrame:
        with self._reading() as conn:
            frame = pd.DataFrame(conn.execute(select(tasks_table).where(tasks_table.c.study == self.study)
                                              .order_by(tasks_table.c.task_id)).mappings().all(),
                                 columns=[c.name for c in tasks_table.columns])
        return frame.assign(model_mad=frame.model_mad.map(json.loads)).drop(columns="study")

    def responses(self) -> pd.DataFrame:
        """Every stored response, valid or not, in submission order."""
        with self._reading() as conn:
            rows = conn.execute(select(responses_table).where(responses_table.c.study == self.study)
                                .order_by(responses_table.c.id)).mappings().all()
        return pd.DataFrame(rows, columns=[c.name for c in responses_table.columns]).drop(columns="study")

    def delete_study(self) -> None:
        """Remove this study's rows (used to clean up after a stress run)."""
        with self.engine.begin() as conn:
            conn.execute(responses_table.delete().where(responses_table.c.study == self.study))
            conn.execute(tasks_table.delete().where(tasks_table.c.study == self.study))


def _task(row) -> Task:
    return Task(row["task_id"], row["utt_id"], row["stratum"], row["gender"], row["valence_class"],
                row["mad_score"], json.loads(row["model_mad"]))


def _check_response(annotator: str, shown_order: list[str], choices: dict[str, str]) -> None:
    if not annotator or not annotator.strip() or len(annotator) > 200:
        raise ValueError(f"annotator id must be 1–200 characters and not blank, got {annotator!r}")
    missing = [q for q in QUESTIONS if q not in choices]
    if missing:
        raise ValueError(f"unanswered question(s) {missing}")
    unknown = {q: m for q, m in choices.items() if m not in shown_order or q not in QUESTIONS}
    if unknown:
        raise ValueError(f"choices {unknown} are not among the questions {list(QUESTIONS)} and models {shown_order}")


def open_store(url: str, *, study: str = MAIN_STUDY, responses_per_task: int = 3, seed: int = 0) -> StudyStore:
    """Connect, create the schema if needed, and return the store."""
    store = StudyStore(make_engine(url), study=study, responses_per_task=responses_per_task, seed=seed)
    store.create_schema()
    return store
