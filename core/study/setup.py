"""One experiment's study: its settings, models, database URL, artifact paths and TOML, from a config or a build;
the task selection that ``scripts.study select`` and the build's metrics stage share."""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from core.config import ExperimentConfig, StudyConfig, load_config
from core.pipeline.artifacts import ExperimentPaths, ManifestError, read_manifest
from core.pipeline.files import ArtifactError, rebuild_command
from core.redact import is_masked, masked
from core.study.faults import StudyDatabaseError
from core.study.store import StudyStore, database_url, open_store
from core.study.tasks import planted_utterances, select_tasks, tasks_csv, utterance_scores


@dataclass(frozen=True)
class StudySetup:
    paths: ExperimentPaths
    settings: StudyConfig
    models: list[str]
    source: str = ""  # the experiment's TOML, as the build recorded it ("" when unknown)

    @property
    def url(self) -> str:
        """The database to connect to; a URL read back from a record has its password masked, and is refused."""
        url = database_url(self.paths, self.settings.database)
        if is_masked(url):
            raise StudyDatabaseError(f"The study database {url} was read from the build's record, which never keeps "
                                     "its password: set PRIVLENS_STUDY_DB to the full URL (or restore the TOML "
                                     f"{self.source or '(unknown)'}).")
        return url

    @property
    def shown_url(self) -> str:
        """The database as messages name it (password masked)."""
        return masked(database_url(self.paths, self.settings.database))

    def command(self, verb: str) -> str:
        """The shell command that runs ``scripts.study <verb>`` on this experiment."""
        toml = self.source or f"scripts/experiments/{self.paths.root.name}.toml"
        return f".venv/bin/python -m scripts.study {verb} --config {toml}"

    def open(self) -> StudyStore:
        """The main study's store (schema created on first use)."""
        s = self.settings
        return open_store(self.url, responses_per_task=s.responses_per_task, seed=s.seed,
                          max_tasks=s.max_tasks_per_annotator)

    def select(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The task set and its short cells (tasks.select_tasks) from the build's MAD table and explanations."""
        mad_path = self.paths.metrics_table("mad_utterances")
        for path, stage in ((mad_path, "metrics"), (self.paths.explained, "explain")):
            if not path.exists():
                raise FileNotFoundError(f"{path} is missing: build it with {rebuild_command(self.source, stage)}")
        s = self.settings
        scores = utterance_scores(pd.read_csv(mad_path), self.models, seed=s.model_seed)
        planted = planted_utterances(pd.read_parquet(self.paths.explained, columns=["method", "seed", "role", "utt_id",
                                                                                   "text"]), seed=s.model_seed)
        return select_tasks(scores, random_n=s.random_per_cell, high_n=s.high_mad_per_cell, low_n=s.low_mad_per_cell,
                            seed=s.seed, planted=planted, attention_rule=s.attention_rule)

    def store_tasks(self, tasks: pd.DataFrame) -> int:
        """Store the task set (refused when the study has tasks) and write its list to study/tasks.csv."""
        added = self.open().add_tasks(tasks)
        self.paths.study_dir.mkdir(parents=True, exist_ok=True)
        tasks_csv(tasks).to_csv(self.paths.study_export("tasks"), index=False)
        return added


def ensure_tasks(setup: StudySetup) -> str:
    """Select and store the tasks when the study has none yet (idempotent: a study's tasks are kept), so a
    fresh build opens a study with tasks. Returns what it did, in words."""
    present = len(setup.open().tasks())
    if present:
        return f"kept the {present} tasks already in {setup.shown_url}"
    tasks, short = setup.select()
    return (f"selected {setup.store_tasks(tasks)} tasks into {setup.shown_url}"
            + (f" ({len(short)} cell × stratum pairs had fewer utterances than asked)" if len(short) else ""))


def from_config(config: ExperimentConfig, paths: ExperimentPaths | None = None) -> StudySetup:
    return StudySetup(paths or ExperimentPaths.for_experiment(config.name), config.study, list(config.methods.names),
                      config.source)


def for_experiment(name: str) -> StudySetup:
    """The study of a built experiment: settings from its TOML when that file is still there, else the ones
    its manifest recorded (database, cap, model seed), so a moved TOML never opens a different study."""
    paths = ExperimentPaths.for_experiment(name)
    try:
        recorded = read_manifest(paths.manifest).get("config", {})
    except ManifestError as error:
        raise ArtifactError(f"{error}. The next build sets it aside and rebuilds it.", rebuild_command(None)) from None
    source = recorded.get("source", "")
    if source and Path(source).is_file():
        return from_config(load_config(source), paths)
    known = {f.name for f in fields(StudyConfig)}
    settings = StudyConfig(**{k: v for k, v in recorded.get("study", {}).items() if k in known})
    return StudySetup(paths, settings, list(recorded.get("methods", {}).get("names", [])), source)
