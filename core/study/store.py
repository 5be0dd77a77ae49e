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
the real study ("main"). A driver error leaves as a :class:`~core.study.faults.StudyDatabaseError`
whose message names the database (password masked) and what to do; privlens creates its tables only
in a database without any of them, and writes nothing into one whose tables it did not make.
"""
from __future__ import annotations

import json
import os
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote

import pandas as pd
from sqlalchemy import (Boolean, Column, Connection, DateTime, Engine, Float, ForeignKeyConstraint, Integer, MetaData,
                        String, Table, Text, UniqueConstraint, create_engine, event, exc, func, inspect, select, update)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from core.config_rules import ATTENTION_RULES
from core.pipeline.artifacts import ExperimentPaths
from core.redact import masked
from core.study.faults import WHERE, StudyDatabaseError, describe
from core.study.tasks import ATTENTION_CHECK, QUESTIONS, attention_checked, serving_key

SCHEMA_VERSION = 2  # 2: tasks record whether the attention check's token shows, and the rule in force
BUSY_TIMEOUT_MS = 60_000
CONNECT_TIMEOUT_S = 10  # a PostgreSQL connection attempt gives up after this long (libpq's minimum is 2)
MAIN_STUDY = "main"
MAX_ID_LENGTH = 200  # an annotator id longer than this is refused, never cut
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
    Column("planted", Boolean, nullable=False),         # the attention check's view shows its planted token
    Column("attention_rule", String(16), nullable=False),  # "planted" | "every_task": where choosing it fails
    Column("valid_count", Integer, nullable=False, default=0))
responses_table = Table(
    "study_responses", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("study", String(64), nullable=False),
    Column("annotator", String(MAX_ID_LENGTH), nullable=False),
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


def annotator_problem(annotator: str) -> str | None:
    """Why ``annotator`` cannot be an id (None when it can): ids are opaque, kept exactly, never cut."""
    if not annotator or not annotator.strip():
        return "An annotator id must not be empty."
    if len(annotator) > MAX_ID_LENGTH:
        return (f"This annotator id is {len(annotator)} characters long; ids may have at most {MAX_ID_LENGTH} "
                "(it is refused, not shortened): use the id you were given.")
    control = next((c for c in annotator if unicodedata.category(c) == "Cc"), None)
    if control is not None:
        return (f"This annotator id holds a control character (U+{ord(control):04X}), which is refused: use the id "
                "you were given, without line breaks, tabs or other invisible characters.")
    if annotator != annotator.strip():
        return "This annotator id starts or ends with a space, which is refused: type it without."
    return None


def make_engine(url: str, *, connections: int = 5) -> Engine:
    """An engine with the study's transaction rules (see the module docstring), a pool of ``connections`` (plus 5
    overflow) connections, and a connection attempt that gives up after ``CONNECT_TIMEOUT_S`` (PostgreSQL)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in DIALECT_INSERTS:
        raise StudyDatabaseError(f"The study database {masked(url)} uses {backend!r}, which privlens does not "
                                 f"support: point {WHERE} at one of {sorted(DIALECT_INSERTS)}.")
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=connections, max_overflow=5,
                             connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    if parsed.database and parsed.database != ":memory:" and parsed.query.get("uri") != "true":
        try:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StudyDatabaseError(f"The study database {masked(url)} cannot be created ({error.strerror}: "
                                     f"{Path(parsed.database).parent}): fix the path in {WHERE}.") from error
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, pool_size=connections,
                           max_overflow=5)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # the driver leaves transactions to the "begin" hook below
        for pragma in ("synchronous=FULL", f"busy_timeout={BUSY_TIMEOUT_MS}", "foreign_keys=ON"):  # this connection's
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
    planted: bool         # the attention check's view shows its planted token
    attention_rule: str   # with ``planted``: whether choosing the attention check fails (tasks.attention_checked)


class StudyStore:
    """Tasks and responses of one study in one database; every method is one transaction.

    ``max_tasks`` (0: no limit) caps the tasks served to one annotator; it is checked when a task is
    served, so an annotator with two tabs open can exceed it by the task already on screen.
    """

    def __init__(self, engine: Engine, *, study: str = MAIN_STUDY, responses_per_task: int = 3, seed: int = 0,
                 max_tasks: int = 0):
        if responses_per_task < 1 or max_tasks < 0:
            raise ValueError(f"responses_per_task must be >= 1 and max_tasks >= 0, got {responses_per_task}, "
                             f"{max_tasks}")
        self.engine, self.study, self.cap, self.seed = engine, study, responses_per_task, seed
        self.max_tasks = max_tasks
        self.url = masked(unquote(engine.url.render_as_string(hide_password=False)))  # how messages name it
        self._insert = DIALECT_INSERTS[engine.dialect.name]

    @contextmanager
    def _faults(self) -> Iterator[None]:
        """A driver error becomes a StudyDatabaseError saying which database and what to do."""
        try:
            yield
        except exc.DBAPIError as error:
            raise StudyDatabaseError(describe(error, self.url)) from error

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A read-only transaction (SQLite: a plain BEGIN, which never waits for writers)."""
        with self._faults(), self.engine.connect() as conn, conn.execution_options(**{READ_ONLY: True}).begin():
            yield conn

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A writing transaction (SQLite: BEGIN IMMEDIATE)."""
        with self._faults(), self.engine.begin() as conn:
            yield conn

    def create_schema(self) -> None:
        """Create the tables in a database that has none of them; otherwise only check (never write) that they
        are this version's: a database of another version, or one whose tables privlens did not make, is refused."""
        with self._reading() as conn:
            empty = self._check_schema(conn)
        if empty:
            self._write_ahead_log()
            with self._writing() as conn:
                if self._check_schema(conn):  # still empty under the write lock: no one else created it meanwhile
                    metadata.create_all(conn)
                    conn.execute(self._insert(schema).values(version=SCHEMA_VERSION).on_conflict_do_nothing())

    def _write_ahead_log(self) -> None:
        """SQLite: switch the file to write-ahead logging, which the file keeps — done only when privlens creates
        its tables, so a database that is not privlens's is never changed (and outside a transaction, as SQLite
        requires)."""
        if self.engine.dialect.name == "sqlite":
            with self._faults():
                raw = self.engine.raw_connection()
                try:
                    raw.driver_connection.execute("PRAGMA journal_mode=WAL")
                finally:
                    raw.close()

    def _check_schema(self, conn: Connection) -> bool:
        """True when the database holds none of privlens's tables; raises when it holds others than this
        version's."""
        inspector = inspect(conn)
        present = {t.name for t in metadata.sorted_tables} & set(inspector.get_table_names())
        if not present:
            return True
        columns = {name: {c["name"] for c in inspector.get_columns(name)} for name in present}
        if columns.get(schema.name) != {"version"}:
            raise StudyDatabaseError(f"The database {self.url} holds tables named like privlens's ({sorted(present)}) "
                                     "but no privlens schema version, so privlens writes nothing into it: point "
                                     f"{WHERE} at an empty database or a privlens study database.")
        versions = conn.execute(select(schema.c.version)).scalars().all()
        if versions != [SCHEMA_VERSION]:
            raise StudyDatabaseError(f"The study database {self.url} has schema version(s) {versions}, this privlens "
                                     f"reads and writes {SCHEMA_VERSION}: export its responses with the privlens that "
                                     f"wrote it, then point {WHERE} at a new database (or move the file away).")
        damaged = [t.name for t in metadata.sorted_tables if columns.get(t.name) != {c.name for c in t.columns}]
        if damaged:
            raise StudyDatabaseError(f"The study database {self.url} has version {SCHEMA_VERSION} but its table(s) "
                                     f"{damaged} differ from privlens's, so privlens writes nothing into it: point "
                                     f"{WHERE} at a new database.")
        return False

    def add_tasks(self, tasks: pd.DataFrame) -> int:
        """Store the task set; refuse to change a study that already has tasks. Returns the number added."""
        unknown = set(tasks.get("attention_rule", [])) - set(ATTENTION_RULES)
        if unknown:
            raise ValueError(f"attention_rule must be one of {ATTENTION_RULES}, got {sorted(unknown)}")
        with self._writing() as conn:
            present = conn.execute(select(func.count()).select_from(tasks_table)
                                   .where(tasks_table.c.study == self.study)).scalar_one()
            if present:
                raise ValueError(f"study {self.study!r} in {self.url} already has {present} tasks; a study's task set "
                                 f"is never replaced: use a new database ({WHERE}) for a new task set")
            rows = [{"study": self.study, "task_id": int(t.task_id), "utt_id": str(t.utt_id), "stratum": t.stratum,
                     "gender": t.gender, "valence_class": t.valence_class, "mad_score": float(t.mad_score),
                     "model_mad": json.dumps(t.model_mad, sort_keys=True), "planted": bool(t.planted),
                     "attention_rule": t.attention_rule, "valid_count": 0} for t in tasks.itertuples()]
            if rows:
                conn.execute(tasks_table.insert(), rows)
        return len(rows)

    def next_task(self, annotator: str) -> Task | None:
        """The open task this annotator has not answered with the fewest valid responses (ties: a fixed
        per-annotator pseudo-random order); None when every task is retired or answered, or the annotator has
        answered ``max_tasks``."""
        _check_annotator(annotator)
        answered = select(responses_table.c.task_id).where(responses_table.c.study == self.study,
                                                           responses_table.c.annotator == annotator)
        query = select(tasks_table).where(tasks_table.c.study == self.study, tasks_table.c.valid_count < self.cap,
                                          tasks_table.c.task_id.not_in(answered))
        with self._reading() as conn:
            done = conn.execute(select(func.count()).select_from(answered.subquery())).scalar_one()
            rows = [] if self.max_tasks and done >= self.max_tasks else conn.execute(query).mappings().all()
        if not rows:
            return None
        best = min(rows, key=lambda r: (r["valid_count"], serving_key(annotator, r["task_id"], seed=self.seed)))
        return _task(best)

    def submit(self, annotator: str, task_id: int, shown_order: list[str], choices: dict[str, str]) -> str:
        """Store one response; returns its status ("valid", "attention_failed", "surplus") or "duplicate"
        when this annotator already answered this task (the first answer stands)."""
        _check_annotator(annotator)
        _check_response(shown_order, choices)
        row = {"study": self.study, "annotator": annotator, "task_id": int(task_id),
               "shown_order": ",".join(shown_order), **{q: choices[q] for q in QUESTIONS}}
        with self._writing() as conn:
            task = conn.execute(select(tasks_table.c.planted, tasks_table.c.attention_rule).where(
                tasks_table.c.study == self.study, tasks_table.c.task_id == int(task_id))).first()
            if task is None:
                raise ValueError(f"study {self.study!r} has no task {task_id}")
            failed = ATTENTION_CHECK in choices.values() and attention_checked(task.planted, task.attention_rule)
            status = "attention_failed" if failed else "valid"
            inserted = conn.execute(self._insert(responses_table).values(**row, status=status).on_conflict_do_nothing(
                index_elements=["study", "annotator", "task_id"]).returning(responses_table.c.id)).first()
            if inserted is None:  # RETURNING, not rowcount: psycopg's rowcount here is -1 either way
                return "duplicate"
            if status == "valid" and not self._count_valid(conn, int(task_id)):
                status = "surplus"
                conn.execute(update(responses_table).where(responses_table.c.id == inserted.id).values(status=status))
        return status

    def _count_valid(self, conn: Connection, task_id: int) -> bool:
        """Raise the task's valid count unless it is already at the cap (atomic in both backends)."""
        return bool(conn.execute(update(tasks_table).where(
            tasks_table.c.study == self.study, tasks_table.c.task_id == task_id,
            tasks_table.c.valid_count < self.cap).values(valid_count=tasks_table.c.valid_count + 1)).rowcount)

    def progress(self, annotator: str) -> dict[str, int]:
        """How far the annotator and the study are: answered, still open to them (within ``max_tasks``),
        tasks, retired."""
        _check_annotator(annotator)
        with self._reading() as conn:
            answered = set(conn.execute(select(responses_table.c.task_id).where(
                responses_table.c.study == self.study, responses_table.c.annotator == annotator)).scalars())
            counts = conn.execute(select(tasks_table.c.task_id, tasks_table.c.valid_count).where(
                tasks_table.c.study == self.study)).all()
        left = sum(n < self.cap and t not in answered for t, n in counts)
        if self.max_tasks:
            left = min(left, max(self.max_tasks - len(answered), 0))
        return {"answered": len(answered), "open": left, "tasks": len(counts),
                "retired": sum(n >= self.cap for _, n in counts)}

    def tasks(self) -> pd.DataFrame:
        with self._reading() as conn:
            frame = pd.DataFrame(conn.execute(select(tasks_table).where(tasks_table.c.study == self.study)
                                              .order_by(tasks_table.c.task_id)).mappings().all(),
                                 columns=[c.name for c in tasks_table.columns])
        return frame.assign(model_mad=frame.model_mad.map(json.loads), planted=frame.planted.astype(bool)).drop(
            columns="study")

    def responses(self) -> pd.DataFrame:
        """Every stored response, valid or not, in submission order."""
        with self._reading() as conn:
            rows = conn.execute(select(responses_table).where(responses_table.c.study == self.study)
                                .order_by(responses_table.c.id)).mappings().all()
        return pd.DataFrame(rows, columns=[c.name for c in responses_table.columns]).drop(columns="study")

    def delete_study(self) -> None:
        """Remove this study's rows (used to clean up after a stress run)."""
        with self._writing() as conn:
            conn.execute(responses_table.delete().where(responses_table.c.study == self.study))
            conn.execute(tasks_table.delete().where(tasks_table.c.study == self.study))


def _task(row) -> Task:
    return Task(row["task_id"], row["utt_id"], row["stratum"], row["gender"], row["valence_class"],
                row["mad_score"], json.loads(row["model_mad"]), bool(row["planted"]), row["attention_rule"])


def _check_annotator(annotator: str) -> None:
    if problem := annotator_problem(annotator):
        raise ValueError(problem)


def _check_response(shown_order: list[str], choices: dict[str, str]) -> None:
    missing = [q for q in QUESTIONS if q not in choices]
    if missing:
        raise ValueError(f"unanswered question(s) {missing}")
    unknown = {q: m for q, m in choices.items() if m not in shown_order or q not in QUESTIONS}
    if unknown:
        raise ValueError(f"choices {unknown} are not among the questions {list(QUESTIONS)} and models {shown_order}")


def open_store(url: str, *, study: str = MAIN_STUDY, responses_per_task: int = 3, seed: int = 0,
               max_tasks: int = 0) -> StudyStore:
    """Connect, create the schema if the database has none (checking it otherwise), and return the store."""
    store = StudyStore(make_engine(url), study=study, responses_per_task=responses_per_task, seed=seed,
                       max_tasks=max_tasks)
    store.create_schema()
    return store
