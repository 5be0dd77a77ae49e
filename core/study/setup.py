"""One experiment's study: its settings, models, database URL and artifact paths, from a config or a build."""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from core.config import ExperimentConfig, StudyConfig, load_config
from core.pipeline.artifacts import ExperimentPaths, read_json
from core.study.store import StudyStore, database_url, open_store


@dataclass(frozen=True)
class StudySetup:
    paths: ExperimentPaths
    settings: StudyConfig
    models: list[str]

    @property
    def url(self) -> str:
        return database_url(self.paths, self.settings.database)

    def open(self) -> StudyStore:
        """The main study's store (schema created on first use)."""
        return open_store(self.url, responses_per_task=self.settings.responses_per_task, seed=self.settings.seed)


def from_config(config: ExperimentConfig, paths: ExperimentPaths | None = None) -> StudySetup:
    return StudySetup(paths or ExperimentPaths.for_experiment(config.name), config.study, list(config.methods.names))


def for_experiment(name: str) -> StudySetup:
    """The study of a built experiment: settings from its TOML when that file is still there, else the ones
    its manifest recorded (database, cap, model seed), so a moved TOML never opens a different study."""
    paths = ExperimentPaths.for_experiment(name)
    recorded = read_json(paths.manifest).get("config", {}) if paths.manifest.exists() else {}
    source = recorded.get("source", "")
    if source and Path(source).is_file():
        return from_config(load_config(source), paths)
    known = {f.name for f in fields(StudyConfig)}
    settings = StudyConfig(**{k: v for k, v in recorded.get("study", {}).items() if k in known})
    return StudySetup(paths, settings, list(recorded.get("methods", {}).get("names", [])))
